//! The ONC RPC transport: many calls in flight on a small set of TCP connections,
//! replies matched to callers by xid in whatever order they arrive.
//!
//! nfs3_client's own client takes `&mut self` and allows one call at a time per
//! connection, which forces either a lock around every call or a connection per
//! caller (what the OSv driver did per thread). This transport instead runs a reader
//! and a writer task per connection on the backend's reactor (`crate::reactor`);
//! a caller encodes its call, registers its xid, sends the bytes and waits on a
//! oneshot channel. Those channels work under any executor, so the futures of this
//! module run under tokio, another runtime, or `block_on` from a plain thread.
//! A small call that finds its socket idle is written by the caller itself
//! (`try_write` needs no runtime), saving the hop through the writer task; only
//! busy sockets and WRITE payloads go through the task (`Writer`).
//!
//! Encoding and decoding happen in the caller's task (with the XDR types of
//! nfs3_types), so the reactor only moves bytes.
//!
//! A client keeps [`CONNECTIONS`] connections to its server and spreads bulk calls
//! (READ, WRITE) over them; small calls keep to the first (Linux's `nconnect`): one TCP stream has one reader task copying every
//! reply out of one socket, which caps a streaming mount at what one core copies;
//! several let the two I/O threads (and the server's threads) work on replies at
//! once. Bulk data is never copied into the call record: a WRITE's payload rides
//! beside its header ([`Payload`]) and reply records come from the buffer pool
//! ([`crate::buffers`]).

use crate::buffers::Buffer;
use crate::reactor;
use nfs3_types::rpc::{
    accept_stat_data, call_body, fragment_header, msg_body, opaque_auth, reply_body, rpc_msg,
    RPC_VERSION_2,
};
use nfs3_types::xdr_codec::{Pack, Unpack};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::collections::VecDeque;
use std::fmt;
use std::io::Cursor;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::{oneshot, Notify};

/// The largest reply record accepted: a 1 MiB READ plus headers, with room to spare.
/// Anything larger is a broken or hostile server; the connection is dropped.
pub const MAX_RECORD: usize = 4 << 20;

/// Most calls one client has in flight at once. Servers bound the requests they
/// queue per connection (nfs3_server answers the 257th with SYSTEM_ERR), and a
/// client gains nothing from queueing more than a server works on; callers beyond
/// the bound wait for a slot instead of failing.
pub const MAX_IN_FLIGHT: usize = 128;

/// Connections per client. The server works on the calls of one connection with
/// less parallelism than on several, and one connection has one reader task
/// copying every reply: on ganesha, eight connections brought eight threads'
/// concurrent streaming (`threads_8`) from about 0.6 of eight libnfs processes to
/// about 0.9-1.0, and one sequential reader up too, where two gave little.
pub const CONNECTIONS: usize = 8;

/// Records up to this size are gathered into one buffer with their neighbours
/// (one system call for many small calls); larger ones are written as they are.
const GATHER: usize = 64 << 10;

/// Why a call failed below the NFS level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RpcError {
    /// No reply within the soft mount's time limit.
    TimedOut(String),
    /// Could not connect (refused, unreachable, timed out).
    Connect(std::io::ErrorKind, String),
    /// The connection broke while the call was in flight.
    ConnectionLost(String),
    /// The server rejected the call (RPC version or authentication).
    Denied(String),
    /// The server accepted the call but could not run it (program, version or
    /// procedure unavailable, garbage arguments, system error).
    NotRun(String),
    /// The reply could not be decoded.
    Garbled(String),
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpcError::TimedOut(why) => write!(f, "no reply: {why}"),
            RpcError::Connect(_, why) => write!(f, "cannot connect: {why}"),
            RpcError::ConnectionLost(why) => write!(f, "connection lost: {why}"),
            RpcError::Denied(why) => write!(f, "call denied: {why}"),
            RpcError::NotRun(why) => write!(f, "call not run: {why}"),
            RpcError::Garbled(why) => write!(f, "garbled reply: {why}"),
        }
    }
}

