//! READ, WRITE and COMMIT.
//!
//! A large read or write is cut into `rsize`/`wsize` pieces sent concurrently (the
//! transport pipelines them), at most [`IN_FLIGHT`] per call. A READ reply's data
//! stays in its reply record ([`ReadData`]) until it is copied into the caller's
//! buffer: the only copy on the way. Writes are UNSTABLE (FILE_SYNC/DATA_SYNC for
//! `O_SYNC`/`O_DSYNC` opens) and kept until committed (see `writes`); UNSTABLE
//! ones go in the background (`write_behind`). Each piece is copied once, into the
//! buffer both sent (as the call's payload) and kept.

use crate::buffers::Buffer;
use crate::node::NfsNode;
use crate::reactor;
use crate::rpc::{DirectData, Payload, Pending, Reply, RpcError};
use crate::writes::{Uncommitted, UNSURE};
use futures::stream::{self, StreamExt};
use nfs3_types::nfs3::{
    nfs_fh3, nfsstat3, post_op_attr, stable_how, writeverf3, COMMIT3args, COMMIT3res, Nfs3Option,
    Nfs3Result, READ3args, READ3resfail, WRITE3res, NFS_PROGRAM,
};
use nfs3_types::xdr_codec::{Pack, Unpack};
use std::io::Cursor;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use vfs_core::{Errno, Result, Timespec};

/// Pieces of one read or write in flight at once.
pub const IN_FLIGHT: usize = 16;

/// COMMIT rounds (each after resending what a restarted server lost) before giving
/// up.
const COMMIT_ROUNDS: usize = 5;

/// The shape of READ3resok with attributes, whose data the transport may read
/// straight into the caller's buffer: status, attributes present, fattr3 (84
/// bytes), count, eof, then the data's length.
const READ_DIRECT: DirectData = DirectData {
    head: 4 + 4 + 84 + 4 + 4 + 4,
};

/// The data of one READ: in the caller's buffer already, or left in its reply
/// record for the caller to copy.
pub struct ReadData {
    reply: Reply,
    data: Range<usize>,
    /// The server said the data ends at end of file.
    pub eof: bool,
    /// The file's change key in the reply's attributes, if it had them.
    pub key: Option<DataKey>,
}

impl ReadData {
    /// How many bytes were read.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// The bytes read, unless they landed in the buffer the read was given.
    pub fn in_record(&self) -> Option<&[u8]> {
        match self.reply.landed {
            Some(_) => None,
            None => Some(&self.reply.record[self.data.clone()]),
        }
    }

    /// Puts the bytes at the start of `dest` (the buffer the read was given, where
    /// they may be already); returns how many.
    pub fn place(&self, dest: &mut [u8]) -> usize {
        if let Some(bytes) = self.in_record() {
            dest[..bytes.len()].copy_from_slice(bytes);
        }
        self.len()
    }
}

/// A READ sent and not yet answered (readahead): see [`NfsNode::start_read`].
pub struct StartedRead {
    pending: Pending,
    seq: u64,
    offset: u64,
    count: u32,
}

/// What tells whether a file's data may have changed: size, mtime and ctime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataKey {
    size: u64,
    mtime: Timespec,
    ctime: Timespec,
}

impl DataKey {
    /// The file size the key was taken with.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// The arguments of a WRITE up to the length of its data, which follows as the
/// call's payload.
struct WriteHead<'a> {
    file: &'a nfs_fh3,
    offset: u64,
    count: u32,
    stable: stable_how,
}

impl Pack for WriteHead<'_> {
    fn packed_size(&self) -> usize {
        self.file.packed_size() + 8 + 4 + 4 + 4
    }

    fn pack(&self, out: &mut impl std::io::Write) -> nfs3_types::xdr_codec::Result<usize> {
        Ok(self.file.pack(out)?
            + self.offset.pack(out)?
            + self.count.pack(out)?
            + self.stable.pack(out)?
            + self.count.pack(out)?)
    }
}

