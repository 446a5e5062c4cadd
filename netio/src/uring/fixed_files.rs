//! The ring's table of registered sockets ("fixed files"): an entry that names a socket
//! by its index in this table spares the kernel a descriptor lookup and a reference
//! count per datagram sent.
//!
//! The table is registered empty at setup, as large as the descriptor limit allows (the
//! kernel refuses a table larger than `RLIMIT_NOFILE`); a socket that finds no free
//! entry, or a ring whose table could not be registered, is named by its descriptor.

use std::os::fd::RawFd;

use io_uring::IoUring;

/// Entries asked for at most: more sockets than one core serves.
const MAX_ENTRIES: u32 = 16 * 1024;

/// How a ring's entries name a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileRef {
    /// Its index in the registered table.
    Fixed(u32),
    /// Its descriptor.
    Raw(RawFd),
}

/// The free entries of a ring's registered file table.
#[derive(Debug)]
pub(super) struct FixedFiles {
    free: Vec<u32>,
}

impl FixedFiles {
    /// Registers an empty table on `ring`; without one (an old kernel, a limit of 0)
    /// every socket is named by its descriptor.
    pub(super) fn register(ring: &IoUring) -> Self {
        let entries = descriptor_limit().min(MAX_ENTRIES);
        let registered = entries > 0 && ring.submitter().register_files_sparse(entries).is_ok();
        let free = if registered {
            (0..entries).rev().collect()
        } else {
            Vec::new()
        };
        Self { free }
    }

    /// Puts `fd` in a free entry and says how to name it: by that entry, or by `fd` when
    /// the table is full or refuses it.
    pub(super) fn install(&mut self, ring: &IoUring, fd: RawFd) -> FileRef {
        let Some(index) = self.free.pop() else {
            return FileRef::Raw(fd);
        };
        match ring.submitter().register_files_update(index, &[fd]) {
            Ok(1) => FileRef::Fixed(index),
            _ => {
                self.free.push(index);
                FileRef::Raw(fd)
            }
        }
    }

    /// Empties the entry of `file`, if it has one, so the table lets go of its socket.
    pub(super) fn remove(&mut self, ring: &IoUring, file: FileRef) {
        let FileRef::Fixed(index) = file else {
            return;
        };
        // An entry that cannot be emptied is not reused: a later socket must never
        // be reached through a stale index.
        if matches!(ring.submitter().register_files_update(index, &[-1]), Ok(1)) {
            self.free.push(index);
        }
    }
}

/// The soft `RLIMIT_NOFILE`, as a table size.
fn descriptor_limit() -> u32 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into the live value passed.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return 0;
    }
    u32::try_from(limit.rlim_cur).unwrap_or(u32::MAX)
}
