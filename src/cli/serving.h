/*
 * serving.h - running the public server and the signer, alone or together,
 * for `lancre serve`, `lancre run` and `lancre demo`.
 */
#ifndef LANCRE_CLI_SERVING_H
#define LANCRE_CLI_SERVING_H

#include "cli/cli.h"

struct serving {
	const char *listen; /* NULL: lancre.conf [server] listen */
	const char *admin;  /* NULL: lancre.conf [server] admin, else 127.0.0.1:<port + 1> */
	int threads;
	const char *api;    /* NULL: lancre.conf [admin] listen; "off": no admin process */
	int with_signer; /* fork a signer process beside the server (and the admin API's) */
	int only_admin;  /* `lancre admin`: the admin API's process alone */
	int quiet;
};

/*
 * The admin listener's address: admin if given, else lancre.conf's [server]
 * admin, else 127.0.0.1 on listen's port + 1.
 */
void serving_admin_addr(const struct conf *c, const char *listen, const char *admin, char *out,
    size_t len);

/* Serve DIR until SIGINT or SIGTERM.  Returns an exit status. */
int serving_run(struct cli_dir *d, const struct serving *o, const char *cmd);

#endif
