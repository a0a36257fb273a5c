//! A fake NFSv3 + MOUNT server on one port of 127.0.0.1 that answers honestly for
//! a tiny tree and breaks one kind of reply on purpose ([`HostileKind`]).
//!
//! The tree: the export root (`file`, a 13-byte regular file, and `sub`, an empty
//! directory) and, outside the export, the root's parent holding `secret`. An
//! honest answer to LOOKUP of `..` in the root is that parent, as a real server
//! gives for an export below its root: a client must never follow it.
//!
//! Plain threads, one per connection, so a client that hangs or floods cannot
//! stall the server, and every hostile reply is written byte for byte as meant.
//!
//! Besides hostile replies, the server can be told at any time to answer one
//! procedure with `NFS3ERR_JUKEBOX` ("busy, ask later") a number of times, or
//! for ever, before answering it honestly again ([`FakeServer::answer_jukebox`]).

use crate::hostile::{HostileKind, Target};
use crate::record::{decode_args, frame, parse_call, read_record, reply_body, send, Call};
use nfs3_types::mount::{fhandle3, mountres3, mountres3_ok};
use nfs3_types::nfs3::*;
use nfs3_types::rpc::accept_stat_data;
use nfs3_types::xdr_codec::{List, Opaque, Pack, Void};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

/// The contents of `file`.
pub const FILE_DATA: &[u8] = b"hello, world\n";

/// The server's largest READ and WRITE: small, so a READ reply that is too large
/// is easy to build.
const TRANSFER: u32 = 64 << 10;

/// One node of the tree.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Node {
    Root,
    File,
    Sub,
    Outside,
    Secret,
}

impl Node {
    fn handle(self) -> nfs_fh3 {
        let bytes: &[u8] = match self {
            Node::Root => b"fake-root",
            Node::File => b"fake-file",
            Node::Sub => b"fake-sub",
            Node::Outside => b"fake-outside",
            Node::Secret => b"fake-secret",
        };
        nfs_fh3 {
            data: Opaque::owned(bytes.to_vec()),
        }
    }

    fn from_handle(handle: &nfs_fh3) -> Option<Node> {
        [
            Node::Root,
            Node::File,
            Node::Sub,
            Node::Outside,
            Node::Secret,
        ]
        .into_iter()
        .find(|n| n.handle().data.as_ref() == handle.data.as_ref())
        // A long handle the server gave out for `file` still means `file`.
        .or_else(|| (handle.data.len() > 64).then_some(Node::File))
    }

    fn fileid(self) -> u64 {
        match self {
            Node::Root => 1,
            Node::File => 2,
            Node::Sub => 3,
            Node::Outside => 99,
            Node::Secret => 100,
        }
    }

    fn data(self) -> &'static [u8] {
        match self {
            Node::File => FILE_DATA,
            Node::Secret => b"secret\n",
            _ => b"",
        }
    }

    fn is_dir(self) -> bool {
        matches!(self, Node::Root | Node::Sub | Node::Outside)
    }

    fn attr(self) -> fattr3 {
        let time = nfstime3 {
            seconds: 1_700_000_000,
            nseconds: 0,
        };
        let (type_, mode, nlink, size) = if self.is_dir() {
            (ftype3::NF3DIR, 0o755, 2, 4096)
        } else {
            (ftype3::NF3REG, 0o644, 1, self.data().len() as u64)
        };
        fattr3 {
            type_,
            mode,
            nlink,
            uid: 0,
            gid: 0,
            size,
            used: size,
            rdev: specdata3::default(),
            fsid: 1,
            fileid: self.fileid(),
            atime: time,
            mtime: time,
            ctime: time,
        }
    }

    /// The honest answer to LOOKUP of `name` in this directory.
    fn lookup(self, name: &[u8]) -> Option<Node> {
        match (self, name) {
            (Node::Root, b"file") => Some(Node::File),
            (Node::Root, b"sub") => Some(Node::Sub),
            (Node::Root, b"..") | (Node::Outside, b"..") => Some(Node::Outside),
            (Node::Sub, b"..") => Some(Node::Root),
            (Node::Outside, b"secret") => Some(Node::Secret),
            (dir, b".") if dir.is_dir() => Some(dir),
            _ => None,
        }
    }

    fn entries(self) -> Vec<(Vec<u8>, Node)> {
        match self {
            Node::Root => vec![(b"file".to_vec(), Node::File), (b"sub".to_vec(), Node::Sub)],
            Node::Outside => vec![(b"secret".to_vec(), Node::Secret)],
            _ => Vec::new(),
        }
    }
}

