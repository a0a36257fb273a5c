//! Directory streams, the working directory, and mounting.

use crate::fd_table::Fd;
use crate::ofd::{DirCursor, DirEnt};
use crate::process::Process;
use vfs_core::{Caller, Errno, FileHandle, FileType, MountOptions, OpenFlags, Result};

/// How many entries one backend listing call fetches for a directory stream.
const READDIR_BATCH: usize = 128;

impl Process {
    /// Opens directory `path` for listing; the descriptor is the stream
    /// (`opendir`).
    ///
    /// Errors: those of [`Process::open`] with `O_DIRECTORY`.
    pub async fn opendir(&self, path: impl AsRef<[u8]>) -> Result<Fd> {
        self.open(
            path,
            OpenFlags::RDONLY | OpenFlags::DIRECTORY | OpenFlags::CLOEXEC,
            0,
        )
        .await
    }

    /// The next entry of directory stream `fd`, `.` and `..` first; `None` at the
    /// end (`readdir`). Entries made or removed while listing may or may not show;
    /// none shows twice.
    ///
    /// Errors: `EBADF`, `ENOTDIR`, the backend's. A directory removed while open
    /// lists as ended, as C's readdir reports it.
    pub async fn readdir(&self, fd: Fd) -> Result<Option<DirEnt>> {
        let ofd = self.description(fd)?;
        if ofd.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        let mut position = ofd.position.lock().await;
        let cursor = &mut position.dir;
        let at_start = cursor.dots_done == 0 && cursor.cookie == 0 && cursor.pending.is_empty();
        // The first page is fetched before the dots are handed out: a directory
        // removed while open lists nothing at all, not even `.` and `..` (Linux's
        // getdents fails with ENOENT, which readdir reports as the end).
        if at_start && !cursor.eof && !fetch_page(&ofd.handle, cursor).await? {
            cursor.dots_done = 2;
        }
        if cursor.dots_done < 2 {
            let here = ofd.handle.location();
            let (name, location) = if cursor.dots_done == 0 {
                (b".".to_vec(), here.clone())
            } else {
                // getdents reads `..` from the directory itself: no search
                // permission is asked, so a readable but unsearchable directory
                // still lists it.
                let caller = Caller {
                    cwd: here.clone(),
                    creds: vfs_core::Credentials::root(),
                };
                (
                    b"..".to_vec(),
                    self.namespace().resolve(&caller, "..", false).await?,
                )
            };
            cursor.dots_done += 1;
            return Ok(Some(DirEnt {
                ino: location.vnode().ino(),
                file_type: FileType::Directory,
                name,
            }));
        }
        while cursor.pending.is_empty() && !cursor.eof {
            fetch_page(&ofd.handle, cursor).await?;
        }
        Ok(cursor.pending.pop_front())
    }

    /// Restarts directory stream `fd` from its first entry (`rewinddir`).
    ///
    /// Errors: `EBADF`.
    pub async fn rewinddir(&self, fd: Fd) -> Result<()> {
        let ofd = self.description(fd)?;
        let mut position = ofd.position.lock().await;
        position.dir = Default::default();
        position.offset = 0;
        Ok(())
    }

    /// Closes directory stream `fd` (`closedir`).
    ///
    /// Errors: as [`Process::close`].
    pub async fn closedir(&self, fd: Fd) -> Result<()> {
        self.close(fd).await
    }

    /// Makes directory `path` the working directory.
    ///
    /// Errors: resolution errors, `ENOTDIR`, `EACCES` (no search permission on it).
    pub async fn chdir(&self, path: impl AsRef<[u8]>) -> Result<()> {
        let location = self.namespace().resolve(&self.caller(), path, true).await?;
        if location.vnode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        vfs_core::permission::may_search(&location, &self.credentials()).await?;
        self.set_cwd(location);
        Ok(())
    }

    /// Makes the directory open as `fd` the working directory.
    ///
    /// Errors: `EBADF`, `ENOTDIR`, `EACCES` (no search permission on it).
    pub async fn fchdir(&self, fd: Fd) -> Result<()> {
        let ofd = self.description(fd)?;
        let location = ofd.handle.location();
        if location.vnode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR.into());
        }
        vfs_core::permission::may_search(location, &self.credentials()).await?;
        self.set_cwd(location.clone());
        Ok(())
    }

    /// The absolute path of the working directory.
    ///
    /// Errors: `ENOENT` (the working directory was removed), the backends'.
    pub async fn getcwd(&self) -> Result<Vec<u8>> {
        self.namespace().path_of(&self.caller().cwd).await
    }

    /// Mounts the file system `url` names on directory `path`.
    ///
    /// Errors: those of [`vfs_core::Registry::mount`] and
    /// [`vfs_core::Namespace::mount`].
    pub async fn mount(
        &self,
        path: impl AsRef<[u8]>,
        url: &str,
        options: MountOptions,
    ) -> Result<()> {
        let fs = self.vfs.registry().mount(url).await?;
        self.namespace()
            .mount(&self.caller(), path, fs, options)
            .await
    }

    /// Unmounts what is mounted on `path`.
    ///
    /// Errors: those of [`vfs_core::Namespace::unmount`].
    pub async fn umount(&self, path: impl AsRef<[u8]>) -> Result<()> {
        self.namespace().unmount(&self.caller(), path).await
    }
}

/// Fetches the next page of the backend's listing into `cursor`. Returns false when
/// the directory was removed, which ends the listing.
async fn fetch_page(handle: &FileHandle, cursor: &mut DirCursor) -> Result<bool> {
    let page = match handle.readdir(cursor.cookie, READDIR_BATCH).await {
        Ok(page) => page,
        Err(e) if e.errno() == Errno::ENOENT => {
            cursor.eof = true;
            return Ok(false);
        }
        Err(e) => return Err(e),
    };
    if let Some(last) = page.entries.last() {
        cursor.cookie = last.cookie;
    }
    cursor.eof = page.eof || page.entries.is_empty();
    cursor
        .pending
        .extend(page.entries.into_iter().map(|entry| DirEnt {
            ino: entry.ino,
            file_type: entry.file_type,
            name: entry.name.as_bytes().to_vec(),
        }));
    Ok(true)
}
