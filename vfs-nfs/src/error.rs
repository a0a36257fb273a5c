//! NFSv3 status codes as Linux errno values.

use nfs3_types::nfs3::{nfs_fh3, nfsstat3};
use vfs_core::{Errno, Error};

/// The longest file handle NFSv3 allows (RFC 1813's `NFS3_FHSIZE`). The XDR
/// decoder takes any length; a longer handle is a broken server's, and keeping it
/// would let the server grow every node and cache entry at will.
pub const NFS3_FHSIZE: usize = 64;

/// The errno for `status`, as Linux's NFS client reports it to applications
/// (fs/nfs/nfs2xdr.c's `nfs_errtbl`). Where Linux uses a kernel-internal code that
/// must not reach user space, the nearest user-visible one is chosen: a bad handle
/// is `ESTALE`, a bad readdir cookie `EINVAL` (what [`vfs_core::Vnode::readdir`]
/// promises for a cookie no longer honoured), a server fault `EREMOTEIO`, an
/// unsupported type `EINVAL`, and JUKEBOX (the server is busy; the transport retries
/// it) `EAGAIN` if it ever surfaces. `NFS3_OK` is not an error and maps to `EIO` so a
/// caller's bug never turns into success.
pub fn errno_of(status: nfsstat3) -> Errno {
    match status {
        nfsstat3::NFS3_OK => Errno::EIO,
        nfsstat3::NFS3ERR_PERM => Errno::EPERM,
        nfsstat3::NFS3ERR_NOENT => Errno::ENOENT,
        nfsstat3::NFS3ERR_IO => Errno::EIO,
        nfsstat3::NFS3ERR_NXIO => Errno::ENXIO,
        nfsstat3::NFS3ERR_ACCES => Errno::EACCES,
        nfsstat3::NFS3ERR_EXIST => Errno::EEXIST,
        nfsstat3::NFS3ERR_XDEV => Errno::EXDEV,
        nfsstat3::NFS3ERR_NODEV => Errno::ENODEV,
        nfsstat3::NFS3ERR_NOTDIR => Errno::ENOTDIR,
        nfsstat3::NFS3ERR_ISDIR => Errno::EISDIR,
        nfsstat3::NFS3ERR_INVAL => Errno::EINVAL,
        nfsstat3::NFS3ERR_FBIG => Errno::EFBIG,
        nfsstat3::NFS3ERR_NOSPC => Errno::ENOSPC,
        nfsstat3::NFS3ERR_ROFS => Errno::EROFS,
        nfsstat3::NFS3ERR_MLINK => Errno::EMLINK,
        nfsstat3::NFS3ERR_NAMETOOLONG => Errno::ENAMETOOLONG,
        nfsstat3::NFS3ERR_NOTEMPTY => Errno::ENOTEMPTY,
        nfsstat3::NFS3ERR_DQUOT => Errno::EDQUOT,
        nfsstat3::NFS3ERR_STALE => Errno::ESTALE,
        nfsstat3::NFS3ERR_REMOTE => Errno::EREMOTE,
        nfsstat3::NFS3ERR_BADHANDLE => Errno::ESTALE,
        nfsstat3::NFS3ERR_NOT_SYNC => Errno::EIO,
        nfsstat3::NFS3ERR_BAD_COOKIE => Errno::EINVAL,
        nfsstat3::NFS3ERR_NOTSUPP => Errno::EOPNOTSUPP,
        nfsstat3::NFS3ERR_TOOSMALL => Errno::EIO,
        nfsstat3::NFS3ERR_SERVERFAULT => Errno::EREMOTEIO,
        nfsstat3::NFS3ERR_BADTYPE => Errno::EINVAL,
        nfsstat3::NFS3ERR_JUKEBOX => Errno::EAGAIN,
    }
}

/// An error for a failed procedure, naming it and what it was about.
pub fn nfs_error(status: nfsstat3, procedure: &str, about: impl std::fmt::Display) -> Error {
    errno_of(status).with(format!("NFS {procedure} {about}: {status:?}"))
}

