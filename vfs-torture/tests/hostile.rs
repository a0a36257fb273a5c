//! Every hostile reply kind against the fake server: the client must reject it
//! (the kind's errno, nothing hostile shown, no path leaving the mount), without
//! panicking or hanging (a 60 s watchdog).

use std::time::Duration;
use vfs_torture::hostile::HostileKind;
use vfs_torture::hostile_check::check_hostile;
use vfs_torture::watchdog::run_with_deadline;

fn rejects(kind: HostileKind) {
    let verdict = run_with_deadline(&kind.name(), Duration::from_secs(60), move || {
        check_hostile(kind)
    })
    .unwrap_or_else(|abnormal| panic!("{kind:?}: {abnormal}"));
    assert!(verdict.passed, "{kind:?} accepted: {}", verdict.detail);
}

macro_rules! hostile_tests {
    ($($(#[$attr:meta])* $test:ident: $kind:ident;)*) => {$(
        #[test]
        $(#[$attr])*
        fn $test() {
            rejects(HostileKind::$kind);
        }
    )*};
}

hostile_tests! {
    dot_in_middle: DotInMiddle;
    dotdot_entry: DotDotEntry;
    slash_in_name: SlashInName;
    nul_in_name: NulInName;
    empty_name: EmptyName;
    long_name: LongName;
    slash_in_readdir_fallback: SlashInReaddirFallback;
    cookie_loop: CookieLoop;
    empty_page_no_eof: EmptyPageNoEof;
    oversize_record: OversizeRecord;
    oversize_fragments: OversizeFragments;
    wrong_xid: WrongXid;
    short_record: ShortRecord;
    truncated_xdr: TruncatedXdr;
    garbage_bytes: GarbageBytes;
    read_too_much: ReadTooMuch;
    read_count_mismatch: ReadCountMismatch;
    bad_file_type: BadFileType;
    type_change: TypeChange;
    huge_size: HugeSize;
    bad_nanoseconds: BadNanoseconds;
    long_handle: LongHandle;
    lookup_parent: LookupParent;
}

#[test]
fn honest_server_mounts_and_reads() {
    use futures::executor::block_on;
    use vfs_core::{MountOptions, Namespace};
    let server = vfs_torture::fake_server::FakeServer::start(None).unwrap();
    let fs = block_on(vfs_nfs::NfsFs::mount(&server.url())).unwrap();
    let ns = Namespace::new(std::sync::Arc::new(fs), MountOptions::default());
    let me = ns.root_caller();
    let names: Vec<String> = block_on(ns.read_dir(&me, "/"))
        .unwrap()
        .into_iter()
        .map(|e| e.name.to_string())
        .collect();
    assert_eq!(names, ["file", "sub"]);
    let data = vfs_torture::stress::read_whole(&ns, &me, "/file").unwrap();
    assert_eq!(data, vfs_torture::fake_server::FILE_DATA);
}
