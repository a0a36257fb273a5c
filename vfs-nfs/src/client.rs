//! Typed NFSv3 calls over the multiplexed transport, with Linux's retry rules.
//!
//! - A **hard** mount (the default) waits for the server: a call whose connection
//!   broke is sent again on a fresh connection, and a server that refuses or does
//!   not accept connections is tried again with a pause doubling up to `timeo`,
//!   for as long as it takes. Only dropping the call's future ends the wait.
//! - A **soft** mount gives up after `timeo x (retrans + 1)` in all (or after
//!   `retrans` resends following lost connections) with `ETIMEDOUT` or the last
//!   transport error.
//! - Both send a call again after a pause when the server answers
//!   `NFS3ERR_JUKEBOX` ("busy, ask later", e.g. a file being recalled from tape).
//!
//! A call sent again after its first reply was lost may find its own work done.
//! NFSv3's non-idempotent procedures then answer what Linux's client turns into
//! success, and so does this one: a resent REMOVE or RMDIR answered `NOENT`, and a
//! resent RENAME answered `NOENT` while its target now exists, report success.
//! (A resent GUARDED CREATE answered `EEXIST` is handled above this layer: the
//! namespace then opens the file, see `proc_dir`.)

use crate::buffers::Buffer;
use crate::reactor;
use crate::rpc::{decode_result, DirectData, Payload, Pending, Reply, RpcClient, RpcError};
use nfs3_types::nfs3::{
    nfsstat3, LOOKUP3args, LOOKUP3res, Nfs3Result, RENAME3args, NFS_PROGRAM, PROGRAM, VERSION,
};
use nfs3_types::xdr_codec::{Pack, Unpack};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vfs_core::{Error, Result};

/// The first pause before connecting again to a server that refused; it doubles
/// up to the mount's `timeo`.
const FIRST_PAUSE: Duration = Duration::from_millis(100);

/// The pause after a call's connection broke twice in a row, doubling up to
/// [`LOST_PAUSE_MAX`] while it keeps breaking. Short: the server did accept the
/// connection, and a lossy path (cut connections) must not stall a transfer;
/// the cap only keeps a server that drops every connection from being hammered.
const LOST_PAUSE: Duration = Duration::from_millis(10);

/// The longest pause between resends after lost connections.
const LOST_PAUSE_MAX: Duration = Duration::from_secs(1);

/// The first pause after `NFS3ERR_JUKEBOX`, doubling up to [`JUKEBOX_MAX`].
const JUKEBOX_FIRST: Duration = Duration::from_millis(250);

/// The longest pause after `NFS3ERR_JUKEBOX`: Linux's fixed delay.
const JUKEBOX_MAX: Duration = Duration::from_secs(5);

/// The NFS program of one server, shared by every node of a mount.
pub struct NfsClient {
    rpc: RpcClient,
    /// `host:export`, for messages (shared by every node's attribute cache).
    server: Arc<str>,
    /// On a soft mount, how many times a call is sent again after its connection
    /// broke (a hard mount has no limit).
    retries: u32,
    /// The soft mount's bound on one call, resends included; `None`: hard.
    soft: Option<Duration>,
    /// Longest pause between connection attempts (the mount's `timeo`).
    max_pause: Duration,
    /// A "server not responding" message was printed and no reply came since.
    not_responding: AtomicBool,
    /// Some call got a reply. Until then a connection failure is final even on
    /// a hard mount: that is the mount's own first calls, and as with
    /// `mount.nfs`, a wrong port or a server that is not there fails the mount
    /// (`ECONNREFUSED`) instead of hanging it.
    reached: AtomicBool,
    /// Calls sent, per procedure.
    pub counters: crate::counters::CallCounters,
}

impl NfsClient {
    /// A client sending NFS calls through `rpc`; `server` names it in errors. The
    /// mount is soft when `rpc` has a call time limit (which then bounds a call
    /// with all its resends); a soft call is sent again after a lost connection at
    /// most `retries` times. See the module for the rules.
    pub fn new(rpc: RpcClient, server: String, retries: u32) -> NfsClient {
        let soft = rpc.call_timeout();
        let max_pause = rpc.connect_timeout().max(FIRST_PAUSE);
        NfsClient {
            rpc,
            server: server.into(),
            retries,
            soft,
            max_pause,
            not_responding: AtomicBool::new(false),
            reached: AtomicBool::new(false),
            counters: Default::default(),
        }
    }

    /// `host:export`, for messages.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// [`NfsClient::server`], to keep.
    pub fn shared_server(&self) -> Arc<str> {
        self.server.clone()
    }

    /// Calls `procedure` with `args`; transport failures become errors naming the
    /// server (NFS-level statuses are in `R` for the caller to map).
    pub async fn call<A: Pack, R: Unpack>(&self, procedure: NFS_PROGRAM, args: &A) -> Result<R> {
        let reply = self.call_raw(procedure, args).await?;
        decode_result(&reply).map_err(|e| self.transport_error(procedure, e))
    }