impl StartedRead {
    /// Waits for the READ's reply; its data lands in `dest` when the reply
    /// arrives after this was called (else it stays in the record). On a soft
    /// mount the wait is bounded by the mount's limit.
    ///
    /// Errors: those of READ (`ESTALE`, `EIO`), `ETIMEDOUT`, transport failures.
    pub async fn finish(self, node: &NfsNode, dest: Option<&mut [u8]>) -> Result<ReadData> {
        let client = &node.state.client;
        let waited = self.pending.finish(dest);
        let reply = match client.soft_bound() {
            None => waited.await,
            Some(bound) => reactor::within(bound, waited).await.unwrap_or_else(|| {
                Err(RpcError::TimedOut(format!(
                    "no reply to a READ within {bound:?}"
                )))
            }),
        };
        let reply = reply.map_err(|e| client.transport_error(NFS_PROGRAM::NFSPROC3_READ, e))?;
        node.decode_read(reply, self.seq, self.offset, self.count)
    }
}

impl NfsNode {
    /// The uncommitted-write state of this regular file, made on first use.
    pub fn kept(&self) -> Result<&Uncommitted> {
        self.data
            .as_ref()
            .map(|data| &**data.get_or_init(Box::default))
            .ok_or_else(|| Errno::EINVAL.with(format!("write to {}", self.what())))
    }

    /// That state if it was ever made: `None` for a file this mount has neither
    /// written nor read sequentially (nothing to commit or wait for), and for
    /// other nodes.
    pub fn kept_if_made(&self) -> Option<&Uncommitted> {
        self.data
            .as_ref()
            .and_then(OnceLock::get)
            .map(|kept| &**kept)
    }

    /// The change key of the attributes cached now, if any.
    pub fn data_key(&self) -> Option<DataKey> {
        self.attrs.last().map(|attr| DataKey {
            size: attr.size,
            mtime: attr.mtime,
            ctime: attr.ctime,
        })
    }

    /// Reads up to `buf.len()` bytes at `offset`; fewer only at end of file.
    ///
    /// Errors: `ESTALE`, `EIO`.
    pub async fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let rsize = self.state.limits.rsize as usize;
        let len = buf.len();
        if len <= rsize {
            return self.read_full(offset, buf).await;
        }
        // Collected first: a closure in the stream would make the future's Send
        // bound fail to hold for all lifetimes (a known rustc limitation).
        let mut pieces = Vec::with_capacity(len.div_ceil(rsize));
        for (i, piece) in buf.chunks_mut(rsize).enumerate() {
            pieces.push(self.read_full(offset + (i * rsize) as u64, piece));
        }
        let results: Vec<(usize, Result<usize>)> = stream::iter(pieces)
            .buffered(IN_FLIGHT)
            .enumerate()
            .collect()
            .await;
        // Only a contiguous prefix counts: a piece after a short one may hold data
        // another writer appended meanwhile, which must not show after a gap.
        let mut total = 0;
        for (i, result) in results {
            let expected = rsize.min(len - i * rsize);
            match result {
                Ok(n) => {
                    total += n;
                    if n < expected {
                        break;
                    }
                }
                Err(e) if total == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(total)
    }

    /// Fills `buf` from `offset` with as many READs as needed (a server may return
    /// less than asked without being at end of file).
    async fn read_full(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let count = u32::try_from(buf.len() - done).unwrap_or(u32::MAX);
            let dest = &mut buf[done..];
            let read = self.read_rpc(offset + done as u64, count, dest).await?;
            let n = read.place(dest);
            done += n;
            if read.eof || n == 0 {
                break;
            }
        }
        Ok(done)
    }

