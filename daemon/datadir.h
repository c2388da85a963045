#ifndef DATADIR_H_
#define DATADIR_H_

/*
 * Start-up checks on the data directory, made before the daemon listens:
 * one daemon at a time (a lock file), and every place it writes is
 * writable (a read-only directory or file system is refused, rather than
 * served half-working by an index SQLite would open read-only).
 */

#define DATADIR_LOCK_FILE "coffred.lock"

/**
 * datadir_lock(dir, fd):
 * Open (creating it, 0600) DIR/coffred.lock and take an exclusive flock(2)
 * on it without waiting; write the process id into it.  A lock file left
 * by a process that died is not locked and is taken over.  On success set
 * ${*fd} to the descriptor (keep it open for the life of the process: the
 * lock goes with it) and return 0.  Return -1 after printing a clear error
 * on stderr: another live process holds the lock (its pid is named), or
 * the file cannot be created (read-only directory, permissions).
 */
int datadir_lock(const char *dir, int *fd);

/**
 * datadir_unlock(fd):
 * On a clean stop: empty the lock file ${fd} (so that the next start knows
 * the last one stopped cleanly) and close it, which drops the lock.  A
 * negative ${fd} is a no-op.
 */
void datadir_unlock(int fd);

/**
 * datadir_writable(dir):
 * Check that DIR, its subfolders tmp/, objects/, records/ and the index
 * files that exist (index.sqlite, -wal, -shm) can be written by this
 * process (faccessat with AT_EACCESS, which also sees a read-only mount).
 * Return 0, or -1 after printing which one is not writable on stderr.
 */
int datadir_writable(const char *dir);

#endif /* !DATADIR_H_ */
