//! READ, WRITE and COMMIT.
//!
//! A large read or write is cut into `rsize`/`wsize` pieces sent concurrently (the
//! transport pipelines them on one connection), at most [`IN_FLIGHT`] per call. A
//! READ reply's data is copied straight from the reply record into the caller's
//! buffer. Writes are UNSTABLE (FILE_SYNC/DATA_SYNC for `O_SYNC`/`O_DSYNC` opens)
//! and kept until committed (see `writes`).

use crate::node::NfsNode;
use crate::writes::{MAX_UNCOMMITTED, UNSURE};
use futures::stream::{self, StreamExt};
use nfs3_types::nfs3::{
    nfsstat3, post_op_attr, stable_how, writeverf3, COMMIT3args, COMMIT3res, Nfs3Result, READ3args,
    READ3resfail, WRITE3args, WRITE3res, NFS_PROGRAM,
};
use nfs3_types::xdr_codec::{Opaque, Unpack};
use std::io::Cursor;
use std::sync::atomic::Ordering;
use vfs_core::{Errno, Result};

/// Pieces of one read or write in flight at once.
pub const IN_FLIGHT: usize = 16;

/// COMMIT rounds (each after resending what a restarted server lost) before giving
/// up.
const COMMIT_ROUNDS: usize = 5;

