/*
 * users.c - resolving [server] user, [signer] user and [admin] user; see
 * users.h.
 *
 * Resolved once, before anything is forked or dropped: a missing user must
 * stop lancre at start-up with the command that creates it, not kill a child
 * later (getpwnam may also need files a sandboxed process can no longer open).
 */
#include "proc/users.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
proc_user_lookup(const char *name, const char *setting, struct proc_user *u, struct err *e)
{
	struct passwd *pw;

	memset(u, 0, sizeof(*u));
	if (strlen(name) >= sizeof(u->name))
		return err_set(e, "%s '%s' is too long", setting, name);
	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL && errno != 0 && errno != ENOENT && errno != ESRCH)
		return err_set(e, "cannot look up %s '%s': %s", setting, name, strerror(errno));
	if (pw == NULL)
		return err_set(e, "%s '%s' does not exist: create it with `useradd --system "
				  "--user-group --no-create-home --shell /usr/sbin/nologin %s`",
		    setting, name, name);
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return 0;
}

/* The current user, for a lancre started as a normal user. */
static void
current_user(struct proc_user *u)
{
	struct passwd *pw = getpwuid(geteuid());

	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", pw != NULL ? pw->pw_name : "");
	u->uid = geteuid();
	u->gid = getegid();
}

int
proc_users_resolve(const struct conf *c, struct proc_users *u, struct err *e)
{
	const char *server = c->user[0] != '\0' ? c->user : PROC_SERVER_USER_DEFAULT;
	const char *signer = c->signer_user[0] != '\0' ? c->signer_user : PROC_SIGNER_USER_DEFAULT;
	const char *admin = c->api_user[0] != '\0' ? c->api_user : PROC_ADMIN_USER_DEFAULT;

	memset(u, 0, sizeof(*u));
	if (geteuid() != 0) {
		current_user(&u->server);
		u->signer = u->admin = u->server;
		return 0;
	}
	u->as_root = 1;
	if (proc_user_lookup(server, "[server] user", &u->server, e) != 0 ||
	    proc_user_lookup(signer, "[signer] user", &u->signer, e) != 0)
		return -1;
	if (u->server.uid == 0 || u->signer.uid == 0)
		return err_set(e, "[%s] user '%s' is root: lancre never stays root; name an "
				  "unprivileged user", u->server.uid == 0 ? "server" : "signer",
		    u->server.uid == 0 ? server : signer);
	if (u->server.uid == u->signer.uid || u->server.gid == u->signer.gid)
		return err_set(e, "[server] user '%s' and [signer] user '%s' must be two users "
				  "with their own groups: the server must not write what the "
				  "signer owns", server, signer);
	if (strcmp(c->api_listen, CONF_API_OFF) == 0)
		return 0;
	if (proc_user_lookup(admin, "[admin] user", &u->admin, e) != 0)
		return -1;
	if (u->admin.uid == 0)
		return err_set(e, "[admin] user '%s' is root: lancre never stays root; name an "
				  "unprivileged user", admin);
	if (u->admin.uid == u->signer.uid || u->admin.gid == u->signer.gid ||
	    u->admin.uid == u->server.uid || u->admin.gid == u->server.gid)
		return err_set(e, "[admin] user '%s' must be a user of its own, with its own "
				  "group, neither [server] user '%s' nor [signer] user '%s': it "
				  "writes the store but must not read the signer's keys, and the "
				  "server must not write", admin, server, signer);
	return 0;
}
