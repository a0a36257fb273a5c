//! Sequential readahead of one open file.
//!
//! A reader whose every read starts where the last one ended (the first at
//! offset 0 counts) gets READs of the next [`AHEAD`] bytes sent before it asks,
//! on the I/O threads, so the server and the network work while the application
//! processes its buffer. A read anywhere else drops the window and goes to the
//! server directly: random readers get no readahead and pay nothing for it.
//!
//! Readahead data is never stale:
//!
//! - The window belongs to one open (one [`crate::file::NfsFile`]), so a new open
//!   starts empty: close-to-open holds as without readahead.
//! - A piece is served only if no write of this mount to the file started or
//!   ended since its READ was sent (the file's write count), and the file's size,
//!   mtime and ctime cached now are those its READ reply carried, which a
//!   truncation or any other change this mount has seen would have moved.
//!   Otherwise the window is dropped and the read goes to the server.
//! - Nothing is read ahead past the size last seen, so a file growing behind the
//!   reader's back is read directly.
//!
//! Memory: at most `AHEAD` plus the reader's own request per open file, held in
//! the reply records themselves; the data is copied once, into the caller's
//! buffer.

use crate::node::NfsNode;
use crate::proc_io::{ReadData, StartedRead};
use crate::state::MountState;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use vfs_core::{Errno, Result};

/// Bytes read ahead of a sequential reader's request, when it reads alone.
pub const AHEAD: usize = 4 << 20;

/// Bytes read ahead by all the sequential readers of one mount together: each of
/// `n` readers gets `BUDGET / n` (at most [`AHEAD`]), and none when that share is
/// less than one `rsize`: then enough readers keep the server busy with their own
/// READs. A server serves the same bytes per second however many wait; a READ
/// sent ahead comes back while its reader is still busy, so its data cannot land
/// in the reader's buffer and is copied twice, and on a busy machine that second
/// copy costs more than the wait it saves.
pub const BUDGET: usize = 4 << 20;

/// A READ sent ahead, waited for or done.
enum Piece {
    Sent(StartedRead),
    Done(Result<ReadData>),
}

/// One READ ahead of the reader.
struct Chunk {
    offset: u64,
    /// Bytes already handed to the reader.
    consumed: usize,
    /// Bytes asked.
    asked: usize,
    /// The file's write count when the READ was sent.
    changes: u64,
    piece: Piece,
}

/// The readahead window of one open file.
pub struct Readahead {
    window: tokio::sync::Mutex<Window>,
    state: Arc<MountState>,
}

#[derive(Default)]
struct Window {
    /// Where a sequential reader reads next.
    next: u64,
    /// Contiguous READs from `next` on.
    chunks: VecDeque<Chunk>,
    /// Where the next READ ahead starts.
    end: u64,
    /// Counted among the mount's sequential readers (`MountState::readers`).
    counted: bool,
}

impl Window {
    fn reset(&mut self, next: u64) {
        self.chunks.clear();
        self.next = next;
        self.end = next;
    }
}

impl Readahead {
    /// An empty window for a file of the mount `state`.
    pub fn new(state: Arc<MountState>) -> Readahead {
        Readahead {
            window: tokio::sync::Mutex::new(Window::default()),
            state,
        }
    }