impl NfsNode {
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
            let (n, eof) = self
                .read_piece(offset + done as u64, &mut buf[done..])
                .await?;
            done += n;
            if eof || n == 0 {
                break;
            }
        }
        Ok(done)
    }

    /// One READ into `buf` (at most its length); returns the count and EOF.
    async fn read_piece(&self, offset: u64, buf: &mut [u8]) -> Result<(usize, bool)> {
        let count = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        let args = READ3args {
            file: self.fh.clone(),
            offset,
            count,
        };
        let seq = self.state.begin();
        let client = &self.state.client;
        let reply = client.call_raw(NFS_PROGRAM::NFSPROC3_READ, &args).await?;
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
        let (_count, _) = u32::unpack(&mut cursor).map_err(unpack_err)?;
        let (eof, _) = bool::unpack(&mut cursor).map_err(unpack_err)?;
        let (length, _) = u32::unpack(&mut cursor).map_err(unpack_err)?;
        let start = cursor.position() as usize;
        let length = length as usize;
        if length > buf.len() {
            return Err(garbled(format!("{length} bytes for {count} asked")));
        }
        let data = body
            .get(start..start + length)
            .ok_or_else(|| garbled(format!("{length} bytes announced, fewer sent")))?;
        buf[..length].copy_from_slice(data);
        self.absorb_post_op(&attrs, seq);
        Ok((length, eof))
    }

    /// Writes `data` at `offset` with `stable`; returns how many bytes were
    /// written (all unless an error stopped it part way).
    ///
    /// Errors: `ENOSPC`, `EDQUOT`, `EFBIG`, `ESTALE`, `EIO`.
    pub async fn write(&self, offset: u64, data: &[u8], stable: stable_how) -> Result<usize> {
        let Some(kept) = &self.data else {
            return Err(Errno::EINVAL.with(format!("write to {}", self.what())));
        };
        let max = self.state.limits.maxfilesize;
        if offset >= max && !data.is_empty() {
            return Err(Errno::EFBIG.with(format!(
                "write at {offset} beyond the server's maximum file size {max}"
            )));
        }
        let data = &data[..data.len().min((max - offset.min(max)) as usize)];
        let wsize = self.state.limits.wsize as usize;
        let order = kept.order.read().await;
        let mut pieces = Vec::with_capacity(data.len().div_ceil(wsize.max(1)));
        for (i, piece) in data.chunks(wsize.max(1)).enumerate() {
            pieces.push(self.write_kept(offset + (i * wsize) as u64, piece, stable, false));
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
        for (i, piece) in data.chunks(wsize.max(1)).enumerate() {
            if matches!(&results[i], Err(e) if e.errno() == Errno::EINVAL) {
                results[i] = self
                    .write_kept(offset + (i * wsize) as u64, piece, stable, true)
                    .await;
            }
        }
        drop(order);
        let mut total = 0;
        let mut weaker = false;
        let mut failure = None;
        for (result, piece) in results.into_iter().zip(data.chunks(wsize.max(1))) {
            match result {
                Ok((n, committed)) if failure.is_none() => {
                    total += n;
                    weaker |= committed == stable_how::UNSTABLE && stable != stable_how::UNSTABLE;
                    if n < piece.len() {
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
        if weaker || kept.bytes() > MAX_UNCOMMITTED {
            self.commit().await?;
        }
        Ok(total)
    }

    /// Writes `piece` at `at` and keeps it if the server answered UNSTABLE. With
    /// `may_extend`, a refusal because `at` is past end of file (a server without
    /// holes) extends the file with zeros and sends the piece again; only safe
    /// when no earlier piece of the same write is still in flight, since the
    /// extension sets the size.
    async fn write_kept(
        &self,
        at: u64,
        piece: &[u8],
        stable: stable_how,
        may_extend: bool,
    ) -> Result<(usize, stable_how)> {
        let kept = self
            .data
            .as_ref()
            .ok_or_else(|| Errno::EINVAL.with(format!("write to {}", self.what())))?;
        let id = kept.next_id();
        let (n, committed, verf) = match self.write_full(at, piece, stable).await {
            Err(e) if may_extend && e.errno() == Errno::EINVAL => {
                if !self.extend_for(at).await? {
                    return Err(e);
                }
                self.write_full(at, piece, stable).await?
            }
            other => other?,
        };
        if committed == stable_how::UNSTABLE {
            kept.record(id, at, &piece[..n], verf);
        }
        Ok((n, committed))
    }

    /// After a write at `at` failed with INVAL: if `at` is past end of file, the
    /// server has no holes; extend the file with zeros by SETATTR (which such
    /// servers do) so the write can be sent again. Returns whether it did.
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

    /// Writes all of `data` at `offset` (a server may take less than sent).
    /// Returns the count, the weakest stability of the replies and their verifier
    /// ([`UNSURE`] if they disagreed).
    async fn write_full(
        &self,
        offset: u64,
        data: &[u8],
        stable: stable_how,
    ) -> Result<(usize, stable_how, writeverf3)> {
        let mut done = 0;
        let mut committed = stable_how::FILE_SYNC;
        let mut verf = None;
        while done < data.len() {
            let (n, how, this) = self
                .write_piece(offset + done as u64, &data[done..], stable)
                .await?;
            if n == 0 {
                return Err(Errno::EIO.with(format!(
                    "{} WRITE to {} took 0 bytes",
                    self.state.server(),
                    self.what()
                )));
            }
            done += n.min(data.len() - done);
            committed = weakest(committed, how);
            verf = match verf {
                None => Some(this),
                Some(seen) if seen == this => Some(seen),
                Some(_) => Some(UNSURE),
            };
        }
        Ok((done, committed, verf.unwrap_or(UNSURE)))
    }

    /// One WRITE.
    async fn write_piece(
        &self,
        offset: u64,
        data: &[u8],
        stable: stable_how,
    ) -> Result<(usize, stable_how, writeverf3)> {
        let count = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let args = WRITE3args {
            file: self.fh.clone(),
            offset,
            count,
            stable,
            data: Opaque::borrowed(&data[..count as usize]),
        };
        let seq = self.state.begin();
        let reply: WRITE3res = self
            .state
            .client
            .call(NFS_PROGRAM::NFSPROC3_WRITE, &args)
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

    /// Makes every write of this file so far stable: COMMIT, and when the server
    /// lost some (its verifier changed), send them again and commit again.
    ///
    /// Errors: `ENOSPC`, `EDQUOT`, `ESTALE`, `EIO`.
    pub async fn commit(&self) -> Result<()> {
        let Some(kept) = &self.data else {
            return Ok(());
        };
        if kept.is_empty() {
            return Ok(());
        }
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
                    .write_full(write.offset, &write.data, stable_how::UNSTABLE)
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