    /// One READ of at most `count` bytes at `offset` (`dest` holds at least
    /// `count`), its data placed in `dest` or left in the reply.
    async fn read_rpc(&self, offset: u64, count: u32, dest: &mut [u8]) -> Result<ReadData> {
        let args = READ3args {
            file: self.fh.clone(),
            offset,
            count,
        };
        let seq = self.state.begin();
        let reply = self
            .state
            .client
            .call_into(NFS_PROGRAM::NFSPROC3_READ, &args, READ_DIRECT, dest)
            .await?;
        self.decode_read(reply, seq, offset, count)
    }

    /// Sends a READ of at most `count` bytes at `offset` without waiting for it
    /// (readahead); [`StartedRead::finish`] takes the reply.
    ///
    /// Errors: transport failures (no resend: the caller reads again directly).
    pub async fn start_read(&self, offset: u64, count: u32) -> Result<StartedRead> {
        let args = READ3args {
            file: self.fh.clone(),
            offset,
            count,
        };
        let seq = self.state.begin();
        let client = &self.state.client;
        let pending = client
            .start(NFS_PROGRAM::NFSPROC3_READ, &args, Some(READ_DIRECT))
            .await
            .map_err(|e| client.transport_error(NFS_PROGRAM::NFSPROC3_READ, e))?;
        Ok(StartedRead {
            pending,
            seq,
            offset,
            count,
        })
    }

    /// Decodes a READ reply; checks that data which landed in the caller's buffer
    /// is exactly what the reply announced.
    fn decode_read(&self, reply: Reply, seq: u64, offset: u64, count: u32) -> Result<ReadData> {
        let body = reply.record.get(reply.start..).unwrap_or_default();
        let garbled = |why: String| {
            Errno::EIO.with(format!(
                "{} READ of {}: garbled reply: {why}",
                self.state.server(),
                self.what()
            ))
        };
        let mut cursor = Cursor::new(body);
        let unpack_err = |e: nfs3_types::xdr_codec::Error| garbled(e.to_string());
        let (status, _) = nfsstat3::unpack(&mut cursor).map_err(unpack_err)?;
        if status != nfsstat3::NFS3_OK {
            let (fail, _) = READ3resfail::unpack(&mut cursor).map_err(unpack_err)?;
            self.absorb_post_op(&fail.file_attributes, seq);
            return Err(self.fail(status, "READ", format_args!("of {count} bytes at {offset}")));
        }
        let (attrs, _) = post_op_attr::unpack(&mut cursor).map_err(unpack_err)?;
        let (said, _) = u32::unpack(&mut cursor).map_err(unpack_err)?;
        let (eof, _) = bool::unpack(&mut cursor).map_err(unpack_err)?;
        let (length, _) = u32::unpack(&mut cursor).map_err(unpack_err)?;
        let start = reply.start + cursor.position() as usize;
        // RFC 1813: `count` is the number of bytes of data returned. Which of the
        // two is wrong cannot be told, so neither is believed.
        if said != length {
            return Err(crate::error::rejected(
                Errno::EIO,
                self.state.server(),
                format_args!(
                    "READ of {}: count {said} for {length} bytes of data",
                    self.what()
                ),
            ));
        }
        let length = length as usize;
        if length > count as usize {
            return Err(garbled(format!("{length} bytes for {count} asked")));
        }
        match reply.landed {
            Some(landed) if landed != length || reply.record.len() != start => {
                return Err(garbled(format!(
                    "{landed} bytes of data for {length} announced"
                )))
            }
            Some(_) => {}
            None if reply.record.len() < start + length => {
                return Err(garbled(format!("{length} bytes announced, fewer sent")));
            }
            None => {}
        }
        self.absorb_post_op(&attrs, seq);
        let key = match &attrs {
            Nfs3Option::Some(fattr) => Some(DataKey {
                size: fattr.size,
                mtime: crate::attr::timespec_of(fattr.mtime),
                ctime: crate::attr::timespec_of(fattr.ctime),
            }),
            Nfs3Option::None => None,
        };
        Ok(ReadData {
            reply,
            data: start..start + length,
            eof,
            key,
        })
    }