    /// Counts this file among the mount's sequential readers, or stops counting it.
    fn count(&self, window: &mut Window, sequential: bool) {
        if window.counted != sequential {
            window.counted = sequential;
            if sequential {
                self.state.readers.fetch_add(1, Ordering::Relaxed);
            } else {
                self.state.readers.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Reads up to `buf.len()` bytes of `node` at `offset` (fewer only at end of
    /// file), from the window when the reader is sequential.
    ///
    /// Errors: those of READ (`ESTALE`, `EIO`).
    pub async fn read(&self, node: &Arc<NfsNode>, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut window = self.window.lock().await;
        if offset != window.next || buf.is_empty() {
            self.count(&mut window, false);
            window.reset(u64::MAX);
            drop(window);
            let n = node.read(offset, buf).await?;
            let mut window = self.window.lock().await;
            window.reset(offset + n as u64);
            return Ok(n);
        }
        let kept = node.kept()?;
        self.count(&mut window, true);
        if window.chunks.is_empty() && share(node).is_none() {
            // Too many readers for any to read ahead: straight into `buf`.
            let n = node.read(offset, buf).await?;
            window.reset(offset + n as u64);
            return Ok(n);
        }
        top_up(&mut window, node, buf.len()).await;
        let mut done = 0;
        let mut at_eof = false;
        while done < buf.len() {
            let position = offset + done as u64;
            let Some(chunk) = window.chunks.front_mut() else {
                break;
            };
            if chunk.offset + chunk.consumed as u64 != position {
                window.reset(position);
                break;
            }
            // Left in place if this wait is given up: the next read then drops the
            // window and reads directly.
            let gave_up = Piece::Done(Err(Errno::EINTR.with("READ ahead abandoned")));
            chunk.piece = match std::mem::replace(&mut chunk.piece, gave_up) {
                // The data lands in the caller's buffer if it arrives from now on.
                Piece::Sent(started) => {
                    Piece::Done(started.finish(node, Some(&mut buf[done..])).await)
                }
                done_already => done_already,
            };
            let Piece::Done(Ok(read)) = &chunk.piece else {
                // A failed READ ahead is not reported: the direct read below
                // tries again and reports what it meets.
                window.reset(position);
                break;
            };
            let fresh = kept.changes() == chunk.changes
                && read.key.is_some()
                && read.key == node.data_key();
            if !fresh {
                window.reset(position);
                break;
            }
            let n = match read.in_record() {
                Some(data) => {
                    let data = &data[chunk.consumed..];
                    let n = data.len().min(buf.len() - done);
                    buf[done..done + n].copy_from_slice(&data[..n]);
                    n
                }
                // Already in place: it landed at `done`.
                None => read.len(),
            };
            done += n;
            chunk.consumed += n;
            if chunk.consumed == read.len() {
                let short = read.len() < chunk.asked;
                let eof = read.eof;
                window.chunks.pop_front();
                if eof {
                    at_eof = true;
                    break;
                }
                if short {
                    window.reset(offset + done as u64);
                    break;
                }
            }
        }
        if done < buf.len() && !at_eof {
            // The window did not cover the request: the rest from the server.
            let position = offset + done as u64;
            match node.read(position, &mut buf[done..]).await {
                Ok(n) => done += n,
                Err(e) if done == 0 => {
                    window.reset(offset);
                    return Err(e);
                }
                Err(_) => {}
            }
            if window.chunks.is_empty() {
                window.end = offset + done as u64;
            }
        }
        window.next = offset + done as u64;
        if window.end < window.next {
            let next = window.next;
            window.reset(next);
        }
        top_up(&mut window, node, 0).await;
        Ok(done)
    }
}

impl Drop for Readahead {
    fn drop(&mut self) {
        if self.window.get_mut().counted {
            self.state.readers.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// This reader's share of [`BUDGET`] (at most [`AHEAD`]); `None` when it is less
/// than one `rsize`.
fn share(node: &NfsNode) -> Option<usize> {
    let rsize = node.state.limits.rsize.max(1) as usize;
    let readers = node.state.readers.load(Ordering::Relaxed).max(1);
    let share = BUDGET / readers;
    (share >= rsize).then(|| share.min(AHEAD.max(rsize)))
}

/// Sends `rsize` READs until the window reaches this reader's share of
/// [`BUDGET`] past its next request of `want` bytes, but not past the size last
/// seen.
async fn top_up(window: &mut Window, node: &Arc<NfsNode>, want: usize) {
    let rsize = node.state.limits.rsize.max(1) as u64;
    let Some(size) = node.data_key().map(|key| key.size()) else {
        return;
    };
    let Ok(kept) = node.kept() else { return };
    let ahead = share(node).unwrap_or(0);
    let limit = window.next + (want + ahead) as u64;
    while window.end < limit && window.end < size {
        let offset = window.end;
        let count = rsize.min(size - offset);
        let changes = kept.changes();
        // Not sent (no connection): the reader's own reads go direct.
        let Ok(started) = node.start_read(offset, count as u32).await else {
            return;
        };
        window.chunks.push_back(Chunk {
            offset,
            consumed: 0,
            asked: count as usize,
            changes,
            piece: Piece::Sent(started),
        });
        window.end += count;
    }
}