    /// Calls `procedure` with `args` followed by `payload` (the data of an opaque
    /// whose length `args` ends with; see [`Payload`]).
    pub async fn call_with_payload<A: Pack, R: Unpack>(
        &self,
        procedure: NFS_PROGRAM,
        args: &A,
        payload: Payload,
    ) -> Result<R> {
        let reply = self.send(procedure, args, Some(payload), None).await?;
        decode_result(&reply).map_err(|e| self.transport_error(procedure, e))
    }

    /// Calls `procedure` and returns the checked reply for the caller to decode.
    pub async fn call_raw<A: Pack>(&self, procedure: NFS_PROGRAM, args: &A) -> Result<Reply> {
        self.send(procedure, args, None, None).await
    }

    /// Like [`NfsClient::call_raw`] for a call whose result ends with data of the
    /// `direct` shape (READ): the data may land straight in `dest` (see
    /// [`Reply::landed`]).
    pub async fn call_into<A: Pack>(
        &self,
        procedure: NFS_PROGRAM,
        args: &A,
        direct: DirectData,
        dest: &mut [u8],
    ) -> Result<Reply> {
        self.send(procedure, args, None, Some((direct, dest))).await
    }

    /// Sends one bulk call without waiting, for a caller that wants several in
    /// flight before it needs the first (readahead). No resends: a [`Pending`]
    /// that fails is the caller's to call again through [`NfsClient::call_into`],
    /// which has the mount's rules; on a soft mount, waiting is bounded by
    /// [`NfsClient::soft_bound`].
    pub async fn start<A: Pack>(
        &self,
        procedure: NFS_PROGRAM,
        args: &A,
        direct: Option<DirectData>,
    ) -> std::result::Result<Pending, RpcError> {
        self.counters.count(procedure);
        self.rpc
            .start(PROGRAM, VERSION, procedure as u32, args, None, true, direct)
            .await
    }

    /// The soft mount's bound on one call, `None` on a hard mount.
    pub fn soft_bound(&self) -> Option<Duration> {
        self.soft
    }

