/*
 * lockfile.h - one process per role on a data directory.
 *
 * A role (the signer) holds an exclusive flock() on a file in the data
 * directory for as long as it runs, with its PID written in the file so that
 * a refused second one can say who holds it.  The kernel drops the lock when
 * the holder exits, however it exits (SIGKILL, a crash): there is no stale
 * lock to clean up, and the PID left in the file is only ever read while
 * the lock is held.  The descriptor is close-on-exec (hooks do not inherit
 * it) but survives fork(): a forked child holds the same lock.
 */
#ifndef LANCRE_UTIL_LOCKFILE_H
#define LANCRE_UTIL_LOCKFILE_H

#include "util/err.h"

/*
 * Take the lock on path (created if need be, mode 0600: the signer's) and write our PID in
 * it; returns its descriptor, to keep open while the role runs.  Held by
 * another process: -1 and "<what> is already running (process N, PATH)".
 */
int lockfile_take(const char *path, const char *what, struct err *e);

/* Write our PID in the held lock file (a forked child taking the role over). */
void lockfile_set_pid(int fd);

#endif
