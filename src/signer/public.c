/*
 * public.c - keeping DIR/public/crl/ equal to the store.
 *
 * Files are published by atomic rename (fs_write_atomic: "<file>.tmp.<pid>",
 * then rename).  A signer killed between the two leaves its temporary file
 * behind for good; signer_public_clean() removes those of processes that no
 * longer run, once, when the signer starts.
 *
 * A published file can also be damaged or replaced behind the signer's back
 * (a disk error, an operator's cp, a half-finished sync): the store holds
 * the truth, and nothing used to look at the file again until its CRL was
 * next re-signed.  Each pass now stats every file the signer publishes and
 * compares (inode, size, mtime) with how it looked when the signer last
 * wrote or checked it: a stat per file, no read.  Only a file that differs
 * (or was never seen: at start) is read and compared with the store's bytes,
 * and rewritten if they differ.
 *
 * Looking never follows a symlink below public/, as writing does not
 * (fs_stat_beneath, fs_read_beneath): a symlink planted at a published name
 * would otherwise be stat'ed and read through (a file outside public/ with
 * the right bytes kept it there for good, a FIFO blocked the signer on its
 * open).  Anything but a regular file counts as changed and is replaced.
 */
#include "signer/signer_int.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crl/list.h"
#include "util/fsutil.h"

#define PUBLIC_DEPTH_MAX 2 /* public/crl/<issuer>/<n>.crl */

/* The pid of a temporary file NAME.tmp.PID, or 0 when name is not one. */
static long
tmp_pid(const char *name)
{
	const char *p = strstr(name, ".tmp.");
	char *end;
	long pid;

	if (p == NULL)
		return 0;
	p += 5;
	if (*p < '0' || *p > '9')
		return 0;
	errno = 0;
	pid = strtol(p, &end, 10);
	return errno == 0 && *end == '\0' && pid > 0 ? pid : 0;
}

static size_t
clean_dir(const char *dir, int depth)
{
	char path[PATH_MAX];
	struct dirent *d;
	struct stat sb;
	size_t removed = 0;
	DIR *dh = opendir(dir);
	long pid;

	if (dh == NULL)
		return 0;
	while ((d = readdir(dh)) != NULL) {
		if (d->d_name[0] == '.' ||
		    fs_path(path, sizeof(path), NULL, "%s/%s", dir, d->d_name) != 0 ||
		    lstat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode) && depth < PUBLIC_DEPTH_MAX) {
			removed += clean_dir(path, depth + 1);
			continue;
		}
		pid = tmp_pid(d->d_name);
		/* A live writer's (another signer's, or ours) is left alone. */
		if (!S_ISREG(sb.st_mode) || pid == 0 || pid == (long)getpid() ||
		    (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		if (unlink(path) == 0)
			removed++;
	}
	closedir(dh);
	return removed;
}

size_t
signer_public_clean(const char *dir)
{
	char path[PATH_MAX];

	if (fs_path(path, sizeof(path), NULL, "%s/public", dir) != 0)
		return 0;
	return clean_dir(path, 0);
}

/* lstat of path, below DIR/public/, following no symlink below public/; 0 for a regular file. */
static int
public_stat(const char *dir, const char *path, struct stat *sb)
{
	char root[PATH_MAX];

	if (fs_path(root, sizeof(root), NULL, "%s/public", dir) != 0 ||
	    fs_stat_beneath(root, path, sb, NULL) != 0)
		return -1;
	return S_ISREG(sb->st_mode) ? 0 : -1;
}

void
signer_public_seen(const char *dir, const char *path, struct signer_seen *seen)
{
	struct stat sb;

	memset(seen, 0, sizeof(*seen));
	if (public_stat(dir, path, &sb) != 0)
		return;
	seen->ino = sb.st_ino;
	seen->size = sb.st_size;
	seen->mtime = sb.st_mtim;
	seen->valid = 1;
}

int
signer_public_unchanged(const char *dir, const char *path, const struct signer_seen *seen)
{
	struct stat sb;

	return seen->valid && public_stat(dir, path, &sb) == 0 && sb.st_ino == seen->ino &&
	       sb.st_size == seen->size && sb.st_mtim.tv_sec == seen->mtime.tv_sec &&
	       sb.st_mtim.tv_nsec == seen->mtime.tv_nsec;
}

int
signer_public_write(const char *dir, const char *path, const void *data, size_t len,
    struct err *e)
{
	char root[PATH_MAX];

	if (fs_path(root, sizeof(root), e, "%s/public", dir) != 0)
		return -1;
	if (mkdir(root, 0755) != 0 && errno != EEXIST)
		return err_set(e, "cannot create %s: %s", root, strerror(errno));
	return fs_write_beneath(root, path, data, len, 0644, e);
}

int
signer_public_sync(const char *dir, const char *path, const void *data, size_t len,
    struct signer_seen *seen, int *rewritten, struct err *e)
{
	uint8_t *have = NULL;
	size_t have_len = 0;
	int same;

	char root[PATH_MAX];

	*rewritten = 0;
	/* Never read through a symlink (a file outside public/, a FIFO): it differs. */
	same = fs_path(root, sizeof(root), NULL, "%s/public", dir) == 0 &&
	       fs_read_beneath(root, path, len + 1, &have, &have_len, NULL) == 0 &&
	       have_len == len && memcmp(have, data, len) == 0;
	free(have);
	if (!same) {
		if (signer_public_write(dir, path, data, len, e) != 0)
			return -1;
		*rewritten = 1;
	}
	signer_public_seen(dir, path, seen);
	return 0;
}
