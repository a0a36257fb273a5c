//! The fault scenarios: the server killed and restarted during a large read or
//! write, the connection cut by the proxy every N bytes, the reply to an
//! exclusive CREATE or a REMOVE lost after the server did the work, a soft mount
//! whose server stops answering, and servers that cannot be reached at all. Each
//! returns a [`Verdict`]; data is compared byte for byte with [`crate::pattern`].

use crate::ganesha;
use crate::pattern;
use crate::proxy::{Direction, FaultPlan, FaultProxy};
use crate::report::Verdict;
use crate::urls::{option, with_nfs_port};
use futures::executor::block_on;
use nfs3_types::nfs3::NFS_PROGRAM::{self, NFSPROC3_CREATE, NFSPROC3_REMOVE};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use vfs_core::{url_with_option, url_with_path};
use vfs_core::{Errno, FileType, MountOptions, Namespace, OpenFlags};
use vfs_nfs::NfsFs;

/// Bytes per READ or WRITE call of the scenarios: the servers' 1 MiB transfer.
const CHUNK: usize = 1 << 20;

/// Mounts `url` as the root of a new namespace.
pub fn mount(url: &str) -> Result<Arc<Namespace>, String> {
    let fs = block_on(NfsFs::mount(url)).map_err(|e| format!("mount {url}: {e}"))?;
    Ok(Arc::new(Namespace::new(
        Arc::new(fs),
        MountOptions::default(),
    )))
}

/// A name no other run or process uses.
pub fn unique(label: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "torture-{}-{}-{label}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Reads `path` of `ns` (`size` bytes of pattern `seed`) and checks every byte;
/// `progress` counts the bytes read so far.
fn read_and_check(
    ns: &Namespace,
    path: &str,
    size: u64,
    seed: u64,
    progress: &AtomicU64,
) -> Result<(), String> {
    let me = ns.root_caller();
    let file =
        block_on(ns.open(&me, path, OpenFlags::RDONLY, 0)).map_err(|e| format!("open: {e}"))?;
    let mut buffer = vec![0u8; CHUNK];
    let mut offset = 0u64;
    let result = loop {
        match block_on(file.read_at(offset, &mut buffer)) {
            Err(e) => break Err(format!("read at {offset}: {e}")),
            Ok(0) => break Ok(()),
            Ok(n) => {
                if let Some(at) = pattern::first_difference(seed, offset, &buffer[..n]) {
                    break Err(format!("wrong data at byte {at}"));
                }
                offset += n as u64;
                progress.store(offset, Ordering::Relaxed);
            }
        }
    };
    let _ = block_on(file.close());
    result?;
    if offset == size {
        Ok(())
    } else {
        Err(format!("read {offset} bytes of {size}"))
    }
}

/// Writes `size` bytes of pattern `seed` to a new `path` of `ns`, then fsync and
/// close; `progress` counts the bytes written so far.
fn write_and_sync(
    ns: &Namespace,
    path: &str,
    size: u64,
    seed: u64,
    progress: &AtomicU64,
) -> Result<(), String> {
    let me = ns.root_caller();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
    let file = block_on(ns.open(&me, path, flags, 0o644)).map_err(|e| format!("create: {e}"))?;
    let mut buffer = vec![0u8; CHUNK];
    let mut offset = 0u64;
    let result = (|| {
        while offset < size {
            let n = CHUNK.min((size - offset) as usize);
            pattern::fill(seed, offset, &mut buffer[..n]);
            let written = block_on(file.write_at(offset, &buffer[..n]))
                .map_err(|e| format!("write at {offset}: {e}"))?;
            if written == 0 {
                return Err(format!("write at {offset} wrote nothing"));
            }
            offset += written as u64;
            progress.store(offset, Ordering::Relaxed);
        }
        block_on(file.fsync(false)).map_err(|e| format!("fsync: {e}"))
    })();
    let closed = block_on(file.close()).map_err(|e| format!("close: {e}"));
    result.and(closed)
}

/// Waits until `progress` reaches `mark` or `limit` passes.
fn wait_for(progress: &AtomicU64, mark: u64, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while progress.load(Ordering::Relaxed) < mark {
        if Instant::now() > deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(2));
    }
    true
}

/// Runs `transfer` of `size` bytes on its own thread (it counts its progress)
/// while ganesha is killed and restarted part way; the transfer's result, or why
/// the server could not be controlled.
fn across_a_restart(
    size: u64,
    transfer: impl FnOnce(&AtomicU64) -> Result<(), String> + Send + 'static,
) -> Result<(), String> {
    let progress = Arc::new(AtomicU64::new(0));
    let counted = progress.clone();
    let worker = thread::spawn(move || transfer(&counted));
    let server = kill_and_restart_at(&progress, size);
    let transferred = worker
        .join()
        .unwrap_or_else(|_| Err("the transfer panicked".into()));
    server.map_err(|e| format!("server control: {e}"))?;
    transferred
}

