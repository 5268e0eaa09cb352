/*
 * sandboxing.c - see sandboxing.h.  The library enters the sandbox and
 * reports; this file decides the words, and gathers what the signer's
 * sandbox must let it read: its keys' directories (from the signer, which
 * read them at start), [signer] read_dirs, its modules and its hook.
 */
#include "cli/sandboxing.h"

#include <stdio.h>
#include <string.h>

#include "admin/served.h"
#include "signer/key.h"
#include "signer/signer.h"
#include "util/fsutil.h"

/*
 * [store] server_store's and admin_store's ports join the store's: the
 * supervisor's filters and Landlock domain are its children's too, so every
 * process of one lancre run may reach them all (the server uses the one,
 * the admin process another, the signer the store).
 */
static void
add_server_store(struct store_reach *r, const char *location)
{
	struct store_reach more;
	struct err e;

	if (location[0] == '\0' || store_reach(location, &more, &e) != 0 || !more.sockets)
		return;
	r->sockets = 1;
	for (int i = 0; i < more.nports && r->nports < STORE_REACH_PORTS_MAX; i++) {
		int dup = 0;

		for (int j = 0; j < r->nports; j++)
			dup |= r->ports[j] == more.ports[i];
		if (!dup)
			r->ports[r->nports++] = more.ports[i];
	}
}

void
cli_sandbox_paths(struct cli_sandbox *sb, const struct cli_dir *d, int server)
{
	struct store_reach own;
	struct err e;

	memset(sb, 0, sizeof(*sb));
	snprintf(sb->conf, sizeof(sb->conf), "%s/%s", d->path, CONF_FILE);
	sb->paths.dir = d->path;
	sb->paths.store = d->conf.store;
	sb->paths.conf = sb->conf;
	sb->paths.pkcs11_module = d->conf.pkcs11_module;
	sb->paths.network = d->conf.signer_network;
	/* The store is open by now, so its URL parses; were it not to, no sockets at all. */
	if (store_reach(d->conf.store, &sb->reach, &e) == 0) {
		add_server_store(&sb->reach, d->conf.server_store);
		add_server_store(&sb->reach, d->conf.admin_store);
	}
	/* libpq reads it again when a reconnection is a new connection (postgresql_conn.c). */
	if (server && d->conf.server_store[0] != '\0' &&
	    store_reach(d->conf.server_store, &own, &e) == 0 && own.sockets)
		snprintf(sb->reach.passfile, sizeof(sb->reach.passfile), "%s", own.passfile);
	if (sb->reach.sockets) {
		sb->paths.db_sockets = 1;
		sb->paths.db_ports = sb->reach.ports;
		sb->paths.db_nports = sb->reach.nports;
		sb->paths.db_passfile = sb->reach.passfile;
	}
}

enum sandbox_mode
cli_sandbox_mode(const struct cli_dir *d)
{
	return sandbox_mode_effective(d->conf.sandbox_mode);
}

void
cli_sandbox_warn(const char *cmd, enum sandbox_role role, const struct sandbox_report *r)
{
	if (r->lacking[0] == '\0')
		return;
	fprintf(stderr, "lancre %s: warning: the %s's sandbox lacks %s on this kernel; running "
			"with the rest ([sandbox] mode = required would refuse to start)\n",
	    cmd, sandbox_role_name(role), r->lacking);
}

void
cli_sandbox_trap_says(const char *cmd)
{
	char prefix[SANDBOX_TRAP_PREFIX_MAX];

	snprintf(prefix, sizeof(prefix), "lancre %s", cmd);
	sandbox_trap_report(NULL, prefix);
}

static struct cli_sandbox sb; /* the process's one sandbox, for its lifetime */

static int
enter(const char *cmd, struct cli_dir *d, enum sandbox_role role, struct sandbox_report *r,
    struct err *e)
{
	if (sandbox_enter(role, cli_sandbox_mode(d), &sb.paths, r, e) != 0)
		return err_prefix(e, "sandbox");
	cli_sandbox_warn(cmd, role, r);
	return 0;
}

/* One more directory into sb's storage; *list gets it (NULL-terminated). */
static int
add_dir(const char **list, size_t *n, const char *dir, size_t len, struct err *e)
{
	/* Issuers' keys mostly share a directory or two: one rule each, not one per key. */
	for (size_t i = 0; i < *n; i++) {
		if (strlen(list[i]) == len && strncmp(list[i], dir, len) == 0)
			return 0;
	}
	if (sb.ndirs == CLI_SANDBOX_DIRS_MAX)
		return err_set(e, "the signer's sandbox: more than %d directories to read",
		    CLI_SANDBOX_DIRS_MAX);
	snprintf(sb.dirs[sb.ndirs], sizeof(sb.dirs[0]), "%.*s", (int)len, dir);
	list[(*n)++] = sb.dirs[sb.ndirs++];
	list[*n] = NULL;
	return 0;
}

