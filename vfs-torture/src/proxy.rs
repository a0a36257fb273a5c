//! A TCP fault proxy on loopback: sits between a client and a server and breaks
//! the stream on purpose — cuts a connection after a number of bytes (mid-record,
//! wherever the count falls), delays or stalls forwarding, refuses connections.
//!
//! Plain threads, no runtime: the proxy must keep working while the client under
//! test (with its own reactor) misbehaves, and blocking pumps make the byte counts
//! exact. Each accepted connection gets two pumps, one per direction; the fault
//! plan is shared and may change at any time (a stall set now applies to
//! connections already open).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Which way bytes flow through the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Client to server (calls, WRITE data).
    ToServer,
    /// Server to client (replies, READ data).
    ToClient,
}

/// What the proxy does to the connections it carries. Changes apply at once, to
/// open connections too.
#[derive(Clone, Debug, Default)]
pub struct FaultPlan {
    /// Cut every connection once it carried this many bytes in this direction
    /// (the cut falls wherever the count does, usually inside a record).
    pub cut_after: Option<(Direction, u64)>,
    /// Hold every byte (both ways) while set: a server that stopped answering
    /// but whose connections stay open.
    pub stall: bool,
    /// Sleep this long before forwarding each chunk.
    pub delay: Duration,
    /// Close new connections as soon as they are accepted (a server that died
    /// between accept and reply).
    pub refuse: bool,
}

/// What the proxy has done, for the scenarios' reports.
#[derive(Debug, Default)]
pub struct ProxyCounters {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections cut by the plan.
    pub cuts: AtomicU64,
    /// Bytes forwarded to the server.
    pub to_server: AtomicU64,
    /// Bytes forwarded to the client.
    pub to_client: AtomicU64,
}

struct Shared {
    target: SocketAddr,
    plan: Mutex<FaultPlan>,
    counters: ProxyCounters,
    stopping: AtomicBool,
    /// Both sockets of every connection, so dropping the proxy closes them.
    open: Mutex<Vec<TcpStream>>,
}

/// A running proxy, listening on 127.0.0.1; stops (and closes every connection)
/// when dropped.
pub struct FaultProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
}

/// How long a stalled pump sleeps between looks at the plan.
const POLL: Duration = Duration::from_millis(5);

impl FaultProxy {
    /// Starts a proxy forwarding to `target` with `plan`.
    pub fn start(target: SocketAddr, plan: FaultPlan) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            target,
            plan: Mutex::new(plan),
            counters: ProxyCounters::default(),
            stopping: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
        });
        let accepting = shared.clone();
        thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || accept_loop(listener, accepting))?;
        Ok(FaultProxy { address, shared })
    }

    /// Where clients connect.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The proxy's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Replaces the plan.
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.shared.plan.lock().unwrap() = plan;
    }

    /// Changes part of the plan.
    pub fn update(&self, change: impl FnOnce(&mut FaultPlan)) {
        change(&mut self.shared.plan.lock().unwrap());
    }

    /// What the proxy has done so far.
    pub fn counters(&self) -> &ProxyCounters {
        &self.shared.counters
    }

    /// Cuts every open connection now.
    pub fn cut_all(&self) {
        for stream in self.shared.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.address);
        self.cut_all();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        shared.counters.connections.fetch_add(1, Ordering::Relaxed);
        if shared.plan.lock().unwrap().refuse {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        }
        let Ok(server) = TcpStream::connect(shared.target) else {
            // The server is down: the client sees what it would see directly, a
            // connection that closes.
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        let (Ok(c2), Ok(s2), Ok(c3), Ok(s3)) = (
            client.try_clone(),
            server.try_clone(),
            client.try_clone(),
            server.try_clone(),
        ) else {
            continue;
        };
        shared.open.lock().unwrap().extend([c3, s3]);
        let up = shared.clone();
        let down = shared.clone();
        let _ = thread::Builder::new()
            .name("proxy-up".into())
            .spawn(move || pump(client, server, Direction::ToServer, &up));
        let _ = thread::Builder::new()
            .name("proxy-down".into())
            .spawn(move || pump(s2, c2, Direction::ToClient, &down));
    }
}

/// Copies `from` to `to` under the plan until either side closes or the plan cuts
/// the connection; then closes both sockets, so the other pump stops too.
fn pump(mut from: TcpStream, mut to: TcpStream, direction: Direction, shared: &Shared) {
    let mut buffer = vec![0u8; 64 << 10];
    let mut carried = 0u64;
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut chunk = &buffer[..n];
        let plan = loop {
            let plan = shared.plan.lock().unwrap().clone();
            if !plan.stall || shared.stopping.load(Ordering::SeqCst) {
                break plan;
            }
            thread::sleep(POLL);
        };
        if !plan.delay.is_zero() {
            thread::sleep(plan.delay);
        }
        let mut cut = false;
        if let Some((way, limit)) = plan.cut_after {
            if way == direction && carried + chunk.len() as u64 >= limit {
                chunk = &chunk[..(limit.saturating_sub(carried)) as usize];
                cut = true;
            }
        }
        if to.write_all(chunk).is_err() {
            break;
        }
        carried += chunk.len() as u64;
        let counter = match direction {
            Direction::ToServer => &shared.counters.to_server,
            Direction::ToClient => &shared.counters.to_client,
        };
        counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        if cut {
            shared.counters.cuts.fetch_add(1, Ordering::Relaxed);
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server: every byte comes back.
    fn echo() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || {
                    let mut reader = stream.try_clone().unwrap();
                    let mut writer = stream;
                    let _ = std::io::copy(&mut reader, &mut writer);
                });
            }
        });
        address
    }

    #[test]
    fn forwards_and_cuts_after_the_count() {
        let plan = FaultPlan {
            cut_after: Some((Direction::ToClient, 10)),
            ..FaultPlan::default()
        };
        let proxy = FaultProxy::start(echo(), plan).unwrap();
        let mut stream = TcpStream::connect(proxy.address()).unwrap();
        stream.write_all(&[7u8; 100]).unwrap();
        let mut back = Vec::new();
        let _ = stream.read_to_end(&mut back);
        assert_eq!(back, vec![7u8; 10], "exactly the bytes before the cut");
        assert_eq!(proxy.counters().cuts.load(Ordering::Relaxed), 1);
        // The next connection gets a fresh count.
        let mut again = TcpStream::connect(proxy.address()).unwrap();
        again.write_all(b"hello").unwrap();
        let mut five = [0u8; 5];
        again.read_exact(&mut five).unwrap();
        assert_eq!(&five, b"hello");
        assert_eq!(proxy.counters().connections.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn refuses_when_told() {
        let plan = FaultPlan {
            refuse: true,
            ..FaultPlan::default()
        };
        let proxy = FaultProxy::start(echo(), plan).unwrap();
        let mut stream = TcpStream::connect(proxy.address()).unwrap();
        let _ = stream.write_all(b"x");
        let mut back = Vec::new();
        let _ = stream.read_to_end(&mut back);
        assert!(back.is_empty());
    }
}
