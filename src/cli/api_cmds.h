/*
 * api_cmds.h - `lancre cert add`, `revoke` and `status` over the admin API
 * (--api URL --token-file F): the same output and exit codes as with -d
 * DIR, the work done by a running `lancre run` (cli/api_client.h).
 */
#ifndef LANCRE_CLI_API_CMDS_H
#define LANCRE_CLI_API_CMDS_H

#include <stddef.h>
#include <stdint.h>

/* The options' help, shared by the three commands; scope: what the token needs. */
#define API_CMDS_HELP(scope)                                                              \
	"  --api URL         through the admin API of a running `lancre run`\n"              \
	"                    (http://127.0.0.1:PORT, see OPERATOR.md); not with -d\n"        \
	"  --token-file F    the API token (`lancre token add`, scope " scope "):\n"        \
	"                    its first line; the file must be mode 0600.  TLS client\n"      \
	"                    options (--cacert, --cert, --key) come with mutual TLS\n"

/*
 * The options' checks: --api and --token-file together, and not with -d
 * (dir_given).  0, or EXIT_USAGE having said why.
 */
int cli_api_options(const char *cmd, const char *api, const char *token_file, int dir_given);

/* Each returns the command's exit code, having printed what -d DIR would. */
int api_cmd_status(const char *url, const char *token_file, const char *issuer,
    const char *what);
int api_cmd_revoke(const char *url, const char *token_file, const char *issuer,
    const char *const *serials, size_t nserials, const char *file, int reason,
    int64_t date);

#endif