/// A running fake server. Dropping it closes every connection and joins every
/// thread it started, so nothing of it outlives it (a leak checker run between
/// two servers, as the fuzzer's is, sees none of its memory).
pub struct FakeServer {
    port: u16,
    stopping: Arc<AtomicBool>,
    jukebox: Arc<Jukebox>,
    acceptor: Option<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<Connection>>>,
}

/// A connection being served: a second handle on its socket, to shut it down
/// from `Drop`, and the thread serving it.
struct Connection {
    socket: TcpStream,
    thread: JoinHandle<()>,
}

/// Which calls get `NFS3ERR_JUKEBOX`, shared by every connection.
#[derive(Default)]
struct Jukebox {
    /// The procedure and how many more of its calls get it (`None`: all).
    plan: Mutex<Option<(u32, Option<u64>)>>,
    /// JUKEBOX replies sent.
    sent: AtomicU64,
}

impl Jukebox {
    /// Whether `call` is to be answered JUKEBOX; counts it if so.
    fn takes(&self, call: &Call) -> bool {
        let mut plan = self.plan.lock().unwrap();
        let Some((procedure, left)) = plan.as_mut() else {
            return false;
        };
        // NULL has no status to carry it.
        if call.prog != PROGRAM || call.proc != *procedure || call.proc == 0 {
            return false;
        }
        match left {
            Some(0) => return false,
            Some(n) => *n -= 1,
            None => {}
        }
        self.sent.fetch_add(1, Ordering::Relaxed);
        true
    }
}

/// A result sent undecoded in place of the honest one for every call of one NFS
/// procedure: what a fuzzer feeds the client.
#[derive(Clone)]
struct RawResult {
    procedure: u32,
    bytes: Arc<[u8]>,
}

impl FakeServer {
    /// Starts a server that breaks replies as `kind` says (`None`: honest).
    pub fn start(kind: Option<HostileKind>) -> std::io::Result<FakeServer> {
        FakeServer::launch(kind, None)
    }

    /// Starts an otherwise honest server whose replies to `procedure` carry
    /// `result` (the bytes after the accepted RPC header) as they are.
    pub fn start_raw(procedure: NFS_PROGRAM, result: Vec<u8>) -> std::io::Result<FakeServer> {
        let raw = RawResult {
            procedure: procedure as u32,
            bytes: result.into(),
        };
        FakeServer::launch(None, Some(raw))
    }

