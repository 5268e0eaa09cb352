/*
 * fsutil.c - see fsutil.h.
 */
#include "util/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
fs_mkdir_p(const char *path, mode_t mode, struct err *e)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return err_set(e, "bad directory path '%s'", path);
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST)
			return err_set(e, "cannot create %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) != 0 && errno != EEXIST)
		return err_set(e, "cannot create %s: %s", buf, strerror(errno));
	if (!fs_is_dir(buf))
		return err_set(e, "%s exists and is not a directory", path);
	return 0;
}

static int
write_full(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void
fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path + (slash == path)), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

int
fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct err *e)
{
	char tmp[PATH_MAX];
	int fd, saved;

	if (fs_path(tmp, sizeof(tmp), e, "%s.tmp.%ld", path, (long)getpid()) != 0)
		return -1;
	/*
	 * O_EXCL | O_NOFOLLOW: the temporary name is ours alone.  A leftover of a
	 * killed run with our pid (pids are reused) is removed first; a symlink
	 * planted at the name is removed too, never followed.
	 */
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return err_set(e, "cannot create %s: %s", tmp, strerror(errno));
	if (write_full(fd, data, len) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlink(tmp);
		return err_set(e, "cannot write %s: %s", tmp, strerror(saved));
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		return err_set(e, "cannot write %s: %s", path, strerror(saved));
	}
	fsync_parent(path);
	return 0;
}

/* A component of a relative path that may name a directory entry: not "", "." or "..". */
static int
plain_name(const char *c, size_t n)
{
	return n > 0 && !(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.') &&
	       n <= NAME_MAX;
}

int
fs_dir_beneath(const char *root, const char *rel, int create, mode_t mode, struct err *e)
{
	char comp[NAME_MAX + 1];
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), next;

	if (fd < 0)
		return err_set(e, "cannot open %s: %s", root, strerror(errno));
	for (const char *p = rel; *p != '\0';) {
		size_t n = strcspn(p, "/");
		if (!plain_name(p, n)) {
			close(fd);
			return err_set(e, "%s/%s: refused: not a plain relative path", root, rel);
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (create && mkdirat(fd, comp, mode) != 0 && errno != EEXIST) {
			int saved = errno;
			close(fd);
			return err_set(e, "cannot create %s/%s: %s", root, rel, strerror(saved));
		}
		/* O_NOFOLLOW: a symlink here (planted, or a mistake) is refused, ELOOP/ENOTDIR. */
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int saved = errno;
			close(fd);
			return err_set(e, "cannot open %s/%s: %s%s", root, rel, strerror(saved),
			    saved == ELOOP || saved == ENOTDIR ? " (a symlink or a file in the way: "
								 "refused, never followed)"
							       : "");
		}
		close(fd);
		fd = next;
		p += n + (p[n] == '/');
	}
	return fd;
}

/*
 * Split path, which must be root + '/' + rel, into the directory part of rel
 * (into dir, "" when the file is directly in root) and the file's name
 * (*base, pointing into path), which must be a plain name.
 */
static int
beneath_split(const char *root, const char *path, char *dir, size_t len, const char **base,
    struct err *e)
{
	size_t rl = strlen(root);
	const char *rel, *slash;

	if (strncmp(path, root, rl) != 0 || path[rl] != '/' || strlen(path + rl + 1) >= len)
		return err_set(e, "%s: refused: not below %s", path, root);
	rel = path + rl + 1;
	slash = strrchr(rel, '/');
	snprintf(dir, len, "%.*s", slash != NULL ? (int)(slash - rel) : 0, rel);
	*base = slash != NULL ? slash + 1 : rel;
	if (!plain_name(*base, strlen(*base)))
		return err_set(e, "%s: refused: not a plain file name", path);
	return 0;
}

int
fs_stat_beneath(const char *root, const char *path, struct stat *sb, struct err *e)
{
	char dir[PATH_MAX];
	const char *base;
	int dfd, rc, saved;

	if (beneath_split(root, path, dir, sizeof(dir), &base, e) != 0 ||
	    (dfd = fs_dir_beneath(root, dir, 0, 0, e)) < 0)
		return -1;
	rc = fstatat(dfd, base, sb, AT_SYMLINK_NOFOLLOW);
	saved = errno;
	close(dfd);
	if (rc != 0)
		return err_set(e, "cannot stat %s: %s", path, strerror(saved));
	return 0;
}

int
fs_open_beneath(const char *root, const char *path, struct err *e)
{
	char dir[PATH_MAX];
	const char *base;
	struct stat sb;
	int dfd, fd, saved;

	if (beneath_split(root, path, dir, sizeof(dir), &base, e) != 0 ||
	    (dfd = fs_dir_beneath(root, dir, 0, 0, e)) < 0)
		return -1;
	/* O_NONBLOCK: a FIFO in the way must not hold the caller until someone writes to it. */
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	saved = errno;
	close(dfd);
	if (fd < 0)
		return err_set(e, "cannot open %s: %s%s", path, strerror(saved),
		    saved == ELOOP ? " (a symlink: refused, never followed)" : "");
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_set(e, "%s: refused: not a regular file", path);
	}
	return fd;
}