/// SIGKILL to ganesha once `progress` passes a quarter of `size`, restart 2 s
/// later. Returns what went wrong with the server itself, if anything.
fn kill_and_restart_at(progress: &AtomicU64, size: u64) -> Result<(), String> {
    if !wait_for(progress, size / 4, Duration::from_secs(120)) {
        return Err("the transfer never reached a quarter: server not killed".into());
    }
    ganesha::kill9()?;
    thread::sleep(Duration::from_secs(2));
    ganesha::start().map(|_| ())
}

/// Ganesha killed with SIGKILL during a `size`-byte read on a hard mount of
/// `url` and restarted 2 s later: the read must complete with the right bytes.
pub fn ganesha_kill_during_read(url: &str, size: u64) -> Verdict {
    let name = format!("ganesha SIGKILL during a {} MiB read", size >> 20);
    let dir = unique("kill-read");
    let local = ganesha::export_dir().join(&dir);
    let setup = (|| {
        std::fs::create_dir_all(&local)?;
        let mut file = std::fs::File::create(local.join("big"))?;
        let mut buffer = vec![0u8; 8 << 20];
        let mut offset = 0;
        while offset < size {
            let n = buffer.len().min((size - offset) as usize);
            pattern::fill(1, offset, &mut buffer[..n]);
            file.write_all(&buffer[..n])?;
            offset += n as u64;
        }
        Ok::<(), std::io::Error>(())
    })();
    if let Err(e) = setup {
        let _ = std::fs::remove_dir_all(&local);
        return Verdict::fail(name, format!("cannot make the file in the export: {e}"));
    }
    let verdict = match mount(&url_with_path(url, &dir)) {
        Err(e) => Verdict::fail(&name, e),
        Ok(ns) => {
            match across_a_restart(size, move |progress| {
                read_and_check(&ns, "/big", size, 1, progress)
            }) {
                Ok(()) => Verdict::pass(&name, "read completed, every byte right"),
                Err(e) => Verdict::fail(&name, e),
            }
        }
    };
    let _ = std::fs::remove_dir_all(&local);
    verdict
}

/// Ganesha killed with SIGKILL during a `size`-byte write and restarted 2 s
/// later; after fsync returns, the server's file must hold every byte.
pub fn ganesha_kill_during_write(url: &str, size: u64) -> Verdict {
    let name = format!("ganesha SIGKILL during a {} MiB write + fsync", size >> 20);
    let dir = unique("kill-write");
    let local = ganesha::export_dir().join(&dir);
    if let Err(e) = std::fs::create_dir_all(&local) {
        return Verdict::fail(name, format!("cannot make a directory in the export: {e}"));
    }
    let verdict = match mount(&url_with_path(url, &dir)) {
        Err(e) => Verdict::fail(&name, e),
        Ok(ns) => {
            match across_a_restart(size, move |progress| {
                write_and_sync(&ns, "/big", size, 2, progress)
            }) {
                Err(e) => Verdict::fail(&name, e),
                Ok(()) => match compare_local(&local.join("big"), size, 2) {
                    Ok(()) => Verdict::pass(&name, "fsync returned; the server's file is right"),
                    Err(e) => Verdict::fail(&name, format!("after fsync: {e}")),
                },
            }
        }
    };
    let _ = std::fs::remove_dir_all(&local);
    verdict
}

/// Compares the file at `path` on this machine with `size` bytes of pattern `seed`.
fn compare_local(path: &std::path::Path, size: u64, seed: u64) -> Result<(), String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut buffer = vec![0u8; 8 << 20];
    let mut offset = 0u64;
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        if let Some(at) = pattern::first_difference(seed, offset, &buffer[..n]) {
            return Err(format!("the server's file differs at byte {at}"));
        }
        offset += n as u64;
    }
    if offset == size {
        Ok(())
    } else {
        Err(format!("the server's file has {offset} bytes, not {size}"))
    }
}

/// The address of the NFS program of `url` (host 127.0.0.1, its `nfsport`).
fn nfs_address(url: &str) -> Result<SocketAddr, String> {
    let port: u16 = option(url, "nfsport")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| format!("{url} has no nfsport option"))?;
    Ok(SocketAddr::from(([127, 0, 0, 1], port)))
}

