/*
 * acl.h - POSIX ACLs on the data directory, for the admin process.
 *
 * Three users need the SQLite store: [signer] user (its owner) and [admin]
 * user write it, [server] user only reads it, through the group the
 * directory gives every file (proc/layout.h).  Owner, group and other cannot
 * say that: one group either writes or not.  So the store's files carry an
 * access ACL naming [admin] user (rw), and the data directory a default ACL
 * naming both writers, so that a -wal or -shm SQLite creates later (the last
 * handle to close removes them; whichever process opens first creates them,
 * with the main file's mode) is writable by both and still only readable by
 * the server's group.  The directory's access ACL lets [admin] user through
 * (x) without listing it.  Written as the kernel's xattrs
 * (system.posix_acl_access and _default, linux/posix_acl_xattr.h): no
 * library for five entries.
 */
#ifndef LANCRE_PROC_ACL_H
#define LANCRE_PROC_ACL_H

#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

#define PROC_ACL_R 4u
#define PROC_ACL_W 2u
#define PROC_ACL_X 1u

/* A named user's entry. */
struct proc_acl_user {
	uid_t uid;
	unsigned perm; /* PROC_ACL_* bits */
};

/*
 * Set path's access ACL (dflt 0) or, for a directory, its default ACL
 * (dflt 1): owner, group and other from path's mode (a default ACL: rwx,
 * r-x and nothing, limited by each new file's mode), plus the named users,
 * the mask their union with the group's.  The mode's group bits then show
 * the mask (ls -l: 0660 for a 0640 file naming a writer).
 */
int proc_acl_set(const char *path, int dflt, const struct proc_acl_user *users, size_t n,
    struct err *e);

/* 1 if path's access ACL grants uid all of perm (its entry and the mask), else 0. */
int proc_acl_grants(const char *path, uid_t uid, unsigned perm);

#endif
