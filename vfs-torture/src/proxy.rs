//! A TCP fault proxy on loopback: sits between a client and a server and breaks
//! the stream on purpose — cuts a connection after a number of bytes (mid-record,
//! wherever the count falls), cuts it just before the reply to a given RPC call
//! (the call reached the server, its reply never reaches the client), delays or
//! stalls forwarding, refuses connections.
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
    /// Lose the reply to the next call of this `(program, procedure)`: the call
    /// is forwarded, and the connection is cut just before its reply (none of
    /// the reply's record reaches the client). Once: the field is cleared when
    /// the call passes, so the call sent again gets through.
    pub lose_reply_to: Option<(u32, u32)>,
}

/// What the proxy has done, for the scenarios' reports.
#[derive(Debug, Default)]
pub struct ProxyCounters {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections cut by the plan.
    pub cuts: AtomicU64,
    /// Replies lost by [`FaultPlan::lose_reply_to`] (each also counts as a cut).
    pub lost_replies: AtomicU64,
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
        let doomed = Arc::new(Mutex::new(Vec::new()));
        let doomed_up = doomed.clone();
        let _ = thread::Builder::new()
            .name("proxy-up".into())
            .spawn(move || pump(client, server, Direction::ToServer, &up, &doomed_up));
        let _ = thread::Builder::new()
            .name("proxy-down".into())
            .spawn(move || pump(s2, c2, Direction::ToClient, &down, &doomed));
    }
}