/// Reads and writes `size` bytes through a proxy cutting every connection after
/// `every` bytes (replies for the read, calls for the write), on a hard mount of
/// `url` (any server on 127.0.0.1 with an `nfsport`). The file read is written
/// first without faults; the file written is checked afterwards through a mount
/// without the proxy. Returns the read's verdict and the write's.
pub fn proxy_cuts(url: &str, size: u64, every: u64) -> [Verdict; 2] {
    let read_name = format!(
        "proxy cut every {} KiB during a {} MiB read",
        every >> 10,
        size >> 20
    );
    let write_name = format!(
        "proxy cut every {} KiB during a {} MiB write + fsync",
        every >> 10,
        size >> 20
    );
    let setup = (|| {
        let target = nfs_address(url)?;
        let proxy = FaultProxy::start(target, FaultPlan::default())
            .map_err(|e| format!("cannot start the proxy: {e}"))?;
        let direct = mount(url)?;
        let dir = format!("/{}", unique("cuts"));
        block_on(direct.mkdir(&direct.root_caller(), &dir, 0o755))
            .map_err(|e| format!("mkdir {dir}: {e}"))?;
        let cut = mount(&with_nfs_port(url, proxy.port()))?;
        Ok::<_, String>((proxy, direct, cut, dir))
    })();
    let (proxy, direct, cut, dir) = match setup {
        Ok(parts) => parts,
        Err(e) => return [Verdict::fail(read_name, &e), Verdict::fail(write_name, e)],
    };
    let progress = AtomicU64::new(0);
    // The read: written through the proxy while it is still clean.
    let source = format!("{dir}/source");
    let read = write_and_sync(&cut, &source, size, 3, &progress).and_then(|()| {
        proxy.set_plan(FaultPlan {
            cut_after: Some((Direction::ToClient, every)),
            ..FaultPlan::default()
        });
        read_and_check(&cut, &source, size, 3, &progress)
    });
    let cuts_in_read = proxy.counters().cuts.load(Ordering::Relaxed);
    let read = match read {
        Ok(()) => Verdict::pass(
            read_name,
            format!("every byte right across {cuts_in_read} cuts"),
        ),
        Err(e) => Verdict::fail(read_name, format!("{e} (after {cuts_in_read} cuts)")),
    };
    proxy.set_plan(FaultPlan {
        cut_after: Some((Direction::ToServer, every)),
        ..FaultPlan::default()
    });
    let target = format!("{dir}/target");
    let written = write_and_sync(&cut, &target, size, 4, &progress);
    let cuts_in_write = proxy.counters().cuts.load(Ordering::Relaxed) - cuts_in_read;
    proxy.set_plan(FaultPlan::default());
    let write = match written.and_then(|()| read_and_check(&direct, &target, size, 4, &progress)) {
        Ok(()) => Verdict::pass(
            write_name,
            format!("server's file right across {cuts_in_write} cuts"),
        ),
        Err(e) => Verdict::fail(write_name, format!("{e} (after {cuts_in_write} cuts)")),
    };
    let me = direct.root_caller();
    for path in [&source, &target] {
        let _ = block_on(direct.unlink(&me, path));
    }
    let _ = block_on(direct.rmdir(&me, &dir));
    [read, write]
}

/// A hard mount of directory `dir` of `url` through a fault proxy, and a mount
/// of the same directory straight to the server (no attribute caching) to check
/// what the server holds; `dir` is made first, on the server.
struct LostReplyRig {
    proxy: FaultProxy,
    /// The mount through the proxy, whose calls are counted.
    fs: Arc<NfsFs>,
    cut: Namespace,
    direct: Arc<Namespace>,
    /// The directory, from the export's root.
    dir: String,
    /// The whole export, straight to the server, to remove `dir` at the end.
    base: Arc<Namespace>,
}

impl LostReplyRig {
    fn new(url: &str, label: &str) -> Result<LostReplyRig, String> {
        let target = nfs_address(url)?;
        let proxy = FaultProxy::start(target, FaultPlan::default())
            .map_err(|e| format!("cannot start the proxy: {e}"))?;
        let base = mount(&url_with_option(url, "noac"))?;
        let dir = format!("/{}", unique(label));
        block_on(base.mkdir(&base.root_caller(), &dir, 0o755))
            .map_err(|e| format!("mkdir {dir}: {e}"))?;
        let inside = url_with_path(url, &dir[1..]);
        let direct = mount(&url_with_option(&inside, "noac"))?;
        let through = with_nfs_port(&inside, proxy.port());
        let fs = Arc::new(
            block_on(NfsFs::mount(&through)).map_err(|e| format!("mount {through}: {e}"))?,
        );
        let cut = Namespace::new(fs.clone(), MountOptions::default());
        Ok(LostReplyRig {
            proxy,
            fs,
            cut,
            direct,
            dir,
            base,
        })
    }