int
fs_write_beneath(const char *root, const char *path, const void *data, size_t len,
    mode_t mode, struct err *e)
{
	char rel[PATH_MAX], tmp[NAME_MAX + 1];
	const char *base;
	int dfd, fd, saved;

	if (beneath_split(root, path, rel, sizeof(rel), &base, e) != 0)
		return -1;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", base, (long)getpid()) >= (int)sizeof(tmp))
		return err_set(e, "%s: refused: not a plain file name", path);
	dfd = fs_dir_beneath(root, rel, 1, 0755, e);
	if (dfd < 0)
		return -1;
	/* As in fs_write_atomic: the temporary name is ours alone, never a link followed. */
	(void)unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		saved = errno;
		close(dfd);
		return err_set(e, "cannot create %s.tmp.%ld: %s", path, (long)getpid(), strerror(saved));
	}
	if (write_full(fd, data, len) != 0 || fsync(fd) != 0) {
		saved = errno;
		close(fd);
		unlinkat(dfd, tmp, 0);
		close(dfd);
		return err_set(e, "cannot write %s: %s", path, strerror(saved));
	}
	if (close(fd) != 0 || renameat(dfd, tmp, dfd, base) != 0) {
		saved = errno;
		unlinkat(dfd, tmp, 0);
		close(dfd);
		return err_set(e, "cannot write %s: %s", path, strerror(saved));
	}
	(void)fsync(dfd);
	close(dfd);
	return 0;
}

/*
 * An output the user named that exists and is not a regular file (a device such
 * as /dev/null, a FIFO, a terminal) is written in place: replacing it by rename
 * would turn /dev/null into a regular file for the whole machine.  A symlink is
 * followed, so that the file it points at is replaced and the link stays.
 */
int
fs_write_output(const char *path, const void *data, size_t len, mode_t mode, struct err *e)
{
	char target[PATH_MAX];
	struct stat st;
	int fd, saved;

	if (strcmp(path, "-") == 0) { /* standard output, as the commands read "-" as input */
		if (write_full(STDOUT_FILENO, data, len) != 0)
			return err_set(e, "cannot write to standard output: %s", strerror(errno));
		return 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			return err_set(e, "cannot write %s: it is a directory", path);
		fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return err_set(e, "cannot open %s: %s", path, strerror(errno));
		if (write_full(fd, data, len) != 0) {
			saved = errno;
			close(fd);
			return err_set(e, "cannot write %s: %s", path, strerror(saved));
		}
		if (close(fd) != 0)
			return err_set(e, "cannot write %s: %s", path, strerror(errno));
		return 0;
	}
	if (realpath(path, target) != NULL)
		return fs_write_atomic(target, data, len, mode, e);
	return fs_write_atomic(path, data, len, mode, e);
}

int
fs_open_private(const char *path, const char *label, const char *hint, struct stat *st,
    struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return err_set(e, "%s %s: %s", label, path, strerror(errno));
	if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return err_set(e, "%s %s: not a regular file", label, path);
	}
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		close(fd);
		return err_set(e, "%s %s: group or others may read it (mode %04o): chmod 600 it%s%s",
		    label, path, (unsigned)(st->st_mode & 07777), hint != NULL ? " " : "",
		    hint != NULL ? hint : "");
	}
	return fd;
}

/* Read fd (path, for messages) whole as fs_read_all() says; closed unless is_stdin. */
static int
read_fd(int fd, int is_stdin, const char *path, size_t max, uint8_t **data, size_t *len,
    struct err *e)
{
	size_t cap = 65536, n = 0;
	uint8_t *buf;

	buf = malloc(cap + 1);
	if (buf == NULL)
		goto nomem;
	for (;;) {
		if (n == cap) {
			if (cap > max)
				goto toobig;
			uint8_t *nb = realloc(buf, cap * 2 + 1);
			if (nb == NULL)
				goto nomem;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;
			free(buf);
			if (!is_stdin)
				close(fd);
			return err_set(e, "cannot read %s: %s", path, strerror(saved));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max)
		goto toobig;
	if (!is_stdin)
		close(fd);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
toobig:
	free(buf);
	if (!is_stdin)
		close(fd);
	return err_set(e, "%s: larger than the %zu-byte limit", path, max);
nomem:
	free(buf);
	if (!is_stdin)
		close(fd);
	return err_set(e, "%s: out of memory", path);
}

int
fs_read_all(const char *path, size_t max, uint8_t **data, size_t *len, struct err *e)
{
	int is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	return read_fd(fd, is_stdin, path, max, data, len, e);
}

int
fs_read_beneath(const char *root, const char *path, size_t max, uint8_t **data, size_t *len,
    struct err *e)
{
	int fd = fs_open_beneath(root, path, e);

	return fd < 0 ? -1 : read_fd(fd, 0, path, max, data, len, e);
}

int
fs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int
fs_is_empty_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = d != NULL;

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	}
	if (d != NULL)
		closedir(d);
	return empty;
}

int
fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
fs_path(char *buf, size_t len, struct err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		return err_set(e, "path too long");
	return 0;
}
