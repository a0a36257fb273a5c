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
    /// The soft mount's time limit passed (the text says how: no reply, or
    /// JUKEBOX answers all along).
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
            RpcError::TimedOut(why) => f.write_str(why),
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

type ReplySender = oneshot::Sender<Result<Delivery, RpcError>>;

/// How a reply reaches its caller.
enum Delivery {
    /// The whole record, read by the connection's reader task.
    Whole(Buffer),
    /// The record up to its trailing opaque (a READ's data), with the connection's
    /// socket lent to the caller to read the opaque straight into its own buffer:
    /// the data is copied once, out of the kernel, by the thread that wants it.
    /// The socket goes back through `back`; if it never does (the caller gave up
    /// part way), the record is cut and the connection dies.
    Direct {
        head: Buffer,
        data_len: usize,
        socket: tokio::net::tcp::OwnedReadHalf,
        back: oneshot::Sender<tokio::net::tcp::OwnedReadHalf>,
    },
}

/// A call whose result ends with an opaque the caller may receive in place: the
/// result is `head` bytes (the last four the opaque's length) then the opaque.
/// READ3resok with attributes has this shape.
#[derive(Clone, Copy, Debug)]
pub struct DirectData {
    /// Bytes of the result before the opaque's data, its length word included.
    pub head: usize,
}

/// A caller waiting for a reply.
struct Waiter {
    sender: ReplySender,
    /// For a [`DirectData`] call: the result's head size and how many data bytes
    /// the caller's buffer takes now (0 until it waits with a buffer).
    direct: Option<(usize, Arc<AtomicUsize>)>,
}

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
    by_xid: HashMap<u32, Waiter>,
    dead: Option<String>,
}

impl Waiting {
    /// Fails every waiting caller and refuses new ones.
    fn kill(&mut self, why: &str) {
        self.dead.get_or_insert_with(|| why.to_string());
        for (_, waiter) in self.by_xid.drain() {
            let _ = waiter
                .sender
                .send(Err(RpcError::ConnectionLost(why.to_string())));
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
    in_flight: Arc<tokio::sync::Semaphore>,
    call_timeout: Option<Duration>,
}

/// A reply record whose RPC header was checked: the procedure's result starts at
/// `start`. Lets a caller decode the result in place (READ copies its data straight
/// from here into the caller's buffer).
pub struct Reply {
    /// The whole record, or for a [`DirectData`] call whose data landed in the
    /// caller's buffer, the record up to that data.
    pub record: Buffer,
    /// Where the procedure's result starts.
    pub start: usize,
    /// For a [`DirectData`] call: how many data bytes were placed at the start of
    /// the caller's buffer instead of in `record`.
    pub landed: Option<usize>,
}

/// A call sent and not yet answered: the xid stays registered, and the in-flight
/// slot taken, until the reply is taken with [`Pending::finish`] or this is
/// dropped. Lets a caller send several calls before waiting (readahead) and pick
/// the buffer a READ's data lands in only when it waits.
pub struct Pending {
    xid: u32,
    connection: Arc<Connection>,
    receiver: oneshot::Receiver<Result<Delivery, RpcError>>,
    capacity: Option<Arc<AtomicUsize>>,
    _slot: tokio::sync::OwnedSemaphorePermit,
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
            in_flight: Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT)),
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
        self.start(prog, vers, proc, args, None, false, None)
            .await?
            .finish(None)
            .await
    }

    /// Sends a call and returns without waiting for its reply; `payload` goes after
    /// `args` as the bytes of an opaque whose length `args` ends with (a WRITE's
    /// data), uncopied. The transport gives up on nothing by itself: time limits
    /// are the caller's. A `bulk` call
    /// (READ, WRITE) goes to the next connection of the set in turn; any other to
    /// the first, so a sequence of small calls finds a connection (and server
    /// thread) warm rather than the coldest of eight. With `direct`, the result's
    /// trailing data may land in the buffer given to [`Pending::finish`].
    #[allow(clippy::too_many_arguments)]
    pub async fn start<A: Pack>(
        &self,
        prog: u32,
        vers: u32,
        proc: u32,
        args: &A,
        payload: Option<Payload>,
        bulk: bool,
        direct: Option<DirectData>,
    ) -> Result<Pending, RpcError> {
        let xid = self.next_xid.fetch_add(1, Ordering::Relaxed);
        let head = self.encode_call(xid, prog, vers, proc, args, payload.as_ref())?;
        let record = Outgoing { head, payload };
        let slot = self
            .in_flight
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| RpcError::ConnectionLost("client closed".to_string()))?;
        let connection = self.connection(bulk).await?;
        let (sender, receiver) = oneshot::channel();
        let capacity = direct.map(|_| Arc::new(AtomicUsize::new(0)));
        {
            let mut waiting = connection.waiting.lock();
            if let Some(why) = &waiting.dead {
                return Err(RpcError::ConnectionLost(why.clone()));
            }
            let direct = direct.zip(capacity.clone()).map(|(d, c)| (d.head, c));
            waiting.by_xid.insert(xid, Waiter { sender, direct });
        }
        let pending = Pending {
            xid,
            connection,
            receiver,
            capacity,
            _slot: slot,
        };
        pending
            .connection
            .writer
            .send(record, &pending.connection.waiting)?;
        Ok(pending)
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

