//! The ONC RPC transport: many calls in flight on a small set of TCP connections,
//! replies matched to callers by xid in whatever order they arrive.
//!
//! nfs3_client's own client takes `&mut self` and allows one call at a time per
//! connection, which forces either a lock around every call or a connection per
//! caller (what the OSv driver did per thread). This transport instead runs a reader
//! and a writer task per connection on the backend's reactor (`crate::reactor`);
//! a caller encodes its call, registers its xid, queues the bytes and waits on a
//! oneshot channel. Those channels work under any executor, so the futures of this
//! module run under tokio, another runtime, or `block_on` from a plain thread.
//!
//! Encoding and decoding happen in the caller's task (with the XDR types of
//! nfs3_types), so the reactor only moves bytes.
//!
//! A client keeps [`CONNECTIONS`] connections to its server and spreads calls over
//! them (Linux's `nconnect`): one TCP stream has one reader task copying every
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
use std::fmt;
use std::io::Cursor;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

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

/// One live TCP connection: the queue to its writer task and the callers waiting
/// for replies.
struct Connection {
    outgoing: mpsc::UnboundedSender<Outgoing>,
    waiting: Arc<Mutex<Waiting>>,
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

    /// Gives up on a call (with [`RpcError::TimedOut`]) when no reply came within
    /// `limit`: what a soft mount does. Without it a call waits as long as the
    /// connection lives (a hard mount on TCP, where the transport itself
    /// retransmits).
    pub fn with_call_timeout(mut self, limit: Option<Duration>) -> RpcClient {
        self.call_timeout = limit;
        self
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
        self.call_with_payload(prog, vers, proc, args, None).await
    }

    /// Like [`RpcClient::call_raw`], with `payload` sent after `args` as the bytes
    /// of an opaque whose length `args` ends with (a WRITE's data), uncopied.
    pub async fn call_with_payload<A: Pack>(
        &self,
        prog: u32,
        vers: u32,
        proc: u32,
        args: &A,
        payload: Option<Payload>,
    ) -> Result<Reply, RpcError> {
        let xid = self.next_xid.fetch_add(1, Ordering::Relaxed);
        let head = self.encode_call(xid, prog, vers, proc, args, payload.as_ref())?;
        let record = Outgoing { head, payload };
        let _slot = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| RpcError::ConnectionLost("client closed".to_string()))?;
        let reply = match self.call_timeout {
            None => self.exchange(xid, record).await?,
            Some(limit) => {
                let timer = reactor::sleep(limit);
                let exchange = std::pin::pin!(self.exchange(xid, record));
                match futures::future::select(exchange, std::pin::pin!(timer)).await {
                    futures::future::Either::Left((reply, _)) => reply?,
                    futures::future::Either::Right(_) => {
                        return Err(RpcError::TimedOut(format!(
                            "{} gave none within {limit:?}",
                            self.address
                        )))
                    }
                }
            }
        };
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
    async fn exchange(&self, xid: u32, record: Outgoing) -> Result<Buffer, RpcError> {
        let connection = self.connection().await?;
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
        if connection.outgoing.send(record).is_err() {
            return Err(RpcError::ConnectionLost("writer stopped".to_string()));
        }
        let reply = receiver
            .await
            .unwrap_or_else(|_| Err(RpcError::ConnectionLost("reply channel closed".to_string())));
        drop(guard);
        reply
    }

    /// The next connection in turn, made now if it is not live.
    async fn connection(&self) -> Result<Arc<Connection>, RpcError> {
        let slot = &self.slots[self.next_slot.fetch_add(1, Ordering::Relaxed) % self.slots.len()];
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
        let (reader, writer) = stream.into_split();
        let (outgoing, queue) = mpsc::unbounded_channel();
        let waiting = Arc::new(Mutex::new(Waiting::default()));
        tokio::spawn(write_records(writer, queue, waiting.clone()));
        tokio::spawn(read_records(reader, waiting.clone()));
        Ok(Connection { outgoing, waiting })
    }
}

/// Writes queued records: small ones gathered, several per system call when they
/// pile up; large ones (WRITE payloads) straight from their buffers.
async fn write_records(
    mut writer: tokio::net::tcp::OwnedWriteHalf,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
    waiting: Arc<Mutex<Waiting>>,
) {
    let mut batch = Vec::new();
    let mut next = None;
    loop {
        let record = match next.take() {
            Some(record) => record,
            None => match queue.recv().await {
                Some(record) => record,
                None => return,
            },
        };
        let sent = if record.len() > GATHER {
            send_large(&mut writer, &record).await
        } else {
            batch.clear();
            gather(&mut batch, &record);
            while batch.len() < GATHER {
                match queue.try_recv() {
                    Ok(more) if more.len() <= GATHER => gather(&mut batch, &more),
                    Ok(more) => {
                        next = Some(more);
                        break;
                    }
                    Err(_) => break,
                }
            }
            writer.write_all(&batch).await
        };
        if let Err(e) = sent {
            waiting.lock().kill(&format!("write failed: {e}"));
            return;
        }
    }
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
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    record: &Outgoing,
) -> std::io::Result<()> {
    writer.write_all(&record.head).await?;
    if let Some(payload) = &record.payload {
        writer.write_all(payload.bytes()).await?;
        let pad = padded(payload.range.len()) - payload.range.len();
        writer.write_all(&[0u8; 4][..pad]).await?;
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