    /// Sends a call until it gets an answer the rules of the module accept.
    async fn send<A: Pack>(
        &self,
        procedure: NFS_PROGRAM,
        args: &A,
        payload: Option<Payload>,
        mut dest: Option<(DirectData, &mut [u8])>,
    ) -> Result<Reply> {
        let deadline = self.soft.map(|bound| Instant::now() + bound);
        // READs and WRITEs spread over the connection set; small calls keep to
        // one warm connection (see `rpc`).
        let bulk = matches!(
            procedure,
            NFS_PROGRAM::NFSPROC3_READ | NFS_PROGRAM::NFSPROC3_WRITE
        );
        let mut resent = false;
        let mut losses = 0;
        let mut pause = FIRST_PAUSE;
        let mut lost_pause = LOST_PAUSE;
        let mut jukebox = JUKEBOX_FIRST;
        loop {
            self.counters.count(procedure);
            let direct = dest.as_ref().map(|(direct, _)| *direct);
            let into = dest.as_mut().map(|(_, buf)| &mut **buf);
            let call = async {
                self.rpc
                    .start(
                        PROGRAM,
                        VERSION,
                        procedure as u32,
                        args,
                        payload.clone(),
                        bulk,
                        direct,
                    )
                    .await?
                    .finish(into)
                    .await
            };
            let sent = match deadline {
                None => call.await,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    reactor::within(left, call).await.unwrap_or_else(|| {
                        Err(RpcError::TimedOut(format!(
                            "no reply: {} gave none within {:?}",
                            self.rpc.address(),
                            self.soft.unwrap_or_default()
                        )))
                    })
                }
            };
            let (wait, error) = match sent {
                Ok(reply) => {
                    self.responding();
                    losses = 0;
                    pause = FIRST_PAUSE;
                    lost_pause = LOST_PAUSE;
                    if status_of(&reply) != Some(nfsstat3::NFS3ERR_JUKEBOX as u32) {
                        return Ok(if resent {
                            self.settle_resent(procedure, args, reply).await
                        } else {
                            reply
                        });
                    }
                    let wait = jukebox;
                    jukebox = (jukebox * 2).min(JUKEBOX_MAX);
                    (
                        wait,
                        RpcError::TimedOut("the server kept answering JUKEBOX (busy)".into()),
                    )
                }
                Err(error @ RpcError::ConnectionLost(_)) => {
                    resent = true;
                    losses += 1;
                    if self.soft.is_some() && losses > self.retries {
                        return Err(self.transport_error(procedure, error));
                    }
                    // The first resend goes at once, on a fresh connection.
                    let wait = if losses == 1 {
                        Duration::ZERO
                    } else {
                        let wait = lost_pause;
                        lost_pause = (lost_pause * 2).min(LOST_PAUSE_MAX);
                        wait
                    };
                    (wait, error)
                }
                Err(error @ RpcError::Connect(..)) => {
                    if !self.reached.load(Ordering::Relaxed) {
                        return Err(self.transport_error(procedure, error));
                    }
                    self.not_responding(&error);
                    let wait = pause;
                    pause = (pause * 2).min(self.max_pause);
                    (wait, error)
                }
                Err(error) => return Err(self.transport_error(procedure, error)),
            };
            if let Some(deadline) = deadline {
                if Instant::now() + wait >= deadline {
                    return Err(self.transport_error(procedure, error));
                }
            }
            if !wait.is_zero() {
                reactor::sleep(wait).await;
            }
        }
    }

    /// Says once per outage that the server does not answer, as Linux's client
    /// logs "server not responding, still trying" (the address and the cause
    /// only: credentials are never printed).
    fn not_responding(&self, error: &RpcError) {
        if self.soft.is_none() && !self.not_responding.swap(true, Ordering::Relaxed) {
            eprintln!(
                "vfs-nfs: server {} not responding ({error}), still trying",
                self.server
            );
        }
    }

    /// Ends an outage reported by [`NfsClient::not_responding`].
    fn responding(&self) {
        if !self.reached.load(Ordering::Relaxed) {
            self.reached.store(true, Ordering::Relaxed);
        }
        if self.not_responding.load(Ordering::Relaxed)
            && self.not_responding.swap(false, Ordering::Relaxed)
        {
            eprintln!("vfs-nfs: server {} OK", self.server);
        }
    }

    /// The reply of a call sent again after a lost connection, with the answers
    /// that mean "already done" (see the module) turned into success.
    async fn settle_resent<A: Pack>(
        &self,
        procedure: NFS_PROGRAM,
        args: &A,
        reply: Reply,
    ) -> Reply {
        if status_of(&reply) != Some(nfsstat3::NFS3ERR_NOENT as u32) {
            return reply;
        }
        // REMOVE3resok and RMDIR3resok are one wcc_data, RENAME3resok two: OK
        // followed by "no attributes" for each (the caller then revalidates).
        let empty_wccs = match procedure {
            NFS_PROGRAM::NFSPROC3_REMOVE | NFS_PROGRAM::NFSPROC3_RMDIR => 1,
            NFS_PROGRAM::NFSPROC3_RENAME if self.rename_target_exists(args).await => 2,
            _ => return reply,
        };
        let mut record = Buffer::with_len(reply.start + 4 + 8 * empty_wccs);
        record[..reply.start].copy_from_slice(&reply.record[..reply.start]);
        record[reply.start..].fill(0);
        Reply {
            record,
            start: reply.start,
            landed: None,
        }
    }

    /// Whether the target of the RENAME whose arguments are `args` exists now.
    async fn rename_target_exists<A: Pack>(&self, args: &A) -> bool {
        let mut bytes = Vec::with_capacity(args.packed_size());
        if args.pack(&mut bytes).is_err() {
            return false;
        }
        let Ok((rename, _)) = RENAME3args::unpack(&mut std::io::Cursor::new(&bytes[..])) else {
            return false;
        };
        let lookup = LOOKUP3args { what: rename.to };
        // One plain attempt (not `send`, which this runs inside): if it fails,
        // the RENAME's NOENT stands, which is what the server said.
        self.counters.count(NFS_PROGRAM::NFSPROC3_LOOKUP);
        let found = self
            .rpc
            .call::<_, LOOKUP3res>(
                PROGRAM,
                VERSION,
                NFS_PROGRAM::NFSPROC3_LOOKUP as u32,
                &lookup,
            )
            .await;
        matches!(found, Ok(Nfs3Result::Ok(_)))
    }

    /// A transport failure of `procedure` as an error naming the server.
    /// An undecodable reply is a broken server's and is logged as such.
    pub fn transport_error(&self, procedure: NFS_PROGRAM, error: RpcError) -> Error {
        if let RpcError::Garbled(why) = &error {
            let what = format_args!("{} reply: {why}", short(procedure));
            return crate::error::rejected(vfs_core::Errno::EIO, &self.server, what);
        }
        Error::from(error).context_prefix(format_args!("{} {}", self.server, short(procedure)))
    }
}

/// The NFS status a reply's result starts with (every NFSv3 result but NULL's).
fn status_of(reply: &Reply) -> Option<u32> {
    let bytes = reply.record.get(reply.start..reply.start + 4)?;
    Some(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// The procedure's name without the `NFSPROC3_` prefix, as messages show it.
pub fn short(procedure: NFS_PROGRAM) -> String {
    let name = procedure.to_string();
    name.strip_prefix("NFSPROC3_").unwrap_or(&name).to_string()
}