impl Pending {
    /// Waits for the reply and checks its RPC header. With `dest`, a
    /// [`DirectData`] call's data may be read from the socket straight into
    /// `dest` (the reply's `landed` says how much); otherwise it stays in the
    /// record.
    pub async fn finish(mut self, dest: Option<&mut [u8]>) -> Result<Reply, RpcError> {
        if let (Some(capacity), Some(dest)) = (&self.capacity, &dest) {
            capacity.store(dest.len(), Ordering::Release);
        }
        let delivery = (&mut self.receiver).await.unwrap_or_else(|_| {
            Err(RpcError::ConnectionLost("reply channel closed".to_string()))
        })?;
        let (record, landed) = match delivery {
            Delivery::Whole(record) => (record, None),
            Delivery::Direct {
                head,
                data_len,
                mut socket,
                back,
            } => {
                let Some(dest) = dest.and_then(|d| d.get_mut(..data_len)) else {
                    // Cannot happen (the reader checked the capacity); dropping
                    // the socket cuts the connection rather than misread it.
                    return Err(RpcError::ConnectionLost(
                        "direct reply without a buffer".into(),
                    ));
                };
                let mut pad = [0u8; 3];
                let pad = &mut pad[..padded(data_len) - data_len];
                let received = async {
                    receive_exact(&mut socket, dest).await?;
                    receive_exact(&mut socket, pad).await
                };
                if let Err(e) = received.await {
                    return Err(RpcError::ConnectionLost(format!("read failed: {e}")));
                }
                let _ = back.send(socket);
                (head, Some(data_len))
            }
        };
        let start = check_reply_header(&record, self.xid)?;
        Ok(Reply {
            record,
            start,
            landed,
        })
    }
}