impl From<RpcError> for vfs_core::Error {
    fn from(error: RpcError) -> vfs_core::Error {
        use vfs_core::Errno;
        let errno = match &error {
            RpcError::Connect(kind, _) => match kind {
                std::io::ErrorKind::ConnectionRefused => Errno::ECONNREFUSED,
                std::io::ErrorKind::TimedOut => Errno::ETIMEDOUT,
                std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => {
                    Errno::EHOSTUNREACH
                }
                _ => Errno::EIO,
            },
            RpcError::Denied(_) => Errno::EACCES,
            RpcError::TimedOut(_) => Errno::ETIMEDOUT,
            RpcError::ConnectionLost(_) | RpcError::NotRun(_) | RpcError::Garbled(_) => Errno::EIO,
        };
        errno.with(error.to_string())
    }
}

type ReplySender = oneshot::Sender<Result<Buffer, RpcError>>;

/// Bulk data sent after a call's encoded arguments without being copied into the
/// record: the bytes of an XDR opaque whose length the arguments end with. The
/// transport adds the padding to a multiple of four.
#[derive(Clone)]
pub struct Payload {
    /// The buffer holding the data.
    pub data: Arc<Buffer>,
    /// The part of it sent.
    pub range: Range<usize>,
}

impl Payload {
    fn bytes(&self) -> &[u8] {
        &self.data[self.range.clone()]
    }
}

/// One call record queued for the writer: the encoded header and arguments, then
/// an optional payload and its padding.
struct Outgoing {
    head: Vec<u8>,
    payload: Option<Payload>,
}

impl Outgoing {
    fn len(&self) -> usize {
        self.head.len() + self.payload.as_ref().map_or(0, |p| padded(p.range.len()))
    }
}

/// `len` rounded up to XDR's four-byte alignment.
fn padded(len: usize) -> usize {
    len.div_ceil(4) * 4
}

/// One live TCP connection: its sending side and the callers waiting for replies.
struct Connection {
    writer: Arc<Writer>,
    waiting: Arc<Mutex<Waiting>>,
}

impl Drop for Connection {
    /// Ends the writer task (which then drops the socket's write half, so the
    /// server closes and the reader task ends too).
    fn drop(&mut self) {
        self.writer.state.lock().closed = true;
        self.writer.wake.notify_one();
    }
}

/// The sending side of a connection. Whoever finds it idle writes: a caller
/// with a small record writes it to the socket itself (no hop to the reactor
/// and back, the largest cost of a small call on a busy machine); otherwise the
/// record is queued for the connection's writer task, which gathers what piles
/// up. `busy` makes one of them the writer at a time, so records never mix.
struct Writer {
    half: tokio::net::tcp::OwnedWriteHalf,
    state: Mutex<WriterState>,
    /// Wakes the writer task when records were queued for it.
    wake: Notify,
}

#[derive(Default)]
struct WriterState {
    queue: VecDeque<Outgoing>,
    /// Someone (a caller or the task) is writing; others queue.
    busy: bool,
    /// The connection is gone or its socket failed: nothing more is sent.
    closed: bool,
}

