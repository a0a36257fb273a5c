//! A busy server (`NFS3ERR_JUKEBOX` from the fake server): a hard mount waits the
//! answers out and gets the file; a soft mount that only ever hears JUKEBOX fails
//! with `ETIMEDOUT` or `EIO` within its bound plus a generous slack. No check
//! depends on the machine's speed: the hard mount is only checked to have waited
//! at least the promised pauses, and the watchdog is generous.

use std::time::Duration;
use vfs_torture::jukebox;
use vfs_torture::report::Verdict;
use vfs_torture::watchdog::run_with_deadline;

fn passes(name: &str, scenario: fn() -> Verdict) {
    let verdict = run_with_deadline(name, Duration::from_secs(120), scenario)
        .unwrap_or_else(|abnormal| panic!("{name}: {abnormal}"));
    assert!(verdict.passed, "{}: {}", verdict.name, verdict.detail);
}

#[test]
fn hard_mount_waits_out_jukebox() {
    passes("jukebox hard", jukebox::hard_mount_waits_out_jukebox);
}

#[test]
fn soft_mount_gives_up_on_jukebox() {
    passes("jukebox soft", jukebox::soft_mount_gives_up_on_jukebox);
}

#[test]
fn promised_pauses_double_up_to_five_seconds() {
    let ms = |n| jukebox::promised_pauses(n).as_millis();
    assert_eq!(
        [ms(0), ms(1), ms(3), ms(7)],
        [0, 250, 1750, 250 + 500 + 1000 + 2000 + 4000 + 5000 + 5000]
    );
}