    /// Loses the reply to the next call of `procedure`.
    fn lose_reply_to(&self, procedure: NFS_PROGRAM) {
        self.proxy.update(|plan| {
            plan.lose_reply_to = Some((nfs3_types::nfs3::PROGRAM, procedure as u32))
        });
    }

    /// The names in the directory, as the server lists them.
    fn names(&self) -> Result<Vec<String>, String> {
        let listed = block_on(self.direct.read_dir(&self.direct.root_caller(), "/"))
            .map_err(|e| format!("listing the directory: {e}"))?;
        Ok(listed.into_iter().map(|e| e.name.to_string()).collect())
    }

    /// Replies lost so far.
    fn lost(&self) -> u64 {
        self.proxy.counters().lost_replies.load(Ordering::Relaxed)
    }

    /// Runs `call` (named `op` in messages) with the reply to the next call of
    /// `procedure` (`label`) lost. Returns what was sent ("CREATE sent 2 times, 1
    /// reply lost"), or why the scenario failed: `call` failed, or no reply was
    /// lost and the call sent again.
    fn with_reply_lost(
        &self,
        procedure: NFS_PROGRAM,
        label: &str,
        op: &str,
        call: impl FnOnce() -> vfs_core::Result<()>,
    ) -> Result<String, String> {
        self.lose_reply_to(procedure);
        let before = self.fs.rpc_counts();
        let done = call();
        let calls = self.fs.rpc_counts().since(&before).get(procedure);
        let lost = self.lost();
        let sent = format!("{label} sent {calls} times, {lost} reply lost");
        if let Err(e) = done {
            return Err(format!("{op} failed ({sent}): {e}"));
        }
        if lost != 1 || calls < 2 {
            return Err(format!("no reply was lost and resent: {sent}"));
        }
        Ok(sent)
    }
}

impl Drop for LostReplyRig {
    fn drop(&mut self) {
        let me = self.direct.root_caller();
        if let Ok(names) = self.names() {
            for name in names {
                let _ = block_on(self.direct.unlink(&me, &format!("/{name}")));
            }
        }
        let _ = block_on(self.base.rmdir(&self.base.root_caller(), &self.dir));
    }
}

/// `open(O_CREAT|O_EXCL)` on a hard mount of `url` through a proxy that loses the
/// CREATE's reply (the server made the file; the connection is cut before the
/// reply's first byte). The client sends the CREATE again on a new connection;
/// the EXCLUSIVE CREATE's verifier lets the server answer OK, so the open must
/// succeed (not `EEXIST`) and the server must hold the one file, with the mode
/// asked for.
pub fn lost_exclusive_create_reply(url: &str) -> Verdict {
    let name = "O_EXCL create whose CREATE reply was lost";
    let rig = match LostReplyRig::new(url, "lost-create") {
        Ok(rig) => rig,
        Err(e) => return Verdict::fail(name, e),
    };
    let me = rig.cut.root_caller();
    let flags = OpenFlags::WRONLY | OpenFlags::CREATE | OpenFlags::EXCLUSIVE;
    let created = rig.with_reply_lost(NFSPROC3_CREATE, "CREATE", "open or close", || {
        let file = block_on(rig.cut.open(&me, "/new", flags, 0o640))?;
        block_on(file.close())
    });
    let sent = match created {
        Ok(sent) => sent,
        Err(e) => return Verdict::fail(name, e),
    };
    match rig.names() {
        Err(e) => return Verdict::fail(name, e),
        Ok(names) if names != ["new"] => {
            return Verdict::fail(
                name,
                format!("the directory holds {names:?}, not just \"new\""),
            )
        }
        Ok(_) => {}
    }
    match block_on(rig.direct.stat(&rig.direct.root_caller(), "/new")) {
        Err(e) => Verdict::fail(name, format!("stat on the server: {e}")),
        Ok(attr) if attr.file_type != FileType::Regular || attr.size != 0 => Verdict::fail(
            name,
            format!(
                "the server holds a {:?} of {} bytes",
                attr.file_type, attr.size
            ),
        ),
        Ok(attr) if attr.mode & 0o7777 != 0o640 => Verdict::fail(
            name,
            format!(
                "the server's file has mode {:o}, not 640",
                attr.mode & 0o7777
            ),
        ),
        Ok(_) => Verdict::pass(name, format!("open succeeded, one file, mode 640; {sent}")),
    }
}

