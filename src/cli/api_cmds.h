/*
 * api_cmds.h - `lancre cert add`, `revoke` and `status` over the admin API
 * (--api URL --token-file F): the same output and exit codes as with -d
 * DIR, the work done by a running `lancre run` (cli/api_client.h).
 */
#ifndef LANCRE_CLI_API_CMDS_H
#define LANCRE_CLI_API_CMDS_H

#include <stddef.h>
#include <stdint.h>

#include "cli/api_client.h"
#include "store/store.h"

/* getopt_long values of the options below (--api and --token-file are 'A' and 'T'). */
#define API_OPT_CACERT 0x101
#define API_OPT_CERT 0x102
#define API_OPT_KEY 0x103
#define API_OPT_WAIT 0x104
#define API_OPT_WAIT_TIMEOUT 0x105

/* Entries of a command's getopt_long table: the API, its TLS client options. */
#define API_CMDS_OPTIONS                                                                  \
	{"api", required_argument, NULL, 'A'}, {"token-file", required_argument, NULL, 'T'}, \
	    {"cacert", required_argument, NULL, API_OPT_CACERT},                            \
	    {"cert", required_argument, NULL, API_OPT_CERT},                                \
	    {"key", required_argument, NULL, API_OPT_KEY}
/* And --wait, for the commands that change something (cert add, revoke). */
#define API_CMDS_WAIT_OPTIONS                                                             \
	{"wait", no_argument, NULL, API_OPT_WAIT},                                           \
	    {"wait-timeout", required_argument, NULL, API_OPT_WAIT_TIMEOUT}

/* The options' help, shared by the three commands; scope: what the token needs. */
#define API_CMDS_HELP(scope)                                                              \
	"  --api URL         through the admin API of a running `lancre run`\n"              \
	"                    (http://127.0.0.1:PORT, or https://HOST:PORT with TLS; see\n"  \
	"                    OPERATOR.md); not with -d\n"                                    \
	"  --token-file F    the API token (`lancre token add`, scope " scope "):\n"        \
	"                    its first line; the file must be mode 0600\n"                   \
	"  --cacert F        https://: the CA certificate(s) (PEM) the API's certificate\n"  \
	"                    chains to (default: the system's)\n"                           \
	"  --cert F --key F  https://: a client certificate and its key (PEM; the key\n"    \
	"                    mode 0600), for the API's mutual TLS; without --token-file\n"  \
	"                    it is the caller (the API's [admin] client lines)\n"
#define API_CMDS_WAIT_HELP                                                                \
	"  --wait            answer only once the public server serves the change (OCSP,\n" \
	"                    and the CRL for a revocation); not served in time: exit 3,\n"  \
	"                    the change recorded all the same\n"                            \
	"  --wait-timeout S  how long --wait waits, 1 to 120 seconds (default 10)\n"

/*
 * One option of API_CMDS_OPTIONS or API_CMDS_WAIT_OPTIONS (ch, its argument
 * arg) into o: 0 taken, -1 not one of them, or EXIT_USAGE having said why
 * its value is bad.
 */
int cli_api_option(const char *cmd, int ch, const char *arg, struct api_opts *o);

/*
 * The options' checks: --api with --token-file or --cert, the others only
 * with --api (the TLS ones with https://), not with -d (dir_given).  0, or
 * EXIT_USAGE having said why.
 */
int cli_api_options(const char *cmd, const struct api_opts *o, int dir_given);

/*
 * Each returns the command's exit code, having printed what -d DIR would;
 * API_EXIT_NOT_SERVED when --wait timed out on a change otherwise done.
 */
int api_cmd_status(const struct api_opts *o, const char *issuer, const char *what);
int api_cmd_revoke(const struct api_opts *o, const char *issuer, const char *const *serials,
    size_t nserials, const char *file, int reason, int64_t date);

/*
 * `lancre revoke --by-key FILE` (intake/bykey.h): the key's SPKI SHA-256,
 * read from FILE by the command (pki/spki.h), and the date when has_date.
 */
int api_cmd_revoke_bykey(const struct api_opts *o, const uint8_t spki[STORE_SPKI_HASH_LEN],
    int has_date, int64_t date);

/* One certificate of a by-key revocation, as both paths print it. */
struct revoke_bykey_line {
	char issuer[STORE_ISSUER_NAME_MAX + 1];
	char serial[128];
	int64_t at;
	int unchanged; /* revoked keyCompromise already */
};

/*
 * What `lancre revoke --by-key` says, -d or --api: a line per certificate,
 * a summary on stdout; on stderr, a warning when unkeyed certificates (no
 * key hash: recorded before schema 10) could not be searched.
 */
void revoke_bykey_print(const uint8_t spki[STORE_SPKI_HASH_LEN],
    const struct revoke_bykey_line *v, size_t n, int64_t unkeyed);

#endif