impl Writer {
    /// Sends `record`, at once from this thread when the socket is idle and takes
    /// it whole, else through the writer task. A failed write kills `waiting`.
    fn send(&self, mut record: Outgoing, waiting: &Mutex<Waiting>) -> Result<(), RpcError> {
        let mut state = self.state.lock();
        if state.closed {
            return Err(RpcError::ConnectionLost("writer stopped".to_string()));
        }
        if state.busy || record.payload.is_some() || record.head.len() > GATHER {
            state.queue.push_back(record);
            if !state.busy {
                state.busy = true;
                drop(state);
                self.wake.notify_one();
            }
            return Ok(());
        }
        state.busy = true;
        drop(state);
        // `try_write` needs no runtime: it writes if the reactor saw the socket
        // writable, and says WouldBlock (then the task takes over) otherwise.
        let written = match self.half.try_write(&record.head) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => 0,
            Err(e) => {
                let why = format!("write failed: {e}");
                self.state.lock().closed = true;
                waiting.lock().kill(&why);
                return Err(RpcError::ConnectionLost(why));
            }
        };
        let mut state = self.state.lock();
        if written < record.head.len() {
            record.head.drain(..written);
            state.queue.push_front(record);
        }
        if state.queue.is_empty() {
            state.busy = false;
        } else {
            drop(state);
            self.wake.notify_one();
        }
        Ok(())
    }

    /// The next records for the task to write: one large record, or small ones
    /// gathered into `batch`. `None` (and no longer busy) when nothing is queued.
    fn next(&self, batch: &mut Vec<u8>) -> Option<Option<Outgoing>> {
        let mut state = self.state.lock();
        batch.clear();
        match state.queue.front() {
            None => {
                state.busy = false;
                return None;
            }
            Some(first) if first.len() > GATHER => return Some(state.queue.pop_front()),
            Some(_) => {}
        }
        while batch.len() < GATHER {
            match state.queue.front() {
                Some(more) if more.len() <= GATHER => {
                    gather(batch, more);
                    state.queue.pop_front();
                }
                _ => break,
            }
        }
        Some(None)
    }
}

/// One of the client's connections: made on first use, made again on the next
/// call after it broke.
#[derive(Default)]
struct Slot {
    connection: Mutex<Option<Arc<Connection>>>,
    connecting: tokio::sync::Mutex<()>,
}

/// Callers waiting for a reply, by xid; once the connection is dead, nobody may
/// register any more.
#[derive(Default)]
struct Waiting {
    by_xid: HashMap<u32, ReplySender>,
    dead: Option<String>,
}

impl Waiting {
    /// Fails every waiting caller and refuses new ones.
    fn kill(&mut self, why: &str) {
        self.dead.get_or_insert_with(|| why.to_string());
        for (_, sender) in self.by_xid.drain() {
            let _ = sender.send(Err(RpcError::ConnectionLost(why.to_string())));
        }
    }
}

/// A client for one RPC server address, shared by any number of tasks. Each of its
/// connections is made on first use and again on the next call after it broke.
pub struct RpcClient {
    address: SocketAddr,
    credential: opaque_auth<'static>,
    connect_timeout: Duration,
    next_xid: AtomicU32,
    slots: Vec<Slot>,
    next_slot: AtomicUsize,
    in_flight: tokio::sync::Semaphore,
    call_timeout: Option<Duration>,
}

/// A reply record whose RPC header was checked: the procedure's result starts at
/// `start`. Lets a caller decode the result in place (READ copies its data straight
/// from here into the caller's buffer).
pub struct Reply {
    /// The whole record.
    pub record: Buffer,
    /// Where the procedure's result starts.
    pub start: usize,
}

