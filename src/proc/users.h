/*
 * users.h - who each lancre process runs as.
 *
 * Started as root, lancre runs its public server as [server] user, its
 * signer (and every command that writes the store) as [signer] user, and the
 * admin API's process as [admin] user: distinct system users with their own
 * primary groups, so that the process facing the network cannot write what
 * the signer reads, and neither it nor the admin process can reach the keys.
 * Empty settings mean the defaults below.  Started as a normal user, both
 * settings are ignored: every process runs as that user and the sandbox
 * does the separation.  This module only resolves names; proc/drop.h
 * changes users.
 */
#ifndef LANCRE_PROC_USERS_H
#define LANCRE_PROC_USERS_H

#include <sys/types.h>

#include "conf/conf.h"
#include "util/err.h"

#define PROC_SERVER_USER_DEFAULT "lancre-server"
#define PROC_SIGNER_USER_DEFAULT "lancre-signer"
#define PROC_ADMIN_USER_DEFAULT "lancre-admin"

struct proc_user {
	char name[CONF_STR_MAX];
	uid_t uid;
	gid_t gid; /* the user's primary group */
};

struct proc_users {
	int as_root; /* started as root: switch to the users below; else stay as we are */
	struct proc_user server, signer;
	/* [admin] user; uid 0 and an empty name when [admin] listen = off (as root). */
	struct proc_user admin;
};

/*
 * Look up the user called name (setting names the lancre.conf key, for the
 * message).  A missing user is one line giving the exact useradd command.
 */
int proc_user_lookup(const char *name, const char *setting, struct proc_user *u,
    struct err *e);

/*
 * The users of c, resolved once.  Started as root (effective uid 0): [server]
 * user, [signer] user and, unless [admin] listen = off, [admin] user (their
 * defaults when empty), which must exist and differ.  Otherwise as_root is 0
 * and all are the current user.
 */
int proc_users_resolve(const struct conf *c, struct proc_users *u, struct err *e);

#endif
