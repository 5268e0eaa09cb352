/*
 * layout.h - who owns what in a data directory, when lancre runs as root.
 *
 * [signer] user owns everything; the server reads through its group:
 *
 *   DIR                      signer:<server's group>  0750
 *   lancre.db, -wal, -shm    signer:<server's group>  0640  (the server reads, never writes;
 *                                                           [admin] user writes by ACL)
 *   lancre.conf, public/...  signer:<server's group>  0640 files, 0750 directories
 *   private/ (keys.db, keys, PIN files), keys/, sign.lock
 *                            signer:<signer's group>  0600 files, 0700 directories
 *   admin.token              left as `lancre init` made it: 0600, whoever ran init
 *
 * `lancre init` (and `lancre demo`) as root apply it; the commands started as
 * root check it before they switch users, so that a directory made by hand
 * or by an older lancre fails with the command that fixes it rather than
 * with SQLite's "attempt to write a readonly database".
 */
#ifndef LANCRE_PROC_LAYOUT_H
#define LANCRE_PROC_LAYOUT_H

#include "proc/users.h"
#include "util/err.h"

/* Under DIR, the one name the walk leaves alone (cli.h's CLI_FIRST_TOKEN_FILE). */
#define PROC_LAYOUT_LEFT_ALONE "admin.token"

/*
 * Give dir, and the entries named in only (NULL-terminated; NULL: every
 * entry) with everything under them, the owners and modes above, and, when
 * there is an admin process (u->admin), its ACLs (proc/acl.h) on dir and on
 * the SQLite store's files (store: [store] store).  Only when u->as_root.  `lancre init` names what it made: a directory that held other
 * files keeps their owners.
 */
int proc_layout_apply(const char *dir, const char *const *only, const char *store,
    const struct proc_users *u, struct err *e);

/*
 * Are dir and its SQLite store (store: lancre.conf's [store] store) owned as
 * above?  If not, one line naming the fix (`chown -R ...` or `lancre init`).
 * Does nothing unless u->as_root.
 */
int proc_layout_check(const char *dir, const char *store, const struct proc_users *u,
    struct err *e);

/*
 * With an admin process started as root: may [admin] user pass through dir
 * and write its SQLite store (the ACLs proc_layout_apply() gives)?  If not,
 * one line naming the fix.  Nothing to check for a PostgreSQL store.
 */
int proc_layout_check_admin(const char *dir, const char *store, const struct proc_users *u,
    struct err *e);

#endif
