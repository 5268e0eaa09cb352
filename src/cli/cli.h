/*
 * cli.h - what every `lancre` subcommand shares: the command table, opening
 * a data directory (lancre.conf + store), and the exit-code conventions of
 * PRODUCT.md (0 ok, 1 failed with one line on stderr, 2 usage error).
 *
 * Each subcommand lives in its own cli/cmd_*.c with a `cmd_<name>(argc, argv)`
 * entry point; argv[0] is the subcommand's name.
 */
#ifndef LANCRE_CLI_CLI_H
#define LANCRE_CLI_CLI_H

#include <limits.h>
#include <signal.h>

#include "conf/conf.h"
#include "proc/layout.h"
#include "store/store.h"
#include "util/err.h"

#define CLI_ACTOR_MAX 96

struct cli_dir {
	char path[PATH_MAX];
	struct conf conf;
	struct store *store;
	/* Who runs the command, for the audit trail: "cli:USER", the user it was started as. */
	char actor[CLI_ACTOR_MAX];
};

/* "cli:USER" for the real user running this process (its name, else its uid). */
void cli_actor(char *out, size_t len);

/*
 * One row of the audit trail for a change this command makes (store.h:
 * in the caller's transaction, as the change), as d->actor from "cli", at
 * the current time.  detail: JSON ("" or NULL: none).
 */
int cli_audit(struct cli_dir *d, const char *action, int64_t issuer_id, const uint8_t *serial,
    size_t serial_len, const char *detail, struct err *e);

struct signer;

/*
 * signer_new() for d, saying on stderr (as cmd) when an issuer's OCSP
 * responses cannot use the fast layout and are built the slow way.
 */
struct signer *cli_signer_new(const char *cmd, struct cli_dir *d, int threads, struct err *e);
/*
 * signer_report() for a caller running steps itself: on stderr (as cmd), the
 * issuers left out or back, and the [crl] hooks that could not start or failed.
 */
void cli_signer_report(const char *cmd, struct signer *sg, struct cli_dir *d);

/*
 * signer_loop() until *stop, logging as cmd, each line after the UTC time:
 * each failed step and its retry, and the recovery, on stderr; with
 * log_passes, each step that did something on stdout.  When *reload is set
 * (SIGHUP), d's lancre.conf is read again between two steps (when no signing
 * thread runs) and the signer, which reads d->conf, signs with it from the
 * next step on; a bad file is reported and the old settings stay.  reload
 * may be NULL.
 */
struct signer_stats;
void cli_signer_loop(const char *cmd, struct signer *sg, struct cli_dir *d,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *reload, int log_passes,
    struct signer_stats *st);

/*
 * The signer's lock on d (DIR/sign.lock, util/lockfile.h): its descriptor,
 * kept open while signing, or -1 when another signer (`lancre sign`, run's
 * signer) already works on DIR, saying which process.
 */
#define CLI_SIGNER_LOCK "sign.lock"
int cli_lock_signer(const struct cli_dir *d, struct err *e);

/* -d/--dir's default: $LANCRE_DIR, else ".". */
const char *cli_default_dir(void);

/*
 * Load DIR/lancre.conf and open its store.  Says so clearly if DIR is not a
 * data dir.  Started as root, the command first becomes [signer] user for
 * good (cli_become_signer): what it writes then belongs to the signer.
 */
int cli_dir_open(struct cli_dir *d, const char *dir, struct err *e);
/*
 * The same with the store opened in mode: STORE_READ for commands that only
 * read it (they stay the user they were started as).
 */
int cli_dir_open_as(struct cli_dir *d, const char *dir, enum store_mode mode, struct err *e);
/* The same, never changing user: for serve, run and demo, which start processes as users. */
int cli_dir_open_keep_user(struct cli_dir *d, const char *dir, enum store_mode mode,
    struct err *e);
/*
 * Started as root: check d's owners (proc/layout.h) and become [signer] user
 * for good.  As a normal user: nothing.
 */
int cli_become_signer(const struct cli_dir *d, struct err *e);
void cli_dir_close(struct cli_dir *d);

/* Print "lancre <cmd>: <message>" to stderr and return EXIT_FAIL. */
int cli_fail(const char *cmd, const struct err *e);

/* Print "lancre <cmd>: <message>" and a pointer to --help; return EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A command whose first word says what it does (`store copy`, `import
 * openssl-ca`): -1 when argv[1] is sub (the caller goes on past it), else what
 * to return at once: EXIT_OK after --help or -h (usage on stdout); EXIT_USAGE
 * with usage on stderr when there is no word, or "unknown <kind> '<word>'<hint>".
 */
int cli_subcommand(int argc, char **argv, const char *cmd, const char *sub, const char *usage,
    const char *kind, const char *hint);

/*
 * The usage error for what getopt_long() returned instead of an option, ch:
 * '?', "unknown option '--x'" (or "option '--once=x' takes no value"), or
 * ':', "option '-d' needs a value".  Every command's option string starts
 * with ':', which makes getopt tell the two apart and print nothing itself.
 */
int cli_bad_option(const char *cmd, char *const argv[], int ch);

/*
 * For the long-running commands (serve, sign, run, demo): line-buffer stdout
 * and stderr, so that a log file or a pipe gets each line when it is written
 * (not 4 KB later) and the processes of `lancre run` never split each other's
 * lines.  Call before anything is printed.
 */
void cli_log_lines(void);

/*
 * A --listen or --admin value (flag) checked as lancre.conf's are (conf/addr.h):
 * 0 if value is NULL or good, else EXIT_USAGE after saying why.
 */
int cli_check_listen(const char *cmd, const char *flag, const char *value);

/* Worker threads to use: the CPUs this process may run on. */
int cli_cpus(void);

/*
 * Before a process opens a postgresql:// store: its own password file,
 * [server] passfile for the public server, [signer] passfile for the
 * signer and every command, becomes PGPASSFILE for libpq (nothing when
 * unset).  Started as root, the two run as different users and libpq
 * ignores a password file anyone else may read, so each needs its own.
 */
void cli_store_passfile(const struct conf *c, int server);

/* Create DIR (if needed) with lancre.conf from c and a new, empty store. */
int cli_init_data_dir(const char *dir, const struct conf *c, struct err *e);

/* Subcommands. */
int cmd_init(int argc, char **argv);
int cmd_issuer(int argc, char **argv);
int cmd_cert(int argc, char **argv);
int cmd_cert_list(int argc, char **argv); /* `cert list`, reached through cmd_cert */
int cmd_revoke(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_urls(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_answer(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_admin(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_audit(int argc, char **argv);

/*
 * The first token of a new data directory (`lancre init`): CLI_FIRST_TOKEN,
 * every scope, recorded in s with its audit row (as actor); its text into
 * out (TOKEN_TEXT_LEN + 1 bytes, store/token.h).
 */
#define CLI_FIRST_TOKEN "admin"
#define CLI_FIRST_TOKEN_FILE PROC_LAYOUT_LEFT_ALONE /* proc/layout.h: never given the server's group */
int cli_token_first(struct store *s, const char *actor, char *out, struct err *e);

/* The signer's upkeep of DIR/public/, as ", rewrote N ..." parts of a summary line. */
void cli_print_public(size_t republished, size_t tmp_removed);
/* On stderr: a step of the signer found what it signed up to secs ahead of the clock. */
void cli_print_clock_step(const char *cmd, int64_t secs, int64_t responses);

#endif
