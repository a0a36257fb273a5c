//! The backend's own I/O threads: a small tokio runtime shared by every NFS mount
//! of the process, so callers need no runtime of their own.
//!
//! Only sockets live here. Callers reach it through channels whose futures work
//! under any executor, which is what lets the blocking POSIX shim, a unikernel's
//! executor or a tokio application share one mount.

use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::{Builder, Runtime};

/// I/O threads: two keep one busy connection's reader and writer from waiting on
/// each other on this project's two-core machines without taking more.
const IO_THREADS: usize = 2;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .worker_threads(IO_THREADS)
            .thread_name("vfs-nfs-io")
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("cannot start the NFS I/O threads: {e}"))
    })
}

/// Runs `task` on the I/O threads; the returned future (usable from any executor)
/// yields its output, or a message if the task panicked.
pub fn spawn<F>(task: F) -> impl Future<Output = Result<F::Output, String>> + Send
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handle = runtime().spawn(task);
    async move {
        handle
            .await
            .map_err(|e| format!("NFS I/O task failed: {e}"))
    }
}

/// A timer of the I/O threads that any executor may await. Made here because
/// tokio's `sleep` needs a runtime at creation and callers may have none; dropping
/// it (when the awaited call won) cancels it, so no timer outlives its call.
pub fn sleep(duration: std::time::Duration) -> tokio::time::Sleep {
    let _inside = runtime().enter();
    tokio::time::sleep(duration)
}

/// `task`'s output, or `None` when `limit` passed first (the task is dropped).
pub async fn within<F: Future>(limit: std::time::Duration, task: F) -> Option<F::Output> {
    let timer = std::pin::pin!(sleep(limit));
    match futures::future::select(std::pin::pin!(task), timer).await {
        futures::future::Either::Left((output, _)) => Some(output),
        futures::future::Either::Right(_) => None,
    }
}