    fn launch(kind: Option<HostileKind>, raw: Option<RawResult>) -> std::io::Result<FakeServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let jukebox = Arc::new(Jukebox::default());
        let busy = jukebox.clone();
        let connections = Arc::new(Mutex::new(Vec::new()));
        let served = connections.clone();
        let acceptor = thread::Builder::new()
            .name("fake-nfs".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let Ok(socket) = stream.try_clone() else {
                        continue;
                    };
                    let raw = raw.clone();
                    let busy = busy.clone();
                    let spawned = thread::Builder::new()
                        .name("fake-nfs-conn".into())
                        .spawn(move || serve(stream, kind, raw, &busy));
                    if let Ok(thread) = spawned {
                        let mut served = served.lock().unwrap();
                        served.retain(|c: &Connection| !c.thread.is_finished());
                        served.push(Connection { socket, thread });
                    }
                }
            })?;
        Ok(FakeServer {
            port,
            stopping,
            jukebox,
            acceptor: Some(acceptor),
            connections,
        })
    }

    /// From now on, answers the next `times` calls of `procedure` (every one,
    /// with `None`) with `NFS3ERR_JUKEBOX`, then answers it as before. Replaces
    /// any earlier such order.
    pub fn answer_jukebox(&self, procedure: NFS_PROGRAM, times: Option<u64>) {
        *self.jukebox.plan.lock().unwrap() = Some((procedure as u32, times));
    }

    /// How many `NFS3ERR_JUKEBOX` replies were sent so far.
    pub fn jukebox_replies(&self) -> u64 {
        self.jukebox.sent.load(Ordering::Relaxed)
    }

    /// The port of both programs (NFS and MOUNT) on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL mounting the export: soft, with a short timeout, so a reply the
    /// client throws away costs seconds, not a hang.
    pub fn url(&self) -> String {
        let port = self.port;
        format!(
            "nfs://127.0.0.1/export?nfsport={port}&mountport={port}&soft&timeo=10&retrans=1&noac"
        )
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the acceptor out of accept() to see `stopping`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        // A connection thread blocked reading its client's next call ends when
        // its socket is shut down under it.
        for connection in self.connections.lock().unwrap().drain(..) {
            let _ = connection.socket.shutdown(Shutdown::Both);
            let _ = connection.thread.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    kind: Option<HostileKind>,
    raw: Option<RawResult>,
    jukebox: &Jukebox,
) {
    let _ = stream.set_nodelay(true);
    while let Some(record) = read_record(&mut stream) {
        let Some(call) = parse_call(&record) else {
            return;
        };
        let raw_result = raw
            .as_ref()
            .filter(|r| call.prog == PROGRAM && r.procedure == call.proc);
        let reply = match (raw_result, call.prog) {
            _ if jukebox.takes(&call) => jukebox_reply(&call),
            (Some(raw), _) => {
                let mut body = reply_body(call.xid, accept_stat_data::SUCCESS, &Void);
                body.extend_from_slice(&raw.bytes);
                frame(&body)
            }
            (None, nfs3_types::mount::PROGRAM) => mount_reply(&call),
            (None, PROGRAM) => nfs_reply(&call, kind),
            (None, _) => frame(&reply_body(call.xid, accept_stat_data::PROG_UNAVAIL, &Void)),
        };
        if send(&mut stream, &reply).is_err() {
            return;
        }
    }
}

fn ok(call: &Call, result: &impl Pack) -> Vec<u8> {
    frame(&reply_body(call.xid, accept_stat_data::SUCCESS, result))
}

/// `NFS3ERR_JUKEBOX` as `call`'s procedure answers it: the status, then that
/// procedure's failure body with no attributes (a `post_op_attr` or `wcc_data`
/// per object it names, nothing for GETATTR).
fn jukebox_reply(call: &Call) -> Vec<u8> {
    use NFS_PROGRAM::*;
    let empty_words = match NFS_PROGRAM::try_from(call.proc) {
        Ok(NFSPROC3_GETATTR) => 0,
        Ok(
            NFSPROC3_LOOKUP | NFSPROC3_ACCESS | NFSPROC3_READLINK | NFSPROC3_READ
            | NFSPROC3_READDIR | NFSPROC3_READDIRPLUS | NFSPROC3_FSSTAT | NFSPROC3_FSINFO
            | NFSPROC3_PATHCONF,
        ) => 1,
        // post_op_attr of the file, wcc_data of the directory.
        Ok(NFSPROC3_LINK) => 3,
        // wcc_data of both directories.
        Ok(NFSPROC3_RENAME) => 4,
        // One wcc_data: SETATTR, WRITE, COMMIT and the creating and removing calls.
        _ => 2,
    };
    let mut body = reply_body(call.xid, accept_stat_data::SUCCESS, &Void);
    body.extend_from_slice(&(nfsstat3::NFS3ERR_JUKEBOX as u32).to_be_bytes());
    body.resize(body.len() + 4 * empty_words, 0);
    frame(&body)
}

fn garbage_args(call: &Call) -> Vec<u8> {
    frame(&reply_body(call.xid, accept_stat_data::GARBAGE_ARGS, &Void))
}

fn mount_reply(call: &Call) -> Vec<u8> {
    match call.proc {
        // MNT: any path mounts the root.
        1 => ok(
            call,
            &mountres3::Ok(mountres3_ok {
                fhandle: fhandle3(Opaque::owned(Node::Root.handle().data.to_vec())),
                auth_flavors: vec![1],
            }),
        ),
        // NULL, UMNT, UMNTALL: nothing to say.
        0 | 3 | 4 => ok(call, &Void),
        _ => frame(&reply_body(call.xid, accept_stat_data::PROC_UNAVAIL, &Void)),
    }
}

fn post_op(node: Node) -> post_op_attr {
    post_op_attr::Some(node.attr())
}

fn nfs_reply(call: &Call, kind: Option<HostileKind>) -> Vec<u8> {
    let Ok(procedure) = NFS_PROGRAM::try_from(call.proc) else {
        return frame(&reply_body(call.xid, accept_stat_data::PROC_UNAVAIL, &Void));
    };
    match procedure {
        NFS_PROGRAM::NFSPROC3_NULL => ok(call, &Void),
        NFS_PROGRAM::NFSPROC3_GETATTR => {
            let Some(args) = decode_args::<GETATTR3args>(call) else {
                return garbage_args(call);
            };
            let Some(node) = Node::from_handle(&args.object) else {
                return ok(call, &GETATTR3res::Err((nfsstat3::NFS3ERR_STALE, Void)));
            };
            let mut attr = node.attr();
            if node == Node::File && kind.is_some_and(|k| k.target() == Target::GetattrFile) {
                attr.type_ = ftype3::NF3DIR;
            }
            ok(
                call,
                &GETATTR3res::Ok(GETATTR3resok {
                    obj_attributes: attr,
                }),
            )
        }
        NFS_PROGRAM::NFSPROC3_LOOKUP => lookup_reply(call, kind),
        NFS_PROGRAM::NFSPROC3_ACCESS => {
            let Some(args) = decode_args::<ACCESS3args>(call) else {
                return garbage_args(call);
            };
            let attributes = Node::from_handle(&args.object).map_or(post_op_attr::None, post_op);
            ok(
                call,
                &ACCESS3res::Ok(ACCESS3resok {
                    obj_attributes: attributes,
                    access: args.access,
                }),
            )
        }
        NFS_PROGRAM::NFSPROC3_READ => read_reply(call, kind),
        NFS_PROGRAM::NFSPROC3_READDIRPLUS => readdirplus_reply(call, kind),
        NFS_PROGRAM::NFSPROC3_READDIR => readdir_reply(call, kind),
        NFS_PROGRAM::NFSPROC3_FSINFO => ok(
            call,
            &FSINFO3res::Ok(FSINFO3resok {
                obj_attributes: post_op(Node::Root),
                rtmax: TRANSFER,
                rtpref: TRANSFER,
                rtmult: 4096,
                wtmax: TRANSFER,
                wtpref: TRANSFER,
                wtmult: 4096,
                dtpref: 8192,
                maxfilesize: 1 << 40,
                time_delta: nfstime3 {
                    seconds: 0,
                    nseconds: 1,
                },
                properties: FSF3_HOMOGENEOUS | FSF3_CANSETTIME,
            }),
        ),
        NFS_PROGRAM::NFSPROC3_PATHCONF => ok(
            call,
            &PATHCONF3res::Ok(PATHCONF3resok {
                obj_attributes: post_op(Node::Root),
                linkmax: 1,
                name_max: 255,
                no_trunc: true,
                chown_restricted: true,
                case_insensitive: false,
                case_preserving: true,
            }),
        ),
        NFS_PROGRAM::NFSPROC3_FSSTAT => ok(
            call,
            &FSSTAT3res::Ok(FSSTAT3resok {
                obj_attributes: post_op(Node::Root),
                tbytes: 1 << 30,
                fbytes: 1 << 29,
                abytes: 1 << 29,
                tfiles: 1000,
                ffiles: 900,
                afiles: 900,
                invarsec: 0,
            }),
        ),
        // The tree is read-only: every change is refused as a real read-only
        // export refuses it.
        _ => ok(
            call,
            &Nfs3Result::<Void, wcc_data>::Err((nfsstat3::NFS3ERR_ROFS, wcc_data::default())),
        ),
    }
}

fn lookup_reply(call: &Call, kind: Option<HostileKind>) -> Vec<u8> {
    let Some(args) = decode_args::<LOOKUP3args>(call) else {
        return garbage_args(call);
    };
    let Some(dir) = Node::from_handle(&args.what.dir) else {
        return ok(
            call,
            &LOOKUP3res::Err((nfsstat3::NFS3ERR_STALE, LOOKUP3resfail::default())),
        );
    };
    let name = args.what.name.as_ref();
    let hostile = kind.filter(|k| match k.target() {
        Target::LookupFile => dir == Node::Root && name == b"file",
        Target::LookupX => dir == Node::Root && name == b"x",
        _ => false,
    });
    let found = match hostile {
        Some(HostileKind::LookupParent) => Some(Node::Outside),
        _ => dir.lookup(name),
    };
    let Some(node) = found else {
        return ok(
            call,
            &LOOKUP3res::Err((
                nfsstat3::NFS3ERR_NOENT,
                LOOKUP3resfail {
                    dir_attributes: post_op(dir),
                },
            )),
        );
    };
    let mut attr = node.attr();
    let mut handle = node.handle();
    match hostile {
        Some(HostileKind::BadFileType) => {
            // Packed as NF3REG and patched below: the type cannot hold 9.
        }
        Some(HostileKind::HugeSize) => attr.size = u64::MAX,
        Some(HostileKind::BadNanoseconds) => attr.mtime.nseconds = 2_000_000_000,
        Some(HostileKind::LongHandle) => handle.data = Opaque::owned(vec![0xAB; 128]),
        _ => {}
    }
    let honest = reply_body(
        call.xid,
        accept_stat_data::SUCCESS,
        &LOOKUP3res::Ok(LOOKUP3resok {
            object: handle,
            obj_attributes: post_op_attr::Some(attr),
            dir_attributes: post_op(dir),
        }),
    );
    match hostile {
        Some(kind) => break_record(call, kind, honest),
        None => frame(&honest),
    }
}

/// Applies the record-level kinds to an honest reply body.
fn break_record(call: &Call, kind: HostileKind, mut body: Vec<u8>) -> Vec<u8> {
    match kind {
        HostileKind::WrongXid => {
            body[..4].copy_from_slice(&call.xid.wrapping_add(0x1000).to_be_bytes());
            frame(&body)
        }
        HostileKind::ShortRecord => frame(&body[..2]),
        HostileKind::TruncatedXdr => {
            // The header (24 bytes), status, handle, then half the attributes.
            let cut = body.len() - 60;
            frame(&body[..cut])
        }
        HostileKind::GarbageBytes => {
            let mut state = 0x9E37_79B9_7F4A_7C15u64;
            for byte in &mut body[4..] {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *byte = state as u8;
            }
            frame(&body)
        }
        HostileKind::BadFileType => {
            // The object's attributes follow the header (24 bytes), the status (4),
            // the handle (4 + 12 for "fake-file") and the attributes' present flag
            // (4): the type is the next word.
            let at = 24 + 4 + 16 + 4;
            body[at..at + 4].copy_from_slice(&9u32.to_be_bytes());
            frame(&body)
        }
        HostileKind::OversizeFragments => {
            // 4 KiB fragments, none of them last, past the 4 MiB cap, then the
            // real reply as the last one.
            let mut out = Vec::new();
            let filler = vec![0u8; 4096];
            for _ in 0..(4 << 20) / 4096 + 2 {
                out.extend_from_slice(&(4096u32).to_be_bytes());
                out.extend_from_slice(&filler);
            }
            out.extend_from_slice(&frame(&body));
            out
        }
        _ => frame(&body),
    }
}

fn read_reply(call: &Call, kind: Option<HostileKind>) -> Vec<u8> {
    let Some(args) = decode_args::<READ3args>(call) else {
        return garbage_args(call);
    };
    let Some(node) = Node::from_handle(&args.file) else {
        return ok(
            call,
            &READ3res::Err((nfsstat3::NFS3ERR_STALE, READ3resfail::default())),
        );
    };
    let data = node.data();
    let start = (args.offset as usize).min(data.len());
    let end = (start + args.count as usize).min(data.len());
    let mut bytes = data[start..end].to_vec();
    let mut count = bytes.len() as u32;
    let mut eof = end == data.len();
    let hostile = kind.filter(|k| k.target() == Target::ReadFile && node == Node::File);
    match hostile {
        Some(HostileKind::ReadTooMuch) => {
            bytes = vec![b'X'; args.count as usize + 8192];
            count = bytes.len() as u32;
            eof = false;
        }
        Some(HostileKind::ReadCountMismatch) => count = bytes.len() as u32 + 100,
        Some(HostileKind::OversizeRecord) => {
            bytes = vec![b'X'; (4 << 20) + 4096];
            count = bytes.len() as u32;
        }
        _ => {}
    }
    ok(
        call,
        &READ3res::Ok(READ3resok {
            file_attributes: post_op(node),
            count,
            eof,
            data: Opaque::owned(bytes),
        }),
    )
}

/// The entries of `dir` after `cookie` as (name, node, cookie), with the kind's
/// bad entry placed second in the root, and whether the listing ends.
fn listing(dir: Node, cookie: u64, kind: Option<HostileKind>) -> (Vec<(Vec<u8>, Node, u64)>, bool) {
    let mut entries = dir.entries();
    let hostile = kind.filter(|k| k.target() == Target::RootListing && dir == Node::Root);
    match hostile {
        Some(HostileKind::CookieLoop) => {
            return (vec![(b"file".to_vec(), Node::File, 1)], false);
        }
        Some(HostileKind::EmptyPageNoEof) => return (Vec::new(), false),
        Some(kind) => {
            if let Some(name) = kind.bad_name() {
                let node = match kind {
                    HostileKind::DotInMiddle => Node::Sub,
                    HostileKind::DotDotEntry => Node::Outside,
                    _ => Node::File,
                };
                entries.insert(1, (name, node));
            }
        }
        None => {}
    }
    let numbered: Vec<_> = entries
        .into_iter()
        .zip(1u64..)
        .map(|((name, node), c)| (name, node, c))
        .filter(|(_, _, c)| *c > cookie)
        .collect();
    (numbered, true)
}

fn readdirplus_reply(call: &Call, kind: Option<HostileKind>) -> Vec<u8> {
    let Some(args) = decode_args::<READDIRPLUS3args>(call) else {
        return garbage_args(call);
    };
    let Some(dir) = Node::from_handle(&args.dir).filter(|n| n.is_dir()) else {
        return ok(
            call,
            &READDIRPLUS3res::Err((nfsstat3::NFS3ERR_NOTDIR, READDIRPLUS3resfail::default())),
        );
    };
    if kind == Some(HostileKind::SlashInReaddirFallback) {
        return ok(
            call,
            &READDIRPLUS3res::Err((
                nfsstat3::NFS3ERR_NOTSUPP,
                READDIRPLUS3resfail {
                    dir_attributes: post_op(dir),
                },
            )),
        );
    }
    let (entries, eof) = listing(dir, args.cookie, kind);
    let entries = entries
        .into_iter()
        .map(|(name, node, cookie)| entryplus3 {
            fileid: node.fileid(),
            name: filename3(Opaque::owned(name)),
            cookie,
            name_attributes: post_op(node),
            name_handle: post_op_fh3::Some(node.handle()),
        })
        .collect();
    ok(
        call,
        &READDIRPLUS3res::Ok(READDIRPLUS3resok {
            dir_attributes: post_op(dir),
            cookieverf: cookieverf3::default(),
            reply: dirlistplus3 {
                entries: List(entries),
                eof,
            },
        }),
    )
}

fn readdir_reply(call: &Call, kind: Option<HostileKind>) -> Vec<u8> {
    let Some(args) = decode_args::<READDIR3args>(call) else {
        return garbage_args(call);
    };
    let Some(dir) = Node::from_handle(&args.dir).filter(|n| n.is_dir()) else {
        return ok(
            call,
            &READDIR3res::Err((nfsstat3::NFS3ERR_NOTDIR, READDIR3resfail::default())),
        );
    };
    let (entries, eof) = listing(dir, args.cookie, kind);
    let entries = entries
        .into_iter()
        .map(|(name, node, cookie)| entry3 {
            fileid: node.fileid(),
            name: filename3(Opaque::owned(name)),
            cookie,
        })
        .collect();
    ok(
        call,
        &READDIR3res::Ok(READDIR3resok {
            dir_attributes: post_op(dir),
            cookieverf: cookieverf3::default(),
            reply: dirlist3 {
                entries: List(entries),
                eof,
            },
        }),
    )
}