impl Drop for Pending {
    /// Deregisters the xid: a reply that still comes is dropped by the reader.
    fn drop(&mut self) {
        self.connection.waiting.lock().by_xid.remove(&self.xid);
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
        tokio::spawn(read_records(reader, waiting.clone(), address));
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

/// Bytes of an accepted RPC reply after the xid when the verifier is empty:
/// message type, reply status, verifier flavor and length, accept status.
const ACCEPTED_HEADER: usize = 20;

/// The longest record start (xid, accepted header, result head) a reply whose
/// data goes straight to its caller may have; READ's is 128 bytes.
const DIRECT_HEAD_MAX: usize = 256;

/// Reads reply records and hands each to the caller waiting for its xid.
async fn read_records(
    reader: tokio::net::tcp::OwnedReadHalf,
    waiting: Arc<Mutex<Waiting>>,
    server: SocketAddr,
) {
    let mut reader = Some(reader);
    let why = loop {
        let Some(socket) = reader.as_mut() else {
            break "reply abandoned part way".to_string();
        };
        match read_reply(socket, &waiting).await {
            Ok(None) => {}
            Ok(Some((xid, head, data_len))) => {
                // Lend the socket to the caller for the data; wait for it back.
                let Some(waiter) = waiting.lock().by_xid.remove(&xid) else {
                    if let Err(why) = discard(socket, padded(data_len)).await {
                        break why;
                    }
                    continue;
                };
                let (back, returned) = oneshot::channel();
                let delivery = Delivery::Direct {
                    head,
                    data_len,
                    socket: reader.take().expect("checked above"),
                    back,
                };
                match waiter.sender.send(Ok(delivery)) {
                    Ok(()) => reader = returned.await.ok(),
                    Err(Ok(Delivery::Direct { mut socket, .. })) => {
                        // The caller gave up meanwhile: skip its data.
                        if let Err(why) = discard(&mut socket, padded(data_len)).await {
                            break why;
                        }
                        reader = Some(socket);
                    }
                    Err(_) => break "reply lost its socket".to_string(),
                }
            }
            Err(ReadStop::Lost(why)) => break why,
            Err(ReadStop::Broken(why)) => {
                // The callers see EIO (connection lost, then resent on a new one);
                // whoever runs the program sees why.
                let _ = crate::error::rejected(vfs_core::Errno::EIO, &server.to_string(), &why);
                break why;
            }
        }
    };
    waiting.lock().kill(&why);
}

/// Why the reader task stopped reading a connection.
enum ReadStop {
    /// The connection failed or closed.
    Lost(String),
    /// The server sent something no RPC server may: the connection is dropped.
    Broken(String),
}

impl From<String> for ReadStop {
    fn from(why: String) -> ReadStop {
        ReadStop::Lost(why)
    }
}

/// Reads one reply record. A whole record is handed to its waiter here and
/// `None` returned; a [`DirectData`] reply whose caller waits with room for its
/// data is read up to the data and returned as (xid, head, data length), the
/// data still in the socket.
async fn read_reply(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    waiting: &Mutex<Waiting>,
) -> Result<Option<(u32, Buffer, usize)>, ReadStop> {
    let (length, last) = read_fragment_header(reader).await?;
    // The record's start, read before knowing whether its data goes to a caller's
    // buffer: a record buffer of the full length would be taken (and zeroed) for
    // nothing on every direct READ.
    let mut start = [0u8; DIRECT_HEAD_MAX];
    let mut filled = 0;
    let mut direct = None;
    if last && length >= 4 {
        read_exact(reader, &mut start[..4]).await?;
        filled = 4;
        let xid = u32::from_be_bytes([start[0], start[1], start[2], start[3]]);
        let room = waiting.lock().by_xid.get(&xid).and_then(|w| {
            let (head, capacity) = w.direct.as_ref()?;
            Some((*head, capacity.load(Ordering::Acquire)))
        });
        direct = room.map(|(head, capacity)| (xid, 4 + ACCEPTED_HEADER + head, capacity));
    }
    if let Some((xid, head_end, capacity)) = direct {
        if capacity > 0 && length >= head_end && head_end <= DIRECT_HEAD_MAX {
            wait_until_queued(reader, length - filled).await?;
            read_exact(reader, &mut start[4..head_end]).await?;
            filled = head_end;
            if let Some(data_len) = direct_data_len(&start[..head_end], length, capacity) {
                return Ok(Some((xid, Buffer::copy_of(&start[..head_end]), data_len)));
            }
        }
    }
    let mut record = Buffer::with_len(length);
    record[..filled].copy_from_slice(&start[..filled]);
    read_exact(reader, &mut record[filled..]).await?;
    if !last {
        // Later fragments joined on (servers rarely split a reply).
        loop {
            let (more, last) = read_fragment_header(reader).await?;
            let start = record.len();
            if start + more > MAX_RECORD {
                return Err(ReadStop::Broken(format!(
                    "reply record over {MAX_RECORD} bytes"
                )));
            }
            record.resize(start + more);
            read_exact(reader, &mut record[start..]).await?;
            if last {
                break;
            }
        }
    }
    let Some(xid) = record
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    else {
        return Err(ReadStop::Broken("reply shorter than an xid".to_string()));
    };
    // A reply nobody waits for (a call given up on) is dropped.
    if let Some(waiter) = waiting.lock().by_xid.remove(&xid) {
        let _ = waiter.sender.send(Ok(Delivery::Whole(record)));
    }
    Ok(None)
}

/// The data length of a direct reply whose record (`length` bytes) starts with
/// `head`: the RPC header must be an accepted SUCCESS with an empty verifier, the
/// head's last word the data length, the record exactly the head and the padded
/// data, and the data no larger than `capacity`. Anything else is read whole and
/// judged by the caller's decoder.
fn direct_data_len(head: &[u8], length: usize, capacity: usize) -> Option<usize> {
    let word = |at: usize| {
        head.get(at..at + 4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    // After the xid: REPLY (1), MSG_ACCEPTED (0), any flavor, verifier length 0,
    // SUCCESS (0).
    let accepted = word(4)? == 1 && word(8)? == 0 && word(16)? == 0 && word(20)? == 0;
    let data_len = word(head.len() - 4)? as usize;
    (accepted && data_len > 0 && data_len <= capacity && head.len() + padded(data_len) == length)
        .then_some(data_len)
}

/// A fragment header: the fragment's length (bounded by [`MAX_RECORD`]) and
/// whether it ends its record.
async fn read_fragment_header(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
) -> Result<(usize, bool), ReadStop> {
    let mut header = [0u8; 4];
    read_exact(reader, &mut header).await?;
    let header = fragment_header::from(header);
    let length = header.fragment_length() as usize;
    if length > MAX_RECORD {
        return Err(ReadStop::Broken(format!(
            "reply record over {MAX_RECORD} bytes"
        )));
    }
    Ok((length, header.eof()))
}

/// [`receive_exact`] for the reader task, which reports failures as text.
async fn read_exact(
    reader: &mut tokio::net::tcp::OwnedReadHalf,
    into: &mut [u8],
) -> Result<(), String> {
    receive_exact(reader, into)
        .await
        .map_err(|e| format!("read failed: {e}"))
}

/// Missing bytes from which [`receive_exact`] raises the socket's low mark: below
/// it the mark would save no wakeup worth its system call.
const MARK_FROM: usize = 64 << 10;

/// Reads exactly `into.len()` bytes, waking once the rest has arrived rather than
/// once per TCP segment: while it waits for [`MARK_FROM`] bytes or more, the
/// socket's `SO_RCVLOWAT` is the bytes still missing, at that wait and every
/// later one of the read (Linux may wake it below the mark, so the mark must
/// follow the missing bytes down), and 1 again afterwards, for the small reads
/// that follow. A 1 MiB READ reply arrives in many segments, and
/// each wakeup costs an `epoll` round on an I/O thread (and, when the data goes
/// straight to a caller, a switch to the caller's thread); with the mark, eight
/// streaming readers on a two-core machine spend about a fifth less system time,
/// which the server gets instead. Linux grows the receive buffer to hold the mark
/// and wakes a reader below it anyway when memory runs short, the window closes
/// or the connection ends, so the mark cannot stall a reply.
async fn receive_exact(
    socket: &mut tokio::net::tcp::OwnedReadHalf,
    into: &mut [u8],
) -> std::io::Result<()> {
    let mut filled = 0;
    let mut marked = false;
    while filled < into.len() {
        match socket.try_read(&mut into[filled..]) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let missing = into.len() - filled;
                // Once raised, the mark follows what is missing down: left above
                // it, the last bytes would never wake us. Unsupported (an old
                // kernel), no mark: every segment wakes us.
                if missing >= MARK_FROM || marked {
                    match set_receive_low_mark(socket, missing) {
                        Ok(()) => marked = true,
                        Err(_) if !marked => {}
                        Err(e) => return Err(e),
                    }
                }
                socket.readable().await?;
            }
            Err(e) => return Err(e),
        }
    }
    if marked {
        // Left raised, the next read would wait forever for a small reply.
        set_receive_low_mark(socket, 1)?;
    }
    Ok(())
}

/// Waits (once) until `bytes` more are queued on the socket, when that is
/// [`MARK_FROM`] or more: the reader task calls it before lending the socket for
/// a direct reply's data, so the caller finds the whole reply there and copies it
/// in one call. The wait then costs an I/O thread one wakeup, where the caller
/// waiting for the data itself would park, and be woken through an I/O thread,
/// once per wait (eight streaming readers: `threads_8` 0.99-1.10 -> 1.14-1.17 of
/// libnfs). Returns after one wakeup whatever is queued by then (Linux wakes
/// below the mark when the receive buffer cannot hold it): the reads that follow
/// wait for the rest.
async fn wait_until_queued(
    socket: &mut tokio::net::tcp::OwnedReadHalf,
    bytes: usize,
) -> Result<(), String> {
    use std::os::fd::AsRawFd;
    if bytes < MARK_FROM {
        return Ok(());
    }
    let fd = socket.as_ref().as_raw_fd();
    let queued = || {
        let mut queued: libc::c_int = 0;
        // SAFETY: FIONREAD on the live socket `socket` owns writes one c_int.
        let status = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut queued) };
        if status == 0 {
            Ok(queued as usize)
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    // A WouldBlock here clears the socket's readiness, so `readable` below
    // waits for the kernel's next wakeup rather than returning at once.
    let there = socket
        .as_ref()
        .try_io(tokio::io::Interest::READABLE, || match queued()? {
            n if n >= bytes => Ok(()),
            _ => Err(std::io::ErrorKind::WouldBlock.into()),
        });
    match there {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        // Queued already, or the count is unavailable: the reads that follow
        // wait as they must.
        _ => return Ok(()),
    }
    if set_receive_low_mark(socket, bytes).is_err() {
        return Ok(());
    }
    let woke = socket.readable().await;
    // Left raised, the small reads that follow would wait for it.
    set_receive_low_mark(socket, 1).map_err(|e| format!("read failed: {e}"))?;
    woke.map_err(|e| format!("read failed: {e}"))
}

/// Sets `SO_RCVLOWAT`: `readable()` waits until `bytes` are queued.
fn set_receive_low_mark(
    socket: &tokio::net::tcp::OwnedReadHalf,
    bytes: usize,
) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // Bounded by MAX_RECORD, so it fits.
    let bytes = bytes.min(MAX_RECORD) as libc::c_int;
    // SAFETY: the descriptor is the live socket `socket` owns; the option value
    // is a c_int of the size passed.
    let status = unsafe {
        libc::setsockopt(
            socket.as_ref().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&bytes as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if status == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Reads and drops `len` bytes (data whose caller is gone).
async fn discard(reader: &mut tokio::net::tcp::OwnedReadHalf, len: usize) -> Result<(), String> {
    let mut scratch = Buffer::with_len(len);
    read_exact(reader, &mut scratch).await
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// Runs `check` on a connected pair whose reading end has a fixed receive
    /// buffer of `buffer` bytes (Linux caps the low mark at half of it: with a
    /// small one a long read waits under the mark several times, and its last
    /// bytes are fewer than [`MARK_FROM`]). The other end sends `len` bytes of
    /// [`pattern`] in pieces a little apart, then `next` 50 ms later, and stays
    /// connected: only data can wake the reader. `check` gets the reading end and
    /// the bytes sent before `next`.
    fn with_trickling_sender<F>(buffer: u32, len: u32, check: F)
    where
        F: AsyncFnOnce(tokio::net::tcp::OwnedReadHalf, Vec<u8>),
    {
        let data = pattern(len);
        let expected = data.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.set_recv_buffer_size(buffer).unwrap();
            let client = socket
                .connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            let sender = tokio::spawn(async move {
                for piece in data.chunks(10_000) {
                    server.write_all(piece).await.unwrap();
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                server.write_all(b"next").await.unwrap();
                server
            });
            let (reader, _writer) = client.into_split();
            check(reader, expected).await;
            drop(sender.await.unwrap());
        });
    }

    fn pattern(len: u32) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    /// `receive_exact` of `len` bytes, failing the test after 20 s.
    async fn receive(
        reader: &mut tokio::net::tcp::OwnedReadHalf,
        len: usize,
        what: &str,
    ) -> Vec<u8> {
        let mut into = vec![0; len];
        let read = tokio::time::timeout(Duration::from_secs(20), receive_exact(reader, &mut into));
        read.await
            .unwrap_or_else(|_| panic!("{what} never woke"))
            .unwrap();
        into
    }

    /// The short read after a long one: `next`.
    async fn receive_next(reader: &mut tokio::net::tcp::OwnedReadHalf) {
        assert_eq!(
            receive(reader, 4, "the short read after the long one").await,
            b"next"
        );
    }

    /// `wait_until_queued` for `len` bytes with a `buffer`-byte receive buffer,
    /// then the read of them and the short read after.
    fn wait_then_read(buffer: u32, len: u32) {
        with_trickling_sender(buffer, len, async |mut reader, expected| {
            let waited = tokio::time::timeout(
                Duration::from_secs(20),
                wait_until_queued(&mut reader, expected.len()),
            );
            waited.await.expect("the wait never ended").unwrap();
            assert!(
                receive(&mut reader, expected.len(), "the read after the wait").await == expected
            );
            receive_next(&mut reader).await;
        });
    }

    #[test]
    fn a_long_read_wakes_for_its_last_bytes_and_a_short_one_after_it() {
        with_trickling_sender(64 << 10, 1_000_003, async |mut reader, expected| {
            assert!(
                receive(&mut reader, expected.len(), "the long read's last bytes").await
                    == expected
            );
            receive_next(&mut reader).await;
        });
    }

    #[test]
    fn waiting_for_more_than_the_buffer_holds_returns_and_lowers_the_mark() {
        wait_then_read(64 << 10, 1_000_003);
    }

    /// All there after the wait: the read takes it without waiting, so only the
    /// wait's own reset lets the short read after it wake.
    #[test]
    fn waiting_for_a_reply_the_buffer_holds_lowers_the_mark_after() {
        wait_then_read(1 << 20, 300_001);
    }
}
