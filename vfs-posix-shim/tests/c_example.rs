//! The C ABI from C: compiles `examples/c/demo.c` with the system C compiler (`cc`,
//! or `$CC`) against `include/vfs.h`, links it with the crate's shared library, runs
//! it and expects exit status 0 (the demo checks results and errnos itself).

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The shared library the crate's `cdylib` crate type produces.
const LIBRARY_FILE: &str = "libvfs_posix_shim.so";

/// How long the demo may run: far more than it needs on any machine; the limit only
/// turns a hang (a lock never granted) into a failure.
const RUN_LIMIT: Duration = Duration::from_secs(300);

#[test]
fn c_demo_builds_runs_and_passes_its_checks() {
    let library_dir = library_dir();
    let scratch = tempfile::tempdir().expect("scratch directory");
    let demo = scratch.path().join("demo");
    compile_demo(&library_dir, &demo);
    let (status, output) = run_with_limit(&demo, scratch.path());
    assert!(
        status.success(),
        "demo exited with {status}; its output:\n{output}"
    );
    assert!(output.contains("all checks held"), "demo output:\n{output}");
}

/// The directory holding this build's shared library.
///
/// `cargo test` compiles the library once with all its crate types (rlib, staticlib,
/// cdylib) as a dependency of this test, into the `deps/` directory this test's
/// executable is in (`cargo build` copies it up into the profile directory). If a
/// cargo ever skips the cdylib there, the library is built here instead.
fn library_dir() -> PathBuf {
    let executable = std::env::current_exe().expect("path of the test executable");
    let deps_dir = executable.parent().expect("deps directory");
    let profile_dir = deps_dir.parent().expect("profile directory");
    let built_by_cargo_test = [deps_dir, profile_dir]
        .into_iter()
        .find(|dir| dir.join(LIBRARY_FILE).is_file());
    match built_by_cargo_test {
        Some(dir) => dir.to_path_buf(),
        None => build_library(profile_dir),
    }
}

/// Builds the library with the profile `profile_dir` belongs to, in a target
/// directory of its own under the current one (so this never waits for, or
/// overwrites, the build that is running this test), and returns where it is.
fn build_library(profile_dir: &Path) -> PathBuf {
    let profile_dir_name = profile_dir
        .file_name()
        .and_then(|name| name.to_str())
        .expect("profile directory name");
    // `dev` (and `test`) build into `debug/`; every other profile into its own name.
    let profile = match profile_dir_name {
        "debug" => "dev",
        other => other,
    };
    let target_dir = profile_dir
        .parent()
        .expect("target directory")
        .join("c-abi-library");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "-p",
            "vfs-posix-shim",
            "--lib",
            "--profile",
            profile,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build of the library: {status}");
    let built = target_dir.join(profile_dir_name);
    assert!(
        built.join(LIBRARY_FILE).is_file(),
        "{LIBRARY_FILE} not in {}",
        built.display()
    );
    built
}

/// Compiles and links the demo into `output`, strictly: warnings are errors, and
/// only standard C11 plus POSIX.1-2008 is visible, which the header must suffice
/// with.
fn compile_demo(library_dir: &Path, output: &Path) {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compiler = std::env::var_os("CC").unwrap_or_else(|| OsString::from("cc"));
    let result = Command::new(&compiler)
        .args(["-std=c11", "-D_POSIX_C_SOURCE=200809L", "-pedantic"])
        .args(["-Wall", "-Wextra", "-Werror"])
        .arg("-I")
        .arg(crate_dir.join("include"))
        .arg(crate_dir.join("examples/c/demo.c"))
        .arg("-o")
        .arg(output)
        .arg("-L")
        .arg(library_dir)
        .arg("-lvfs_posix_shim")
        // -Xlinker passes the directory whole, whatever characters it holds.
        .args(["-Xlinker", "-rpath", "-Xlinker"])
        .arg(library_dir)
        .output()
        .unwrap_or_else(|e| panic!("run the C compiler {compiler:?}: {e}"));
    assert!(
        result.status.success(),
        "compiling demo.c failed ({}):\n{}{}",
        result.status,
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

/// Runs `program` in `dir`, killing it after [`RUN_LIMIT`]; returns its status and
/// its output (stdout then stderr). The output goes to files, not pipes, so a
/// chatty program never blocks on a full pipe while it is being waited for.
fn run_with_limit(program: &Path, dir: &Path) -> (ExitStatus, String) {
    let stdout_path = dir.join("stdout");
    let stderr_path = dir.join("stderr");
    let mut child = Command::new(program)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).expect("stdout file"))
        .stderr(File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the demo") {
            break status;
        }
        if started.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let status = child.wait().expect("reap the demo");
            let output = std::fs::read_to_string(&stdout_path).unwrap_or_default();
            panic!("demo still running after {RUN_LIMIT:?} ({status}); output:\n{output}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut output = std::fs::read_to_string(&stdout_path).expect("demo stdout");
    output.push_str(&std::fs::read_to_string(&stderr_path).expect("demo stderr"));
    (status, output)
}
