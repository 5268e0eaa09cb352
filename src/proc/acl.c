/*
 * acl.c - POSIX ACLs as raw xattrs; see acl.h.
 *
 * The xattr is a version word then entries {tag, perm, id}, sorted by tag
 * and, for named users, by id (the kernel refuses another order).
 */
#include "proc/acl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#define ACL_XATTR_VERSION 2
#define ACL_USER_OBJ 0x01
#define ACL_USER 0x02
#define ACL_GROUP_OBJ 0x04
#define ACL_MASK 0x10
#define ACL_OTHER 0x20
#define ACL_UNDEFINED_ID 0xffffffffu
#define ACL_USERS_MAX 4

struct acl_entry {
	uint16_t tag, perm;
	uint32_t id;
};

struct acl_xattr {
	uint32_t version;
	struct acl_entry e[ACL_USERS_MAX + 4];
};

int
proc_acl_set(const char *path, int dflt, const struct proc_acl_user *users, size_t n,
    struct err *e)
{
	struct acl_xattr x = {.version = ACL_XATTR_VERSION};
	struct proc_acl_user sorted[ACL_USERS_MAX];
	unsigned owner, group, other, mask;
	struct stat st;
	size_t k = 0;

	if (n > ACL_USERS_MAX)
		return err_set(e, "%s: too many users for an ACL", path);
	if (stat(path, &st) != 0)
		return err_set(e, "cannot stat %s: %s", path, strerror(errno));
	owner = dflt ? 7 : (st.st_mode >> 6) & 7;
	group = dflt ? 5 : (st.st_mode >> 3) & 7;
	other = dflt ? 0 : st.st_mode & 7;
	memcpy(sorted, users, n * sizeof(*users));
	for (size_t i = 1; i < n; i++) { /* insertion sort by uid: the kernel's order */
		for (size_t j = i; j > 0 && sorted[j].uid < sorted[j - 1].uid; j--) {
			struct proc_acl_user t = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	}
	mask = group;
	x.e[k++] = (struct acl_entry){ACL_USER_OBJ, (uint16_t)owner, ACL_UNDEFINED_ID};
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && sorted[i].uid == sorted[i - 1].uid)
			continue;
		x.e[k++] = (struct acl_entry){ACL_USER, (uint16_t)sorted[i].perm,
		    (uint32_t)sorted[i].uid};
		mask |= sorted[i].perm;
	}
	x.e[k++] = (struct acl_entry){ACL_GROUP_OBJ, (uint16_t)group, ACL_UNDEFINED_ID};
	x.e[k++] = (struct acl_entry){ACL_MASK, (uint16_t)mask, ACL_UNDEFINED_ID};
	x.e[k++] = (struct acl_entry){ACL_OTHER, (uint16_t)other, ACL_UNDEFINED_ID};
	if (setxattr(path, dflt ? "system.posix_acl_default" : "system.posix_acl_access", &x,
		sizeof(x.version) + k * sizeof(x.e[0]), 0) != 0)
		return err_set(e, "cannot set the %sACL of %s: %s%s", dflt ? "default " : "", path,
		    strerror(errno),
		    errno == EOPNOTSUPP ? " (mount the file system with ACLs, or set [admin] "
					  "listen = off)"
					: "");
	return 0;
}

int
proc_acl_grants(const char *path, uid_t uid, unsigned perm)
{
	struct acl_xattr x;
	ssize_t len = getxattr(path, "system.posix_acl_access", &x, sizeof(x));
	unsigned mine = 0, mask = 7;
	int named = 0;

	if (len < (ssize_t)sizeof(x.version) || x.version != ACL_XATTR_VERSION)
		return 0;
	for (size_t i = 0; i < ((size_t)len - sizeof(x.version)) / sizeof(x.e[0]); i++) {
		if (x.e[i].tag == ACL_USER && x.e[i].id == (uint32_t)uid) {
			mine = x.e[i].perm;
			named = 1;
		} else if (x.e[i].tag == ACL_MASK) {
			mask = x.e[i].perm;
		}
	}
	return named && (mine & mask & perm) == perm;
}
