/*
 * sandboxing.h - entering a process's sandbox from a command (lancre serve,
 * sign, run, demo): the paths from the data directory, the mode from
 * lancre.conf (or LANCRE_SANDBOX=off), and the one warning line.
 */
#ifndef LANCRE_CLI_SANDBOXING_H
#define LANCRE_CLI_SANDBOXING_H

#include <limits.h>

#include "cli/cli.h"
#include "sandbox/sandbox.h"
#include "store/reach.h"

#define CLI_SANDBOX_DIRS_MAX 32 /* the signer's read directories and modules together */

/* The paths struct sandbox_paths points into, for as long as the process runs. */
struct cli_sandbox {
	char conf[PATH_MAX];
	char hook[PATH_MAX];
	char dirs[CLI_SANDBOX_DIRS_MAX][PATH_MAX]; /* storage for read_dirs and modules */
	size_t ndirs;
	const char *read_dirs[CLI_SANDBOX_DIRS_MAX + 1];
	const char *modules[CLI_SANDBOX_DIRS_MAX + 1];
	struct store_reach reach; /* a PostgreSQL store's ports and password file */
	struct sandbox_paths paths;
};

/*
 * Fill sb from d: its data directory, store file (or a PostgreSQL store's
 * ports and password file, as this process sees them), lancre.conf, PKCS#11
 * module.  server: for the public server, whose password file is that of
 * [store] server_store's URL when it is set (the location it connects to).
 */
void cli_sandbox_paths(struct cli_sandbox *sb, const struct cli_dir *d, int server);

/* d's [sandbox] mode, unless LANCRE_SANDBOX=off. */
enum sandbox_mode cli_sandbox_mode(const struct cli_dir *d);

/* Say on stderr, as cmd, what role's sandbox lacks on this kernel (nothing if all is there). */
void cli_sandbox_warn(const char *cmd, enum sandbox_role role, const struct sandbox_report *r);

/*
 * A process run alone (`lancre sign`, `lancre serve`, `lancre run`'s
 * supervisor): a system call its sandbox traps is said on stderr as
 * "lancre CMD: killed by the sandbox: ...".  A child of the supervisor
 * reports to the supervisor instead (proc/supervise.c).
 */
void cli_sandbox_trap_says(const char *cmd);

struct signer;
/*
 * The signer's sandbox, for `lancre sign` and the signer of `lancre run`:
 * public/ is created first (Landlock rules hang on existing directories).
 * It reads what sg's keys were read from ([signer] read_dirs too), and sg
 * is told to refuse a key named later outside that (signer_confine_reads).
 */
int cli_sandbox_signer(const char *cmd, struct cli_dir *d, struct signer *sg, struct err *e);

/*
 * The supervisor's (`lancre run`'s parent), before it starts its children,
 * which start inside it and narrow to their own.
 */
int cli_sandbox_supervisor(const char *cmd, struct cli_dir *d, const char *public_listen,
    struct err *e);

/*
 * The admin process (src/admin/), once its store is open and it runs as its
 * user: SANDBOX_ADMIN, its store's files and nothing else.
 */
int cli_sandbox_admin(const char *cmd, struct cli_dir *d, const char *public_listen,
    struct err *e);

#endif