/* The length of path's directory part: 1 for "/k.pem", 0 for a bare name. */
static size_t
dir_len(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
}

/*
 * What the signer reads beyond the data directory: [signer] read_dirs, the
 * directories of the files its keys were read from, its modules, its hook.
 */
static int
signer_reads(const struct cli_dir *d, const struct signer *sg, struct err *e)
{
	const struct key_file *f;
	size_t nf = signer_key_files(sg, &f), nr = 0, nm = 0;
	const char *w = d->conf.signer_read_dirs;
	const char *hook = d->conf.crl_hook + strspn(d->conf.crl_hook, " \t");

	sb.ndirs = 0;
	for (; *w != '\0'; w += strspn(w, " \t")) {
		size_t n = strcspn(w, " \t");
		if (n > 0 && add_dir(sb.read_dirs, &nr, w, n, e) != 0)
			return -1;
		w += n;
	}
	for (size_t i = 0; i < nf; i++) {
		/* A bare name has no directory to allow: "." would be wherever lancre was
		 * started ("/" under systemd).  The loader finds a bare module in /usr or /lib,
		 * which are allowed; a bare key file is refused by the signer's check. */
		if (dir_len(f[i].path) == 0)
			continue;
		if (f[i].exec) {
			if (add_dir(sb.modules, &nm, f[i].path, strlen(f[i].path), e) != 0)
				return -1;
			continue;
		}
		if (add_dir(sb.read_dirs, &nr, f[i].path, dir_len(f[i].path), e) != 0)
			return -1;
	}
	sb.paths.read_dirs = nr > 0 ? sb.read_dirs : NULL;
	sb.paths.modules = nm > 0 ? sb.modules : NULL;
	/* The hook's program: its first word, or the shell. */
	if (d->conf.crl_hook_shell)
		snprintf(sb.hook, sizeof(sb.hook), "/bin/sh");
	else
		snprintf(sb.hook, sizeof(sb.hook), "%.*s", (int)strcspn(hook, " \t"), hook);
	sb.paths.hook = sb.hook;
	return 0;
}

/* The signer's question, once confined: may its sandbox read path? */
static int
signer_may_read(void *arg, const char *path, int exec)
{
	return sandbox_signer_may_read(arg, path, exec);
}

int
cli_sandbox_signer(const char *cmd, struct cli_dir *d, struct signer *sg, struct err *e)
{
	char public[PATH_MAX];
	struct sandbox_report r;

	if (fs_path(public, sizeof(public), e, "%s/public", d->path) != 0 ||
	    fs_mkdir_p(public, 0755, e) != 0)
		return -1;
	cli_sandbox_paths(&sb, d, 0);
	if (signer_reads(d, sg, e) != 0 || enter(cmd, d, SANDBOX_SIGNER, &r, e) != 0)
		return -1;
	if (r.landlock) /* without file rules, nothing to refuse */
		signer_confine_reads(sg, signer_may_read, &sb.paths);
	return 0;
}

int
cli_sandbox_supervisor(const char *cmd, struct cli_dir *d, const char *public_listen,
    struct err *e)
{
	struct sandbox_report r;
	struct admin_public pub;

	cli_sandbox_trap_says(cmd);
	cli_sandbox_paths(&sb, d, 0);
	/* Its admin child's ?wait=served connects to the public listener: allowed here too. */
	if (public_listen != NULL && admin_public_parse(public_listen, &pub, e) == 0)
		sb.paths.public_port = pub.port;
	return enter(cmd, d, SANDBOX_SUPERVISOR, &r, e);
}

int
cli_sandbox_admin(const char *cmd, struct cli_dir *d, const char *public_listen,
    struct err *e)
{
	struct sandbox_report r;
	struct admin_public pub;
	struct store_reach own;
	struct err ignored;

	cli_sandbox_paths(&sb, d, 0);
	/* ?wait=served connects to the public listener: its port only (admin/served.h). */
	if (public_listen != NULL && admin_public_parse(public_listen, &pub, e) == 0)
		sb.paths.public_port = pub.port;
	/* libpq reads the admin process's own password file again on a reconnection. */
	if (sb.reach.sockets && d->conf.admin_store[0] != '\0' &&
	    store_reach(d->conf.admin_store, &own, &ignored) == 0 && own.sockets)
		snprintf(sb.reach.passfile, sizeof(sb.reach.passfile), "%s", own.passfile);
	if (sb.reach.sockets && d->conf.api_passfile[0] != '\0')
		snprintf(sb.reach.passfile, sizeof(sb.reach.passfile), "%s", d->conf.api_passfile);
	return enter(cmd, d, SANDBOX_ADMIN, &r, e);
}