/// `unlink` on a hard mount of `url` through a proxy that loses the REMOVE's
/// reply: the REMOVE sent again finds the name gone (`NOENT`), which is the
/// client's own work, so the unlink must succeed and the file be gone.
pub fn lost_remove_reply(url: &str) -> Verdict {
    let name = "unlink whose REMOVE reply was lost";
    let rig = match LostReplyRig::new(url, "lost-remove") {
        Ok(rig) => rig,
        Err(e) => return Verdict::fail(name, e),
    };
    let me = rig.cut.root_caller();
    let made = block_on(
        rig.cut
            .open(&me, "/gone", OpenFlags::WRONLY | OpenFlags::CREATE, 0o644),
    )
    .and_then(|file| block_on(file.close()));
    if let Err(e) = made {
        return Verdict::fail(name, format!("cannot make the file: {e}"));
    }
    let unlinked = rig.with_reply_lost(NFSPROC3_REMOVE, "REMOVE", "unlink", || {
        block_on(rig.cut.unlink(&me, "/gone"))
    });
    let sent = match unlinked {
        Ok(sent) => sent,
        Err(e) => return Verdict::fail(name, e),
    };
    match rig.names() {
        Err(e) => Verdict::fail(name, e),
        Ok(names) if !names.is_empty() => {
            Verdict::fail(name, format!("the directory still holds {names:?}"))
        }
        Ok(_) => Verdict::pass(name, format!("unlink succeeded, the file is gone; {sent}")),
    }
}

/// A soft mount (`timeo=10`, `retrans=1`: a 2 s bound) of `url` through a proxy
/// that then stalls, as a server that stopped answering: a GETATTR must fail with
/// EIO or ETIMEDOUT. With `enforce_bound`, it must also fail within the bound
/// plus one second (the rule; the cargo tests leave timing to their
/// watchdog).
pub fn soft_mount_stalled(url: &str, enforce_bound: bool) -> Verdict {
    let name = "soft mount, server stopped answering";
    let proxy = match nfs_address(url).and_then(|target| {
        FaultProxy::start(target, FaultPlan::default()).map_err(|e| e.to_string())
    }) {
        Ok(proxy) => proxy,
        Err(e) => return Verdict::fail(name, e),
    };
    let soft = url_with_option(
        &with_nfs_port(url, proxy.port()),
        "soft&timeo=10&retrans=1&noac",
    );
    let ns = match mount(&soft) {
        Ok(ns) => ns,
        Err(e) => return Verdict::fail(name, e),
    };
    proxy.update(|plan| plan.stall = true);
    let started = Instant::now();
    let result = block_on(ns.stat(&ns.root_caller(), "/"));
    let took = started.elapsed();
    proxy.update(|plan| plan.stall = false);
    let bound = Duration::from_secs(2) + Duration::from_secs(1);
    match result {
        Ok(_) => Verdict::fail(name, "stat succeeded with the server stalled"),
        Err(e) if ![Errno::EIO, Errno::ETIMEDOUT].contains(&e.errno()) => Verdict::fail(
            name,
            format!("failed with {:?}, not EIO/ETIMEDOUT: {e}", e.errno()),
        ),
        Err(e) if enforce_bound && took > bound => Verdict::fail(
            name,
            format!("failed after {took:?}, over the {bound:?} bound: {e}"),
        ),
        Err(e) => Verdict::pass(name, format!("{:?} after {took:.1?}: {e}", e.errno())),
    }
}

/// Mounting a server that cannot be reached: `url` must fail within `limit` with
/// one of `errnos` and a message naming `names` (the address).
pub fn unreachable(
    label: &str,
    url: &str,
    limit: Duration,
    errnos: &[Errno],
    names: &str,
) -> Verdict {
    let started = Instant::now();
    let result = block_on(NfsFs::mount(url));
    let took = started.elapsed();
    match result {
        Ok(_) => Verdict::fail(label, format!("mount of {url} succeeded")),
        Err(e) if !errnos.contains(&e.errno()) => Verdict::fail(
            label,
            format!("{:?} (want one of {errnos:?}): {e}", e.errno()),
        ),
        Err(e) if took > limit => {
            Verdict::fail(label, format!("took {took:?}, over {limit:?}: {e}"))
        }
        Err(e) if !e.to_string().contains(names) => {
            Verdict::fail(label, format!("message does not name {names}: {e}"))
        }
        Err(e) => Verdict::pass(label, format!("{:?} after {took:.1?}: {e}", e.errno())),
    }
}

/// A port of 127.0.0.1 nothing listens on (bound, then closed).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(1, |a| a.port())
}