impl RpcClient {
    /// A client for `address` sending `credential` with every call.
    pub fn new(
        address: SocketAddr,
        credential: opaque_auth<'static>,
        connect_timeout: Duration,
    ) -> RpcClient {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos() ^ (d.as_secs() as u32));
        RpcClient {
            address,
            credential,
            connect_timeout,
            next_xid: AtomicU32::new(seed),
            slots: (0..CONNECTIONS).map(|_| Slot::default()).collect(),
            next_slot: AtomicUsize::new(0),
            in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
            call_timeout: None,
        }
    }

    /// Marks the mount soft: a call gives up when no answer came within `limit`,
    /// resends included (enforced by `client::NfsClient`, which reads it
    /// back with [`RpcClient::call_timeout`]). Without it calls wait as long as it
    /// takes (a hard mount).
    pub fn with_call_timeout(mut self, limit: Option<Duration>) -> RpcClient {
        self.call_timeout = limit;
        self
    }

    /// The soft mount's bound on a call; `None` on a hard mount.
    pub fn call_timeout(&self) -> Option<Duration> {
        self.call_timeout
    }

    /// The bound on one connection attempt (the mount's `timeo`).
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The server's address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Calls procedure `proc` of program `prog` version `vers` with `args` and
    /// decodes the result as `R`.
    pub async fn call<A, R>(&self, prog: u32, vers: u32, proc: u32, args: &A) -> Result<R, RpcError>
    where
        A: Pack,
        R: Unpack,
    {
        let reply = self.call_raw(prog, vers, proc, args).await?;
        decode_result(&reply)
    }

    /// Calls procedure `proc` and returns the reply with its RPC header checked, for
    /// the caller to decode the result itself.
    pub async fn call_raw<A: Pack>(
        &self,
        prog: u32,
        vers: u32,
        proc: u32,
        args: &A,
    ) -> Result<Reply, RpcError> {
        self.call_with_payload(prog, vers, proc, args, None, false)
            .await
    }

    /// Like [`RpcClient::call_raw`], with `payload` sent after `args` as the bytes
    /// of an opaque whose length `args` ends with (a WRITE's data), uncopied.
    /// A `bulk` call (READ, WRITE) goes to the next connection of the set in turn;
    /// any other to the first, so a sequence of small calls finds a connection
    /// (and server thread) warm rather than the coldest of eight. The transport
    /// gives up on nothing by itself: time limits are the caller's.
    pub async fn call_with_payload<A: Pack>(
        &self,
        prog: u32,
        vers: u32,
        proc: u32,
        args: &A,
        payload: Option<Payload>,
        bulk: bool,
    ) -> Result<Reply, RpcError> {
        let xid = self.next_xid.fetch_add(1, Ordering::Relaxed);
        let head = self.encode_call(xid, prog, vers, proc, args, payload.as_ref())?;
        let record = Outgoing { head, payload };
        let _slot = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| RpcError::ConnectionLost("client closed".to_string()))?;
        let reply = self.exchange(xid, record, bulk).await?;
        let start = check_reply_header(&reply, xid)?;
        Ok(Reply {
            record: reply,
            start,
        })
    }

    fn encode_call<A: Pack>(
        &self,
        xid: u32,
        prog: u32,
        vers: u32,
        proc: u32,
        args: &A,
        payload: Option<&Payload>,
    ) -> Result<Vec<u8>, RpcError> {
        let message = rpc_msg {
            xid,
            body: msg_body::CALL(call_body {
                rpcvers: RPC_VERSION_2,
                prog,
                vers,
                proc,
                cred: self.credential.borrow(),
                verf: opaque_auth::default(),
            }),
        };
        let length = message.packed_size()
            + args.packed_size()
            + payload.map_or(0, |p| padded(p.range.len()));
        let header = u32::try_from(length)
            .ok()
            .filter(|&l| l <= fragment_header::MASK)
            .ok_or_else(|| RpcError::Garbled(format!("call of {length} bytes is too large")))?;
        let mut record = Vec::with_capacity(4 + length - payload.map_or(0, |p| p.range.len()));
        let packed = fragment_header::new(header, true)
            .pack(&mut record)
            .and_then(|_| message.pack(&mut record))
            .and_then(|_| args.pack(&mut record));
        packed.map_err(|e| RpcError::Garbled(format!("cannot encode call: {e}")))?;
        Ok(record)
    }

    /// Sends one record and waits for the reply with the same xid.
    async fn exchange(&self, xid: u32, record: Outgoing, bulk: bool) -> Result<Buffer, RpcError> {
        let connection = self.connection(bulk).await?;
        let (sender, receiver) = oneshot::channel();
        {
            let mut waiting = connection.waiting.lock();
            if let Some(why) = &waiting.dead {
                return Err(RpcError::ConnectionLost(why.clone()));
            }
            waiting.by_xid.insert(xid, sender);
        }
        // Deregisters the xid if this future is dropped before the reply comes.
        let guard = WaitGuard {
            waiting: &connection.waiting,
            xid,
        };
        connection.writer.send(record, &connection.waiting)?;
        let reply = receiver
            .await
            .unwrap_or_else(|_| Err(RpcError::ConnectionLost("reply channel closed".to_string())));
        drop(guard);
        reply
    }

    /// The next connection in turn for a `bulk` call, else the first; made now if
    /// it is not live.
    async fn connection(&self, bulk: bool) -> Result<Arc<Connection>, RpcError> {
        let index = if bulk {
            self.next_slot.fetch_add(1, Ordering::Relaxed) % self.slots.len()
        } else {
            0
        };
        let slot = &self.slots[index];
        if let Some(connection) = slot.live() {
            return Ok(connection);
        }
        let _one_at_a_time = slot.connecting.lock().await;
        if let Some(connection) = slot.live() {
            return Ok(connection);
        }
        let address = self.address;
        let timeout = self.connect_timeout;
        let connection = reactor::spawn(async move { Connection::open(address, timeout).await })
            .await
            .unwrap_or_else(|e| Err(RpcError::Connect(std::io::ErrorKind::Other, e)))?;
        let connection = Arc::new(connection);
        *slot.connection.lock() = Some(connection.clone());
        Ok(connection)
    }
}

