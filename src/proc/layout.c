/*
 * layout.c - owners and modes of a data directory; see layout.h.
 *
 * The private names (keys and PINs, and the signer lock) are recognised by
 * their first path component under DIR; everything else is the server's to
 * read.  The walk never follows a symbolic link (FTS_PHYSICAL, lchown,
 * AT_SYMLINK_NOFOLLOW; links are left alone): a link planted in DIR must not make root chown its target.
 * fts(3), not nftw(): the walk state stays on the stack.
 */
#include "proc/layout.h"
#include "proc/acl.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Under DIR, the first components that only the signer may read. */
static const char *const private_names[] = {"private", "keys", "sign.lock"};

static int
is_private(const char *rel)
{
	for (size_t i = 0; i < sizeof(private_names) / sizeof(private_names[0]); i++) {
		size_t n = strlen(private_names[i]);
		if (strncmp(rel, private_names[i], n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
			return 1;
	}
	return 0;
}

/* Is rel (under DIR) the SQLite store file, its -wal or its -shm?  store: [store] store. */
static int
is_store(const char *rel, const char *store)
{
	size_t n = store != NULL ? strlen(store) : 0;

	if (n == 0 || strncmp(store, "postgres", 8) == 0 || strchr(store, '/') != NULL ||
	    strncmp(rel, store, n) != 0)
		return 0;
	return rel[n] == '\0' || strcmp(rel + n, "-wal") == 0 || strcmp(rel + n, "-shm") == 0;
}

/*
 * [admin] user's ACLs (proc/acl.h), when there is an admin process: through
 * DIR (x, no listing), the store's files read-write, and DIR's default ACL so
 * that a -wal or -shm made later is both writers'.  After the chmod, which
 * would narrow the mask.
 */
static int
apply_admin(const FTSENT *f, const char *rel, const char *store, const struct proc_users *u,
    struct err *e)
{
	struct proc_acl_user through = {u->admin.uid, PROC_ACL_X};
	struct proc_acl_user rw = {u->admin.uid, PROC_ACL_R | PROC_ACL_W};
	/* x: a directory made in DIR later (an operator's about/) is theirs to enter;
	 * a file's mode takes x (and more) away through the mask. */
	struct proc_acl_user writers[] = {{u->signer.uid, PROC_ACL_R | PROC_ACL_W | PROC_ACL_X},
	    {u->admin.uid, PROC_ACL_R | PROC_ACL_W | PROC_ACL_X}};

	if (u->admin.uid == 0)
		return 0; /* [admin] listen = off */
	if (rel[0] == '\0')
		return proc_acl_set(f->fts_accpath, 0, &through, 1, e) != 0 ||
			       proc_acl_set(f->fts_accpath, 1, writers, 2, e) != 0
			   ? -1
			   : 0;
	return is_store(rel, store) ? proc_acl_set(f->fts_accpath, 0, &rw, 1, e) : 0;
}

/*
 * One entry of the walk; rel is its path under DIR ("" for DIR itself).
 * PROC_LAYOUT_LEFT_ALONE (init's first admin token, 0600, whoever ran init's)
 * keeps its owner and mode: given the server's group and 0640 as the rest, the
 * public server's user could read a token that writes the store through the
 * admin API.
 */
static int
apply_one(const FTSENT *f, const char *rel, const char *store, const struct proc_users *u,
    struct err *e)
{
	int private = is_private(rel), dir = f->fts_info == FTS_D;

	if (strcmp(rel, PROC_LAYOUT_LEFT_ALONE) == 0)
		return 0;
	gid_t g = private ? u->signer.gid : u->server.gid;
	/*
	 * Shared directories are set-group-ID (02750): a file the signer creates
	 * there later (SQLite re-creates lancre.db-wal and -shm if a tool that
	 * keeps no WAL, the sqlite3 shell, removed them) gets the server's group,
	 * not the signer's, and the server can still read it.
	 */
	mode_t m = dir ? (private ? 0700 : 02750) : (private ? 0600 : 0640);

	if (lchown(f->fts_accpath, u->signer.uid, g) != 0 ||
	    fchmodat(AT_FDCWD, f->fts_accpath, m, AT_SYMLINK_NOFOLLOW) != 0)
		return err_set(e, "cannot give %s to %s: %s", f->fts_path, u->signer.name,
		    strerror(errno));
	return private ? 0 : apply_admin(f, rel, store, u, e);
}

/* Is the top-level entry rel (under DIR) one of only (NULL: all)? */
static int
wanted(const char *rel, const char *const *only)
{
	if (only == NULL || rel[0] == '\0')
		return 1;
	for (; *only != NULL; only++) {
		size_t n = strlen(*only);
		if (strncmp(rel, *only, n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
			return 1;
	}
	return 0;
}

int
proc_layout_apply(const char *dir, const char *const *only, const char *store,
    const struct proc_users *u, struct err *e)
{
	char *const roots[] = {(char *)dir, NULL};
	size_t len = strlen(dir);
	FTSENT *f;
	FTS *fts;
	int rc = 0;

	if (!u->as_root)
		return 0;
	fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	if (fts == NULL)
		return err_set(e, "cannot walk %s: %s", dir, strerror(errno));
	while (rc == 0 && (f = fts_read(fts)) != NULL) {
		const char *rel = f->fts_path + (strlen(f->fts_path) >= len ? len : 0);
		while (*rel == '/')
			rel++;
		if (!wanted(rel, only)) {
			fts_set(fts, f, FTS_SKIP);
			continue;
		}
		if (f->fts_info == FTS_D || (f->fts_info == FTS_F && S_ISREG(f->fts_statp->st_mode)))
			rc = apply_one(f, rel, store, u, e); /* links, sockets, FIFOs: left alone */
		else if (f->fts_info == FTS_DNR || f->fts_info == FTS_ERR)
			rc = err_set(e, "cannot walk %s: %s", f->fts_path, strerror(f->fts_errno));
	}
	fts_close(fts);
	return rc;
}

/* path must be the signer's, readable by the server's group: else the fix, in e. */
static int
check_one(const char *path, const char *dir, const struct proc_users *u, struct err *e)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == ENOENT ? 0 : err_set(e, "cannot stat %s: %s", path, strerror(errno));
	if (st.st_uid == u->signer.uid && (st.st_gid == u->server.gid || (st.st_mode & 0004)))
		return 0;
	return err_set(e, "%s belongs to uid %ld, gid %ld, not to [signer] user %s and the "
			  "server's group: started as root, lancre runs as those users; fix it "
			  "with `chown -R %s:%ld %s` (lancre init as root does it for a new "
			  "directory)", path, (long)st.st_uid, (long)st.st_gid, u->signer.name,
	    u->signer.name, (long)u->server.gid, dir);
}

int
proc_layout_check(const char *dir, const char *store, const struct proc_users *u,
    struct err *e)
{
	char path[PATH_MAX + 32];

	if (!u->as_root)
		return 0;
	if (check_one(dir, dir, u, e) != 0)
		return -1;
	if (strncmp(store, "postgres", 8) == 0 || store[0] == '/')
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, store) >= (int)sizeof(path))
		return err_set(e, "%s/%s: path too long", dir, store);
	return check_one(path, dir, u, e);
}

int
proc_layout_check_admin(const char *dir, const char *store, const struct proc_users *u,
    struct err *e)
{
	char path[PATH_MAX + 32];

	if (!u->as_root || u->admin.uid == 0 || strncmp(store, "postgres", 8) == 0 ||
	    strchr(store, '/') != NULL)
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s", dir, store) >= (int)sizeof(path))
		return err_set(e, "%s/%s: path too long", dir, store);
	if (proc_acl_grants(dir, u->admin.uid, PROC_ACL_X) &&
	    proc_acl_grants(path, u->admin.uid, PROC_ACL_R | PROC_ACL_W))
		return 0;
	return err_set(e, "[admin] user %s may not write %s: the admin process records "
			  "certificates and revocations there; give it the ACLs `lancre init` "
			  "gives (`setfacl -m u:%s:x,d:u:%s:rw,d:u:%s:rw %s && setfacl -m "
			  "u:%s:rw %s*`), or set [admin] listen = off",
	    u->admin.name, path, u->admin.name, u->admin.name, u->signer.name, dir,
	    u->admin.name, path);
}
