//! ram:// mounted through FUSE in this process, used with std::fs and ordinary
//! commands, compared with the same steps on a host tmpfs directory.
//!
//! Needs /dev/fuse, fusermount3 and root (CI has all three; scripts/test installs
//! fuse3 before `cargo test`); skipped with the reason printed otherwise.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use vfs_core::{MountOptions, Namespace};
use vfs_fuse::{FuseOptions, Mounted};
use vfs_ramfs::{RamFs, RamFsOptions};

/// Why this machine cannot run the test, if it cannot.
fn skip_reason() -> Option<String> {
    if !Path::new("/dev/fuse").exists() {
        return Some("no /dev/fuse".into());
    }
    let found = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| dir.join("fusermount3").exists())
    });
    if !found {
        return Some("no fusermount3 (apt-get install fuse3)".into());
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root".into());
    }
    None
}

/// Unmounts when dropped, so a failing assertion still leaves no mount behind.
struct Guard(Option<Mounted>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mounted) = self.0.take() {
            let dir = mounted.dir().to_path_buf();
            if let Err(e) = mounted.unmount() {
                eprintln!("unmounting {}: {e}; trying fusermount3 -uz", dir.display());
                let _ = Command::new("fusermount3").arg("-uz").arg(&dir).status();
            }
        }
    }
}

fn mount_ram(dir: &Path, options: FuseOptions) -> Guard {
    let fs = Arc::new(RamFs::new(RamFsOptions::default()));
    let namespace = Arc::new(Namespace::new(fs, MountOptions::default()));
    Guard(Some(
        vfs_fuse::spawn_mount(namespace, dir, &options).expect("mount ram:// through FUSE"),
    ))
}

/// Ordinary commands, run with `dir` as working directory; their output (times
/// left out of `ls -l`) is what both file systems must agree on.
const SCRIPT: &str = r#"
set -e
umask 022
mkdir src
printf 'hello\n' > src/a
printf 'world\n' > src/b
mkdir src/sub
echo deep > src/sub/c
cp -r src dst
cp src/a copy
ln -s a src/link
ln src/a src/hard
cat src/link dst/sub/c copy
mv dst moved
mv copy moved/copy2
chmod 640 moved/b
ls -l --time-style=+ src moved moved/sub
readlink src/link
rm -r moved
ls -a
ls -l --time-style=+ src/sub
rm -r src
ls -a
"#;

fn run_script(dir: &Path) -> String {
    let out = Command::new("sh")
        .arg("-c")
        .arg(SCRIPT)
        .current_dir(dir)
        .output()
        .expect("run sh");
    assert!(
        out.status.success(),
        "script failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

#[test]
fn commands_behave_as_on_tmpfs() {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
        return;
    }
    let host = tempfile::tempdir_in("/dev/shm").expect("tmpfs dir");
    let mnt = tempfile::tempdir().expect("mount point");
    let _guard = mount_ram(mnt.path(), FuseOptions::default());
    let expected = run_script(host.path());
    let seen = run_script(mnt.path());
    assert_eq!(seen, expected, "ram:// through FUSE differs from tmpfs");
}

#[test]
fn std_fs_calls_behave_as_on_tmpfs() {
    if let Some(reason) = skip_reason() {
        println!("skipped: {reason}");
        return;
    }
    let mnt = tempfile::tempdir().expect("mount point");
    // A positive attribute time-out, as `vfs mount ram://` uses: still correct,
    // because every change comes through the mount.
    let options = FuseOptions {
        attr_ttl: std::time::Duration::from_secs(1),
        entry_ttl: std::time::Duration::from_secs(1),
        keep_cache: true,
        ..FuseOptions::default()
    };
    let guard = mount_ram(mnt.path(), options);
    let root = mnt.path();

    // Write, read back, sizes and offsets.
    let path = root.join("file");
    let mut file = fs::File::create(&path).unwrap();
    file.write_all(b"0123456789").unwrap();
    file.seek(SeekFrom::Start(20)).unwrap();
    file.write_all(b"end").unwrap();
    drop(file);
    let data = fs::read(&path).unwrap();
    assert_eq!(data.len(), 23);
    assert_eq!(&data[..10], b"0123456789");
    assert_eq!(&data[10..20], &[0u8; 10]);
    assert_eq!(fs::metadata(&path).unwrap().len(), 23);

    // Append and truncate through descriptors.
    let mut file = fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(b"++").unwrap();
    drop(file);
    assert!(fs::read(&path).unwrap().ends_with(b"end++"));
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(4)
        .unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "0123");

    // Inode numbers, hard links and their counts.
    fs::hard_link(&path, root.join("again")).unwrap();
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.nlink(), 2);
    assert_eq!(meta.ino(), fs::metadata(root.join("again")).unwrap().ino());

    // Modes, symlinks, directories, listings, errors as errnos.
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o600);
    std::os::unix::fs::symlink("file", root.join("link")).unwrap();
    assert_eq!(fs::read_link(root.join("link")).unwrap(), Path::new("file"));
    let mut contents = String::new();
    fs::File::open(root.join("link"))
        .unwrap()
        .read_to_string(&mut contents)
        .unwrap();
    assert_eq!(contents, "0123");
    fs::create_dir_all(root.join("d/e/f")).unwrap();
    for i in 0..300 {
        fs::write(root.join(format!("d/n{i:03}")), i.to_string()).unwrap();
    }
    let mut names: Vec<String> = fs::read_dir(root.join("d"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names.len(), 301);
    assert_eq!(names[0], "e");
    assert_eq!(
        fs::remove_dir(root.join("d")).unwrap_err().raw_os_error(),
        Some(libc::ENOTEMPTY)
    );
    assert_eq!(
        fs::metadata(root.join("missing"))
            .unwrap_err()
            .raw_os_error(),
        Some(libc::ENOENT)
    );
    fs::rename(root.join("d"), root.join("renamed")).unwrap();
    assert!(!root.join("d").exists());
    fs::remove_dir_all(root.join("renamed")).unwrap();
    fs::remove_file(root.join("again")).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().nlink(), 1);

    // A file unlinked while open stays readable through its descriptor.
    let mut open = fs::File::open(&path).unwrap();
    fs::remove_file(&path).unwrap();
    let mut rest = String::new();
    open.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "0123");
    drop(open);

    drop(guard);
    // Unmounted: the mount point is an ordinary empty directory again.
    assert_eq!(fs::read_dir(root).unwrap().count(), 0);
}
