/*
 * sandboxing.c - see sandboxing.h.  The library enters the sandbox and
 * reports; this file decides the words.
 */
#include "cli/sandboxing.h"

#include <stdio.h>
#include <string.h>

#include "util/fsutil.h"

void
cli_sandbox_paths(struct cli_sandbox *sb, const struct cli_dir *d)
{
	memset(sb, 0, sizeof(*sb));
	snprintf(sb->conf, sizeof(sb->conf), "%s/%s", d->path, CONF_FILE);
	sb->paths.dir = d->path;
	sb->paths.store = d->conf.store;
	sb->paths.conf = sb->conf;
	sb->paths.pkcs11_module = d->conf.pkcs11_module;
	sb->paths.network = d->conf.signer_network;
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

static int
enter(const char *cmd, struct cli_dir *d, enum sandbox_role role, struct err *e)
{
	static struct cli_sandbox sb; /* the process's one sandbox, for its lifetime */
	struct sandbox_report r;

	cli_sandbox_paths(&sb, d);
	if (sandbox_enter(role, cli_sandbox_mode(d), &sb.paths, &r, e) != 0)
		return err_prefix(e, "sandbox");
	cli_sandbox_warn(cmd, role, &r);
	return 0;
}

int
cli_sandbox_signer(const char *cmd, struct cli_dir *d, struct err *e)
{
	char public[PATH_MAX];

	if (fs_path(public, sizeof(public), e, "%s/public", d->path) != 0 ||
	    fs_mkdir_p(public, 0755, e) != 0)
		return -1;
	return enter(cmd, d, SANDBOX_SIGNER, e);
}

int
cli_sandbox_supervisor(const char *cmd, struct cli_dir *d, struct err *e)
{
	cli_sandbox_trap_says(cmd);
	return enter(cmd, d, SANDBOX_SUPERVISOR, e);
}