impl Slot {
    fn live(&self) -> Option<Arc<Connection>> {
        let slot = self.connection.lock();
        slot.as_ref()
            .filter(|c| c.waiting.lock().dead.is_none())
            .cloned()
    }
}

impl Drop for RpcClient {
    fn drop(&mut self) {
        for slot in &self.slots {
            if let Some(connection) = slot.connection.lock().take() {
                connection.waiting.lock().kill("client dropped");
            }
        }
    }
}

struct WaitGuard<'a> {
    waiting: &'a Mutex<Waiting>,
    xid: u32,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        self.waiting.lock().by_xid.remove(&self.xid);
    }
}

impl Connection {
    /// Connects and starts the reader and writer tasks (on the reactor).
    async fn open(address: SocketAddr, timeout: Duration) -> Result<Connection, RpcError> {
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(RpcError::Connect(e.kind(), format!("{address}: {e}"))),
            Err(_) => {
                return Err(RpcError::Connect(
                    std::io::ErrorKind::TimedOut,
                    format!("{address}: no answer within {timeout:?}"),
                ))
            }
        };
        let _ = stream.set_nodelay(true);
        let (reader, half) = stream.into_split();
        let writer = Arc::new(Writer {
            half,
            state: Mutex::new(WriterState::default()),
            wake: Notify::new(),
        });
        let waiting = Arc::new(Mutex::new(Waiting::default()));
        tokio::spawn(write_records(writer.clone(), waiting.clone()));
        tokio::spawn(read_records(reader, waiting.clone()));
        Ok(Connection { writer, waiting })
    }
}

/// The writer task: whenever woken, writes what is queued, small records
/// gathered (one system call for many), large ones (WRITE payloads) straight
/// from their buffers; ends when the connection is dropped or a write fails.
async fn write_records(writer: Arc<Writer>, waiting: Arc<Mutex<Waiting>>) {
    let mut batch = Vec::new();
    loop {
        writer.wake.notified().await;
        if writer.state.lock().closed {
            return;
        }
        while let Some(large) = writer.next(&mut batch) {
            let sent = match &large {
                Some(record) => send_large(&writer.half, record).await,
                None => write_all(&writer.half, &batch).await,
            };
            if let Err(e) = sent {
                writer.state.lock().closed = true;
                waiting.lock().kill(&format!("write failed: {e}"));
                return;
            }
        }
    }
}

