/*
 * fsutil.h - file-system helpers with the guarantees lancre promises:
 * a published file is either the old one or the complete new one, never a
 * partial write (write to a temporary name in the same directory, fsync,
 * rename, fsync the directory).
 */
#ifndef LANCRE_UTIL_FSUTIL_H
#define LANCRE_UTIL_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/err.h"

/* Create a directory and its parents (like mkdir -p) with the given mode. */
int fs_mkdir_p(const char *path, mode_t mode, struct err *e);

/* Atomically replace path with len bytes of data, created with mode. */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, struct err *e);

/*
 * The directory root/rel opened (O_DIRECTORY), rel's components ('/'
 * separated, each a plain name: no "", "." or "..") created with mode when
 * missing (create), each opened with O_NOFOLLOW relative to the one before:
 * a symlink anywhere below root is refused, never followed.  The descriptor,
 * or -1 with a message.  rel "" opens root itself.
 */
int fs_dir_beneath(const char *root, const char *rel, int create, mode_t mode, struct err *e);

/*
 * Atomically replace path, which must name a file below root (root + '/' +
 * rel), with len bytes of data, created with mode: the directories of rel
 * through fs_dir_beneath() (created 0755), the temporary file created in
 * the last one with O_EXCL|O_NOFOLLOW, fsync'd, renamed over the name
 * (renameat, same directory descriptor) and the directory fsync'd.
 */
int fs_write_beneath(const char *root, const char *path, const void *data, size_t len,
    mode_t mode, struct err *e);

/*
 * path, a file below root as for fs_write_beneath(), looked at without
 * following a symlink anywhere below root: its own lstat (a symlink is
 * reported as one, S_ISLNK), or -1 with a message.
 */
struct stat;
int fs_stat_beneath(const char *root, const char *path, struct stat *sb, struct err *e);

/*
 * path, a file below root, opened read-only the same way (the file itself
 * O_NOFOLLOW, never blocking on a FIFO): the descriptor of a regular file, or
 * -1 with a message (a symlink, a device or a FIFO is refused).
 */
int fs_open_beneath(const char *root, const char *path, struct err *e);

/* fs_read_all() of a file below root opened by fs_open_beneath(). */
int fs_read_beneath(const char *root, const char *path, size_t max, uint8_t **data, size_t *len,
    struct err *e);

/*
 * Write an output file the user named (-o FILE): a regular file or a new name is
 * replaced atomically as above; a symlink is followed (the file it names is
 * replaced, the link kept); anything else that exists (/dev/null, a FIFO,
 * /dev/stdout) is written in place, never replaced; "-" is standard output.
 */
int fs_write_output(const char *path, const void *data, size_t len, mode_t mode, struct err *e);

/*
 * Open a secret for reading (a key, a token, a PIN): a regular file that group
 * and others cannot read, refused, not warned of (a secret others can read is
 * a secret others hold).  The descriptor (O_CLOEXEC) with *st, or -1 with e as
 * "LABEL PATH: why"; hint, when not NULL, follows "chmod 600 it".
 */
int fs_open_private(const char *path, const char *label, const char *hint, struct stat *st,
    struct err *e);

/*
 * Read a whole file ("-" reads standard input) into a malloc'd buffer, with a
 * NUL byte after the data (not counted in *len).  Files over max bytes are
 * refused.  The caller frees *data.
 */
int fs_read_all(const char *path, size_t max, uint8_t **data, size_t *len, struct err *e);

/* 1 if path exists (any type), 0 if not. */
int fs_exists(const char *path);

/* 1 if path is a directory (or a link to one), else 0. */
int fs_is_dir(const char *path);

/* 1 if path is a directory with no entry but . and .. (mktemp -d's), else 0. */
int fs_is_empty_dir(const char *path);

/* snprintf into buf; -1 with a message if the path does not fit. */
int fs_path(char *buf, size_t len, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