    /// Writes `data` at `offset` with `stable`; returns how many bytes were
    /// written (all unless an error stopped it part way). UNSTABLE writes return
    /// once queued ([`NfsNode::write_behind`]), except on a server without holes,
    /// whose pieces must land in order.
    ///
    /// Errors: `ENOSPC`, `EDQUOT`, `EFBIG`, `ESTALE`, `EIO` (of this write or,
    /// for UNSTABLE ones, of an earlier one not yet reported).
    pub async fn write(&self, offset: u64, data: &[u8], stable: stable_how) -> Result<usize> {
        let kept = self.kept()?;
        let max = self.state.limits.maxfilesize;
        if offset >= max && !data.is_empty() {
            return Err(Errno::EFBIG.with(format!(
                "write at {offset} beyond the server's maximum file size {max}"
            )));
        }
        let data = &data[..data.len().min((max - offset.min(max)) as usize)];
        let no_holes = self.state.no_holes.load(Ordering::Relaxed);
        if stable == stable_how::UNSTABLE && !no_holes {
            return self.write_behind(offset, data).await;
        }
        // Waits for background writes: this one must land after them.
        self.drain_writes().await;
        if let Some(error) = kept.behind.take_error() {
            return Err(error);
        }
        kept.changed();
        let written = self.write_now(offset, data, stable).await;
        kept.changed();
        written
    }

