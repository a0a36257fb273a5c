//! Typed NFSv3 calls over the multiplexed transport.

use crate::rpc::{decode_result, Payload, Reply, RpcClient, RpcError};
use nfs3_types::nfs3::{NFS_PROGRAM, PROGRAM, VERSION};
use nfs3_types::xdr_codec::{Pack, Unpack};
use vfs_core::{Error, Result};

/// The NFS program of one server, shared by every node of a mount.
pub struct NfsClient {
    rpc: RpcClient,
    /// `host:export`, for messages.
    server: String,
    /// How many times a call is sent again after its connection broke.
    retries: u32,
    /// Calls sent, per procedure.
    pub counters: crate::counters::CallCounters,
}

impl NfsClient {
    /// A client sending NFS calls through `rpc`; `server` names it in errors. A call
    /// whose connection breaks before its reply came is sent again on a fresh
    /// connection up to `retries` times, as Linux's client does on TCP: NFSv3 is
    /// designed for retransmission (EXCLUSIVE create, the write verifier), and a
    /// retried REMOVE or RENAME that already happened reports what a lost reply
    /// would have on Linux too.
    pub fn new(rpc: RpcClient, server: String, retries: u32) -> NfsClient {
        NfsClient {
            rpc,
            server,
            retries,
            counters: Default::default(),
        }
    }

    /// `host:export`, for messages.
    pub fn server(&self) -> &str {
        &self.server
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
        let reply = self.send(procedure, args, Some(payload)).await?;
        decode_result(&reply).map_err(|e| self.transport_error(procedure, e))
    }

    /// Calls `procedure` and returns the checked reply for the caller to decode.
    pub async fn call_raw<A: Pack>(&self, procedure: NFS_PROGRAM, args: &A) -> Result<Reply> {
        self.send(procedure, args, None).await
    }

    /// Sends a call, again on a fresh connection when its connection broke.
    async fn send<A: Pack>(
        &self,
        procedure: NFS_PROGRAM,
        args: &A,
        payload: Option<Payload>,
    ) -> Result<Reply> {
        let mut attempt = 0;
        loop {
            self.counters.count(procedure);
            let sent = self
                .rpc
                .call_with_payload(PROGRAM, VERSION, procedure as u32, args, payload.clone())
                .await;
            match sent {
                Err(RpcError::ConnectionLost(_)) if attempt < self.retries => attempt += 1,
                other => return other.map_err(|e| self.transport_error(procedure, e)),
            }
        }
    }

    /// A transport failure of `procedure` as an error naming the server.
    pub fn transport_error(&self, procedure: NFS_PROGRAM, error: RpcError) -> Error {
        Error::from(error).context_prefix(format_args!("{} {}", self.server, short(procedure)))
    }
}

/// The procedure's name without the `NFSPROC3_` prefix, as messages show it.
pub fn short(procedure: NFS_PROGRAM) -> String {
    let name = procedure.to_string();
    name.strip_prefix("NFSPROC3_").unwrap_or(&name).to_string()
}