/// Writes all of `bytes` through the shared write half.
async fn write_all(
    half: &tokio::net::tcp::OwnedWriteHalf,
    mut bytes: &[u8],
) -> std::io::Result<()> {
    while !bytes.is_empty() {
        half.writable().await?;
        match half.try_write(bytes) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Appends `record` (payload and padding included) to `batch`.
fn gather(batch: &mut Vec<u8>, record: &Outgoing) {
    batch.extend_from_slice(&record.head);
    if let Some(payload) = &record.payload {
        batch.extend_from_slice(payload.bytes());
        batch.resize(
            batch.len() + padded(payload.range.len()) - payload.range.len(),
            0,
        );
    }
}

/// Writes one large record without copying its payload.
async fn send_large(
    half: &tokio::net::tcp::OwnedWriteHalf,
    record: &Outgoing,
) -> std::io::Result<()> {
    write_all(half, &record.head).await?;
    if let Some(payload) = &record.payload {
        write_all(half, payload.bytes()).await?;
        let pad = padded(payload.range.len()) - payload.range.len();
        write_all(half, &[0u8; 4][..pad]).await?;
    }
    Ok(())
}

/// Reads reply records and hands each to the caller waiting for its xid.
async fn read_records(mut reader: tokio::net::tcp::OwnedReadHalf, waiting: Arc<Mutex<Waiting>>) {
    let why = loop {
        let record = match read_record(&mut reader).await {
            Ok(record) => record,
            Err(why) => break why,
        };
        let Some(xid) = record
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        else {
            break "reply shorter than an xid".to_string();
        };
        // A reply nobody waits for (a call given up on) is dropped.
        if let Some(sender) = waiting.lock().by_xid.remove(&xid) {
            let _ = sender.send(Ok(record));
        }
    };
    waiting.lock().kill(&why);
}

/// One record: its fragments joined, at most [`MAX_RECORD`] bytes.
async fn read_record(reader: &mut tokio::net::tcp::OwnedReadHalf) -> Result<Buffer, String> {
    let mut record = Buffer::default();
    loop {
        let mut header = [0u8; 4];
        reader
            .read_exact(&mut header)
            .await
            .map_err(|e| format!("read failed: {e}"))?;
        let header = fragment_header::from(header);
        let length = header.fragment_length() as usize;
        if record.len() + length > MAX_RECORD {
            return Err(format!("reply record over {MAX_RECORD} bytes"));
        }
        let start = record.len();
        if start == 0 {
            record = Buffer::with_len(length);
        } else {
            record.resize(start + length);
        }
        reader
            .read_exact(&mut record[start..])
            .await
            .map_err(|e| format!("read failed: {e}"))?;
        if header.eof() {
            return Ok(record);
        }
    }
}

/// Checks the reply header of `record`; returns where the result starts.
fn check_reply_header(record: &[u8], xid: u32) -> Result<usize, RpcError> {
    let mut cursor = Cursor::new(record);
    let (message, _) = rpc_msg::unpack(&mut cursor)
        .map_err(|e| RpcError::Garbled(format!("reply header: {e}")))?;
    if message.xid != xid {
        return Err(RpcError::Garbled(format!(
            "reply xid {} for call {xid}",
            message.xid
        )));
    }
    match message.body {
        msg_body::REPLY(reply_body::MSG_ACCEPTED(accepted)) => match accepted.reply_data {
            accept_stat_data::SUCCESS => {}
            other => return Err(RpcError::NotRun(format!("{other:?}"))),
        },
        msg_body::REPLY(reply_body::MSG_DENIED(denied)) => {
            return Err(RpcError::Denied(format!("{denied:?}")))
        }
        msg_body::CALL(_) => {
            return Err(RpcError::Garbled(
                "a call where a reply was expected".to_string(),
            ))
        }
    }
    Ok(cursor.position() as usize)
}

/// Decodes the result of a checked reply; every byte must belong to it.
pub fn decode_result<R: Unpack>(reply: &Reply) -> Result<R, RpcError> {
    let body = reply.record.get(reply.start..).unwrap_or_default();
    let mut cursor = Cursor::new(body);
    let (result, _) =
        R::unpack(&mut cursor).map_err(|e| RpcError::Garbled(format!("result: {e}")))?;
    if cursor.position() as usize != body.len() {
        return Err(RpcError::Garbled(format!(
            "{} bytes left after the result",
            body.len() - cursor.position() as usize
        )));
    }
    Ok(result)
}