    /// Writes `data` at `offset` with `stable` and waits for the replies.
    async fn write_now(&self, offset: u64, data: &[u8], stable: stable_how) -> Result<usize> {
        let kept = self.kept()?;
        let wsize = (self.state.limits.wsize as usize).max(1);
        let order = kept.order.read().await;
        let buffers: Vec<Arc<Buffer>> = data
            .chunks(wsize)
            .map(|piece| Arc::new(Buffer::copy_of(piece)))
            .collect();
        let mut pieces = Vec::with_capacity(buffers.len());
        for (i, buffer) in buffers.iter().enumerate() {
            let id = kept.next_id();
            let at = offset + (i * wsize) as u64;
            pieces.push(self.write_kept(id, at, buffer.clone(), 0..buffer.len(), stable));
        }
        // A server without holes must see the pieces in order: a later piece
        // arriving first would be past its end of file.
        let in_flight = if self.state.no_holes.load(Ordering::Relaxed) {
            1
        } else {
            IN_FLIGHT
        };
        let mut results: Vec<Result<(usize, stable_how)>> =
            stream::iter(pieces).buffered(in_flight).collect().await;
        // Such a server refuses (INVAL) a piece that overtook the one before it; now
        // that every piece ahead has landed, those go again, in order, extending
        // the file only where this write itself starts past its end.
        for (i, buffer) in buffers.iter().enumerate() {
            if matches!(&results[i], Err(e) if e.errno() == Errno::EINVAL) {
                let at = offset + (i * wsize) as u64;
                let id = kept.next_id();
                results[i] = self
                    .write_again(id, at, buffer.clone(), 0..buffer.len(), stable)
                    .await;
            }
        }
        drop(order);
        let mut total = 0;
        let mut weaker = false;
        let mut failure = None;
        for (result, buffer) in results.into_iter().zip(&buffers) {
            match result {
                Ok((n, committed)) if failure.is_none() => {
                    total += n;
                    weaker |= committed == stable_how::UNSTABLE && stable != stable_how::UNSTABLE;
                    if n < buffer.len() {
                        failure = Some(Errno::EIO.with("short write"));
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        if let Some(e) = failure {
            if total == 0 {
                return Err(e);
            }
        }
        // An O_SYNC write is durable when it returns, even if the server chose to
        // answer UNSTABLE; a large backlog is committed before it grows further.
        if weaker || kept.bytes() > crate::writes::MAX_UNCOMMITTED {
            self.commit_kept().await?;
        }
        Ok(total)
    }

    /// Writes `buffer[range]` at `at` (write number `id`) and keeps it if the
    /// server answered UNSTABLE.
    pub async fn write_kept(
        &self,
        id: u64,
        at: u64,
        buffer: Arc<Buffer>,
        range: Range<usize>,
        stable: stable_how,
    ) -> Result<(usize, stable_how)> {
        let kept = self.kept()?;
        let (n, committed, verf) = self.write_full(at, &buffer, range.clone(), stable).await?;
        if committed == stable_how::UNSTABLE {
            kept.record(id, at, buffer, range.start..range.start + n, verf);
        }
        Ok((n, committed))
    }

    /// Sends a write refused with INVAL again, once every piece before it landed;
    /// a second refusal because `at` is past end of file (a server without holes)
    /// extends the file with zeros and sends the piece a third time.
    pub async fn write_again(
        &self,
        id: u64,
        at: u64,
        buffer: Arc<Buffer>,
        range: Range<usize>,
        stable: stable_how,
    ) -> Result<(usize, stable_how)> {
        let again = self
            .write_kept(id, at, buffer.clone(), range.clone(), stable)
            .await;
        match again {
            Err(e) if e.errno() == Errno::EINVAL => {
                if !self.extend_for(at).await? {
                    return Err(e);
                }
                self.write_kept(id, at, buffer, range, stable).await
            }
            other => other,
        }
    }

    /// After a write at `at` failed with INVAL: if `at` is past end of file, the
    /// server has no holes; extend the file with zeros by SETATTR (which such
    /// servers do) so the write can be sent again. Returns whether it did. Only
    /// safe when no earlier piece of the same write is still in flight, since the
    /// extension sets the size.
    async fn extend_for(&self, at: u64) -> Result<bool> {
        let size = self.fetch_attributes().await?.size;
        if at <= size {
            return Ok(false);
        }
        self.state.no_holes.store(true, Ordering::Relaxed);
        self.set_sattr(nfs3_types::nfs3::sattr3 {
            size: nfs3_types::nfs3::set_size3::Some(at),
            ..Default::default()
        })
        .await?;
        Ok(true)
    }

    /// Writes all of `buffer[range]` at `offset` (a server may take less than
    /// sent). Returns the count, the weakest stability of the replies and their
    /// verifier ([`UNSURE`] if they disagreed).
    async fn write_full(
        &self,
        offset: u64,
        buffer: &Arc<Buffer>,
        range: Range<usize>,
        stable: stable_how,
    ) -> Result<(usize, stable_how, writeverf3)> {
        let mut done = 0;
        let mut committed = stable_how::FILE_SYNC;
        let mut verf = None;
        let len = range.len();
        while done < len {
            let payload = Payload {
                data: buffer.clone(),
                range: range.start + done..range.end,
            };
            let (n, how, this) = self
                .write_piece(offset + done as u64, payload, stable)
                .await?;
            if n == 0 {
                return Err(Errno::EIO.with(format!(
                    "{} WRITE to {} took 0 bytes",
                    self.state.server(),
                    self.what()
                )));
            }
            done += n.min(len - done);
            committed = weakest(committed, how);
            verf = match verf {
                None => Some(this),
                Some(seen) if seen == this => Some(seen),
                Some(_) => Some(UNSURE),
            };
        }
        Ok((done, committed, verf.unwrap_or(UNSURE)))
    }

    /// One WRITE of `payload`.
    async fn write_piece(
        &self,
        offset: u64,
        mut payload: Payload,
        stable: stable_how,
    ) -> Result<(usize, stable_how, writeverf3)> {
        let count = u32::try_from(payload.range.len()).unwrap_or(u32::MAX);
        payload.range.end = payload.range.start + count as usize;
        let head = WriteHead {
            file: &self.fh,
            offset,
            count,
            stable,
        };
        let seq = self.state.begin();
        let reply: WRITE3res = self
            .state
            .client
            .call_with_payload(NFS_PROGRAM::NFSPROC3_WRITE, &head, payload)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.attrs.store_wcc(&ok.file_wcc, seq);
                Ok((ok.count as usize, ok.committed, ok.verf))
            }
            Nfs3Result::Err((status, fail)) => {
                self.attrs.store_wcc(&fail.file_wcc, seq);
                Err(self.fail(
                    status,
                    "WRITE",
                    format_args!("of {count} bytes at {offset}"),
                ))
            }
        }
    }

    /// Makes every write of this file so far stable: waits for the WRITEs in
    /// flight, then COMMITs (see [`NfsNode::commit_kept`]). A background WRITE
    /// that failed and was not reported yet is reported here.
    ///
    /// Errors: `ENOSPC`, `EDQUOT`, `ESTALE`, `EIO`.
    pub async fn commit(&self) -> Result<()> {
        let Some(kept) = self.kept_if_made() else {
            return Ok(());
        };
        // A lone small write still held goes FILE_SYNC: no COMMIT for it.
        let held = self.write_held_stable().await;
        self.drain_writes().await;
        let failed = kept.behind.take_error().or(held.err());
        let committed = self.commit_kept().await;
        match failed {
            Some(error) => Err(error),
            None => committed,
        }
    }

    /// Makes the writes kept now stable: COMMIT, and when the server lost some
    /// (its verifier changed), send them again and commit again. WRITEs still in
    /// flight are not waited for.
    ///
    /// Errors: `ENOSPC`, `EDQUOT`, `ESTALE`, `EIO`.
    pub async fn commit_kept(&self) -> Result<()> {
        let kept = self.kept()?;
        let _one_round_at_a_time = kept.committing.lock().await;
        for _ in 0..COMMIT_ROUNDS {
            let covered = kept.snapshot();
            if covered.is_empty() {
                return Ok(());
            }
            let verf = self.commit_rpc().await?;
            if !kept.settle(&covered, verf) {
                return Ok(());
            }
            // The server restarted and lost writes: send everything kept again,
            // oldest first, with no newer write landing in between.
            let _exclusive = kept.order.write().await;
            for write in kept.all() {
                let (_, how, verf) = self
                    .write_full(
                        write.offset,
                        &write.buffer,
                        write.range.clone(),
                        stable_how::UNSTABLE,
                    )
                    .await?;
                let verf = if how == stable_how::UNSTABLE {
                    verf
                } else {
                    // Stable already: any COMMIT verifier will do.
                    UNSURE
                };
                kept.resent(write.id, verf);
                if how != stable_how::UNSTABLE {
                    kept.settle(&[write.id], UNSURE);
                }
            }
        }
        Err(Errno::EIO.with(format!(
            "{}: {} lost written data {COMMIT_ROUNDS} times (its write verifier keeps changing)",
            self.state.server(),
            self.what()
        )))
    }

    /// One COMMIT of the whole file; returns the verifier.
    async fn commit_rpc(&self) -> Result<writeverf3> {
        let args = COMMIT3args {
            file: self.fh.clone(),
            offset: 0,
            count: 0,
        };
        let seq = self.state.begin();
        let reply: COMMIT3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_COMMIT, &args)
            .await?;
        match reply {
            Nfs3Result::Ok(ok) => {
                self.attrs.store_wcc(&ok.file_wcc, seq);
                Ok(ok.verf)
            }
            Nfs3Result::Err((status, fail)) => {
                self.attrs.store_wcc(&fail.file_wcc, seq);
                Err(self.fail(status, "COMMIT", ""))
            }
        }
    }
}

/// The weaker of two stabilities.
fn weakest(a: stable_how, b: stable_how) -> stable_how {
    let rank = |how: stable_how| match how {
        stable_how::UNSTABLE => 0,
        stable_how::DATA_SYNC => 1,
        stable_how::FILE_SYNC => 2,
    };
    if rank(a) <= rank(b) {
        a
    } else {
        b
    }
}