/// Word `i` (big-endian) of a record's first bytes `head`, if it has it.
fn word(head: &[u8], i: usize) -> Option<u32> {
    let w = head.get(4 * i..4 * i + 4)?;
    Some(u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
}

/// The RPC program, procedure and xid of a call whose record begins with `head`
/// (its first 24 bytes: xid, message type 0, RPC version, program, version,
/// procedure); `None` for anything else.
fn call_of(head: &[u8]) -> Option<(u32, u32, u32)> {
    (word(head, 1)? == 0).then_some((word(head, 3)?, word(head, 5)?, word(head, 0)?))
}

/// The xid of a reply whose record begins with `head`; `None` for anything else.
fn reply_xid(head: &[u8]) -> Option<u32> {
    (word(head, 1)? == 1).then_some(word(head, 0)?)
}

/// Copies `from` to `to` under the plan until either side closes or the plan cuts
/// the connection; then closes both sockets, so the other pump stops too.
/// `doomed` holds the xids of this connection's calls whose replies are to be
/// lost ([`FaultPlan::lose_reply_to`]): the pump to the server adds them before
/// it forwards the call, so the reply cannot come first; the pump to the client
/// cuts the connection where such a reply's record begins.
fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    direction: Direction,
    shared: &Shared,
    doomed: &Mutex<Vec<u32>>,
) {
    let mut buffer = vec![0u8; 64 << 10];
    let mut carried = 0u64;
    // A call's program and procedure end its 24th byte; a reply's xid and type
    // are its first 8.
    let mut records = RecordScanner::new(match direction {
        Direction::ToServer => 24,
        Direction::ToClient => 8,
    });
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
        let mut lost = false;
        for record in records.feed(&buffer[..n]) {
            match direction {
                Direction::ToServer => {
                    let Some((program, procedure, xid)) = call_of(&record.head) else {
                        continue;
                    };
                    let mut plan = shared.plan.lock().unwrap();
                    if plan.lose_reply_to == Some((program, procedure)) {
                        plan.lose_reply_to = None;
                        doomed.lock().unwrap().push(xid);
                    }
                }
                Direction::ToClient => {
                    let Some(xid) = reply_xid(&record.head) else {
                        continue;
                    };
                    let mut doomed = doomed.lock().unwrap();
                    let Some(at) = doomed.iter().position(|d| *d == xid) else {
                        continue;
                    };
                    doomed.remove(at);
                    // Bytes of the record before this chunk were forwarded: at
                    // most its mark and first 7 bytes, never a whole reply.
                    let start = record.start.unwrap_or(0);
                    if start <= chunk.len() {
                        chunk = &chunk[..start];
                        cut = true;
                        lost = true;
                    }
                    break;
                }
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
            if lost {
                shared.counters.lost_replies.fetch_add(1, Ordering::Relaxed);
            }
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// The beginning of one RPC record seen by a [`RecordScanner`].
struct RecordHead {
    /// Where the record's first byte (its record mark) is in the chunk just fed;
    /// `None` when the record began in an earlier chunk.
    start: Option<usize>,
    /// The record's first bytes after the record mark (up to the scanner's
    /// `want`; fewer if the record is shorter).
    head: Vec<u8>,
}

/// Follows the record marking (RFC 5531 section 11) of one direction of a
/// connection, chunk by chunk as the bytes pass, and reports the first bytes of
/// each record (across fragment and chunk boundaries). A stream that is not RPC
/// yields nonsense heads, which match nothing.
struct RecordScanner {
    /// How many bytes of each record to report.
    want: usize,
    /// A fragment header read in part.
    mark: Vec<u8>,
    /// Bytes of the current fragment still to come.
    left: usize,
    /// Whether the current fragment is its record's last.
    last: bool,
    /// Whether the next fragment header begins a record.
    between: bool,
    /// The current record's first bytes, while fewer than `want`.
    head: Vec<u8>,
    /// Whether the current record was reported.
    reported: bool,
    /// Where the current record began in the chunk being fed.
    start: Option<usize>,
}

impl RecordScanner {
    fn new(want: usize) -> RecordScanner {
        RecordScanner {
            want,
            mark: Vec::with_capacity(4),
            left: 0,
            last: false,
            between: true,
            head: Vec::with_capacity(want),
            reported: true,
            start: None,
        }
    }

    /// Takes the next bytes of the stream; the heads completed in them.
    fn feed(&mut self, chunk: &[u8]) -> Vec<RecordHead> {
        let mut out = Vec::new();
        self.start = None;
        let mut i = 0;
        while i < chunk.len() {
            if self.left == 0 {
                if self.mark.is_empty() && self.between {
                    self.start = Some(i);
                    self.head.clear();
                    self.reported = false;
                    self.between = false;
                }
                let take = (4 - self.mark.len()).min(chunk.len() - i);
                self.mark.extend_from_slice(&chunk[i..i + take]);
                i += take;
                if self.mark.len() == 4 {
                    let word = u32::from_be_bytes([
                        self.mark[0],
                        self.mark[1],
                        self.mark[2],
                        self.mark[3],
                    ]);
                    self.mark.clear();
                    self.last = word & 0x8000_0000 != 0;
                    self.left = (word & 0x7fff_ffff) as usize;
                    if self.left == 0 && self.last {
                        self.end_record(&mut out);
                    }
                }
                continue;
            }
            let take = self.left.min(chunk.len() - i);
            if !self.reported {
                let part = (self.want - self.head.len()).min(take);
                self.head.extend_from_slice(&chunk[i..i + part]);
                if self.head.len() == self.want {
                    self.report(&mut out);
                }
            }
            i += take;
            self.left -= take;
            if self.left == 0 && self.last {
                self.end_record(&mut out);
            }
        }
        out
    }

    fn report(&mut self, out: &mut Vec<RecordHead>) {
        self.reported = true;
        out.push(RecordHead {
            start: self.start,
            head: std::mem::take(&mut self.head),
        });
    }

    fn end_record(&mut self, out: &mut Vec<RecordHead>) {
        if !self.reported {
            self.report(out);
        }
        self.between = true;
    }
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

    /// A server answering each call record with a reply record of the same xid.
    fn rpc_echo() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                thread::spawn(move || {
                    while let Some(call) = crate::record::read_record(&mut stream) {
                        let mut reply = call[..4].to_vec();
                        reply.extend_from_slice(&[0, 0, 0, 1]);
                        reply.extend_from_slice(&[0u8; 16]);
                        if crate::record::send(&mut stream, &crate::record::frame(&reply)).is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        address
    }

    /// A call record of `xid` for NFS procedure `procedure`, in two fragments.
    fn call(xid: u32, procedure: u32) -> Vec<u8> {
        let words = [xid, 0, 2, 100003, 3, procedure, 0, 0, 0, 0];
        let body: Vec<u8> = words.iter().flat_map(|w| w.to_be_bytes()).collect();
        let mut record = (10u32).to_be_bytes().to_vec();
        record.extend_from_slice(&body[..10]);
        record.extend_from_slice(&(0x8000_0000u32 | (body.len() as u32 - 10)).to_be_bytes());
        record.extend_from_slice(&body[10..]);
        record
    }

    #[test]
    fn scanner_finds_heads_across_fragments_and_chunks() {
        let mut stream = call(1, 8);
        stream.extend(call(2, 12));
        for step in [1, 3, 7, stream.len()] {
            let mut scanner = RecordScanner::new(24);
            let heads: Vec<_> = stream
                .chunks(step)
                .flat_map(|chunk| scanner.feed(chunk))
                .map(|record| call_of(&record.head))
                .collect();
            assert_eq!(
                heads,
                [Some((100003, 8, 1)), Some((100003, 12, 2))],
                "chunks of {step}"
            );
        }
        // Where each record starts, when it starts in the chunk fed.
        let mut scanner = RecordScanner::new(24);
        let starts: Vec<_> = scanner.feed(&stream).into_iter().map(|r| r.start).collect();
        assert_eq!(starts, [Some(0), Some(call(1, 8).len())]);
    }

    #[test]
    fn loses_the_reply_to_one_call_once() {
        let plan = FaultPlan {
            lose_reply_to: Some((100003, 8)),
            ..FaultPlan::default()
        };
        let proxy = FaultProxy::start(rpc_echo(), plan).unwrap();
        let mut stream = TcpStream::connect(proxy.address()).unwrap();
        stream.write_all(&call(1, 1)).unwrap();
        let first = crate::record::read_record(&mut stream).unwrap();
        assert_eq!(&first[..4], &1u32.to_be_bytes(), "other calls are answered");
        stream.write_all(&call(2, 8)).unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        assert!(rest.is_empty(), "no byte of the lost reply: {rest:?}");
        assert_eq!(proxy.counters().lost_replies.load(Ordering::Relaxed), 1);
        // The call sent again on a new connection is answered.
        let mut again = TcpStream::connect(proxy.address()).unwrap();
        again.write_all(&call(2, 8)).unwrap();
        let reply = crate::record::read_record(&mut again).unwrap();
        assert_eq!(&reply[..4], &2u32.to_be_bytes());
        assert_eq!(proxy.counters().lost_replies.load(Ordering::Relaxed), 1);
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