/// The error for a reply `server` should never have sent: `errno` (EIO unless a
/// more precise one applies) saying `what` was wrong. Logs one line on stderr, so
/// whoever runs the program sees the broken server even when the application
/// swallows the errno. The line names the server (`host:export`) and the fault
/// only: never a credential. There is no logging crate in the workspace yet and
/// `tracing` would drop the line unless the application installed a subscriber;
/// every rejection goes through here, so switching is one place.
pub fn rejected(errno: Errno, server: &str, what: impl std::fmt::Display) -> Error {
    // `what` may quote the server's bytes (a name with a NUL or a newline):
    // escaped, the log stays one line of text.
    let mut text = String::new();
    for c in what.to_string().chars() {
        if c.is_control() {
            text.extend(c.escape_default());
        } else {
            text.push(c);
        }
    }
    eprintln!("vfs-nfs: rejected a reply from {server}: {text}");
    errno.with(format!("{server} sent a broken reply: {text}"))
}

/// Why `fh` cannot be a real NFSv3 handle, if it cannot.
pub fn check_handle(fh: &nfs_fh3) -> std::result::Result<(), String> {
    if fh.data.len() > NFS3_FHSIZE {
        return Err(format!(
            "a file handle of {} bytes (NFSv3 allows {NFS3_FHSIZE})",
            fh.data.len()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_its_errno() {
        let table = [
            (nfsstat3::NFS3_OK, 5),
            (nfsstat3::NFS3ERR_PERM, 1),
            (nfsstat3::NFS3ERR_NOENT, 2),
            (nfsstat3::NFS3ERR_IO, 5),
            (nfsstat3::NFS3ERR_NXIO, 6),
            (nfsstat3::NFS3ERR_ACCES, 13),
            (nfsstat3::NFS3ERR_EXIST, 17),
            (nfsstat3::NFS3ERR_XDEV, 18),
            (nfsstat3::NFS3ERR_NODEV, 19),
            (nfsstat3::NFS3ERR_NOTDIR, 20),
            (nfsstat3::NFS3ERR_ISDIR, 21),
            (nfsstat3::NFS3ERR_INVAL, 22),
            (nfsstat3::NFS3ERR_FBIG, 27),
            (nfsstat3::NFS3ERR_NOSPC, 28),
            (nfsstat3::NFS3ERR_ROFS, 30),
            (nfsstat3::NFS3ERR_MLINK, 31),
            (nfsstat3::NFS3ERR_NAMETOOLONG, 36),
            (nfsstat3::NFS3ERR_NOTEMPTY, 39),
            (nfsstat3::NFS3ERR_DQUOT, 122),
            (nfsstat3::NFS3ERR_STALE, 116),
            (nfsstat3::NFS3ERR_REMOTE, 66),
            (nfsstat3::NFS3ERR_BADHANDLE, 116),
            (nfsstat3::NFS3ERR_NOT_SYNC, 5),
            (nfsstat3::NFS3ERR_BAD_COOKIE, 22),
            (nfsstat3::NFS3ERR_NOTSUPP, 95),
            (nfsstat3::NFS3ERR_TOOSMALL, 5),
            (nfsstat3::NFS3ERR_SERVERFAULT, 121),
            (nfsstat3::NFS3ERR_BADTYPE, 22),
            (nfsstat3::NFS3ERR_JUKEBOX, 11),
        ];
        for (status, errno) in table {
            assert_eq!(errno_of(status).raw(), errno, "{status:?}");
        }
    }

    #[test]
    fn errors_name_procedure_and_object() {
        let error = nfs_error(nfsstat3::NFS3ERR_NOENT, "LOOKUP", "'a' in /export");
        assert_eq!(error.errno(), Errno::ENOENT);
        assert!(error.to_string().contains("LOOKUP 'a' in /export"));
    }

    #[test]
    fn handles_over_nfs3_fhsize_are_refused() {
        use nfs3_types::xdr_codec::Opaque;
        let fh = |len: usize| nfs_fh3 {
            data: Opaque::owned(vec![7; len]),
        };
        assert!(check_handle(&fh(NFS3_FHSIZE)).is_ok());
        assert!(check_handle(&fh(0)).is_ok());
        assert!(check_handle(&fh(NFS3_FHSIZE + 1)).is_err());
        let error = rejected(Errno::EIO, "host:/export", "a\0b\nc");
        assert_eq!(error.errno(), Errno::EIO);
        assert!(error.to_string().contains("a\\u{0}b\\nc"), "{error}");
        assert!(error
            .to_string()
            .contains("host:/export sent a broken reply"));
    }
}
