/*
 * lockfile.c - see lockfile.h.
 */
#include "util/lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define LOCKFILE_PID_MAX 24 /* a decimal PID and a newline */

void
lockfile_set_pid(int fd)
{
	char buf[LOCKFILE_PID_MAX];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) == 0 && pwrite(fd, buf, (size_t)n, 0) == n)
		return;
	/* The PID is only for the message a second process prints: not fatal. */
}

/* The PID the holder wrote, or 0 if unreadable. */
static long
holder_pid(int fd)
{
	char buf[LOCKFILE_PID_MAX];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return end != buf && pid > 0 ? pid : 0;
}

int
lockfile_take(const char *path, const char *what, struct err *e)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	long pid;

	if (fd < 0)
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int saved = errno;
		pid = holder_pid(fd);
		close(fd);
		if (saved != EWOULDBLOCK)
			return err_set(e, "cannot lock %s: %s", path, strerror(saved));
		if (pid > 0)
			return err_set(e, "%s is already running (process %ld, %s)", what, pid,
			    path);
		return err_set(e, "%s is already running (%s is locked)", what, path);
	}
	lockfile_set_pid(fd);
	return fd;
}
