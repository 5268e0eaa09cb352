/*
 * cli.c - see cli.h.
 */
#define _GNU_SOURCE 1
#include "cli/cli.h"

#include <getopt.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/addr.h"
#include "proc/drop.h"
#include "proc/layout.h"
#include "signer/signer.h"
#include "util/fsutil.h"
#include "util/lockfile.h"
#include "util/timefmt.h"

/* The running signer's log lines start with the UTC time. */
static void
log_stamp(FILE *f)
{
	char when[TIMEFMT_LEN];

	timefmt_format((int64_t)time(NULL), when, sizeof(when));
	fprintf(f, "%s ", when);
}

/* What the running signer's hooks need. */
struct signer_log {
	const char *cmd;
	struct cli_dir *d;
	volatile sig_atomic_t *reload;
	int log_passes;
};

/* SIGHUP: lancre.conf again, between two steps; the store cannot change under a running signer. */
static void
reload_settings(struct signer_log *l)
{
	char path[PATH_MAX + 32];
	struct conf c;
	struct err e;

	if (l->reload == NULL || !*l->reload)
		return;
	*l->reload = 0;
	if (fs_path(path, sizeof(path), &e, "%s/%s", l->d->path, CONF_FILE) != 0 ||
	    conf_load(path, &c, &e) != 0) {
		log_stamp(stderr);
		fprintf(stderr, "lancre %s: SIGHUP: %s; keeping the current settings\n", l->cmd,
		    e.msg);
		return;
	}
	if (strcmp(c.store, l->d->conf.store) != 0) {
		log_stamp(stderr);
		fprintf(stderr, "lancre %s: SIGHUP: a [store] change needs a restart\n", l->cmd);
		memcpy(c.store, l->d->conf.store, sizeof(c.store));
	}
	l->d->conf = c;
	log_stamp(stdout);
	printf("Settings reloaded from %s (signer: from the next pass)\n", path);
}

void
cli_print_public(size_t republished, size_t tmp_removed)
{
	if (republished > 0)
		printf(", rewrote %zu published file%s that differed from the store", republished,
		    republished == 1 ? "" : "s");
	if (tmp_removed > 0)
		printf(", removed %zu stale temporary file%s from public/", tmp_removed,
		    tmp_removed == 1 ? "" : "s");
}

static void
log_issuer(void *arg, const char *issuer, const char *why)
{
	struct signer_log *l = arg;

	log_stamp(stderr);
	if (why != NULL)
		fprintf(stderr, "lancre %s: cannot sign for issuer %s, signing for the others: %s\n",
		    l->cmd, issuer, why);
	else
		fprintf(stderr, "lancre %s: signing for issuer %s again\n", l->cmd, issuer);
}

/* Same lines as when the signer printed them itself: no time stamp. */
static void
log_hook(void *arg, int pid, int status, const char *why)
{
	struct signer_log *l = arg;

	if (why != NULL)
		fprintf(stderr, "lancre %s: cannot run the CRL hook: %s\n", l->cmd, why);
	else
		fprintf(stderr, "lancre %s: the CRL hook (pid %d) failed with status %d\n", l->cmd,
		    pid, status);
}

/* A certificate the signer would not sign good (defence in depth): one line each. */
static void
log_refused(void *arg, const char *issuer, const char *serial, const char *why, size_t dropped)
{
	struct signer_log *l = arg;

	log_stamp(stderr);
	fprintf(stderr, "lancre %s: refused to sign issuer %s serial %s: %s\n", l->cmd, issuer,
	    serial, why);
	if (dropped > 0) {
		log_stamp(stderr);
		fprintf(stderr, "lancre %s: and %zu more such refusals\n", l->cmd, dropped);
	}
}

void
cli_signer_report(const char *cmd, struct signer *sg, struct cli_dir *d)
{
	struct signer_log l = {.cmd = cmd, .d = d};
	struct signer_events ev = {.on_issuer = log_issuer, .on_hook = log_hook,
	    .on_refused = log_refused, .arg = &l};

	signer_report(sg, &ev);
}

struct signer *
cli_signer_new(const char *cmd, struct cli_dir *d, int threads, struct err *e)
{
	struct signer *sg = signer_new(d->store, &d->conf, d->path, threads, e);
	const char *why, *issuer, *delay = getenv(SIGNER_SIGN_DELAY_ENV);

	if (sg != NULL && (why = signer_template_warning(sg, &issuer)) != NULL)
		fprintf(stderr, "lancre %s: warning: issuer %s: OCSP responses built the slow way: %s\n",
		    cmd, issuer, why);
	if (sg != NULL && delay != NULL && delay[0] != '\0')
		signer_set_sign_delay_file(sg, delay); /* tests only: a slow HSM */
	if (sg != NULL)
		cli_signer_report(cmd, sg, d);
	return sg;
}

static void
log_pass(void *arg, const struct signer_stats *before, const struct signer_stats *after)
{
	struct signer_log *l = arg;
	size_t dropped;

	reload_settings(l);
	if (!l->log_passes)
		return;
	if (after->certs == before->certs && after->purged == before->purged &&
	    after->crls == before->crls && after->republished == before->republished &&
	    after->tmp_removed == before->tmp_removed && after->signatures == before->signatures)
		return;
	log_stamp(stdout);
	printf("signed %zu responses for %zu certificates",
	    after->responses - before->responses, after->certs - before->certs);
	dropped = (after->signatures - before->signatures) - (after->responses - before->responses);
	if (after->signatures - before->signatures > after->responses - before->responses)
		printf(", %zu responses signed but not written (their units were another signer's"
		       " by then)", dropped);
	if (after->crls != before->crls)
		printf(", %zu CRLs", after->crls - before->crls);
	if (after->purged != before->purged)
		printf(", removed %lld responses of expired certificates",
		    (long long)(after->purged - before->purged));
	cli_print_public(after->republished - before->republished,
	    after->tmp_removed - before->tmp_removed);
	printf("\n");
	fflush(stdout);
}

static void
log_error(void *arg, const struct err *e, int retry_secs)
{
	struct signer_log *l = arg;

	log_stamp(stderr);
	fprintf(stderr, "lancre %s: %s; trying again in %d s\n", l->cmd, e->msg, retry_secs);
	reload_settings(l);
}

static void
log_recover(void *arg, int failures)
{
	struct signer_log *l = arg;

	log_stamp(stderr);
	fprintf(stderr, "lancre %s: working again after %d failed tr%s\n", l->cmd, failures,
	    failures == 1 ? "y" : "ies");
}

void
cli_print_clock_step(const char *cmd, int64_t secs, int64_t responses)
{
	fprintf(stderr, "lancre %s: the clock went back: what was signed up to %lld s ahead of it "
			"(%lld OCSP responses, and CRLs) is re-signed now\n",
	    cmd, (long long)secs, (long long)responses);
}

static void
log_clock_step(void *arg, int64_t secs, int64_t responses)
{
	struct signer_log *l = arg;

	log_stamp(stderr);
	cli_print_clock_step(l->cmd, secs, responses);
}

void
cli_signer_loop(const char *cmd, struct signer *sg, struct cli_dir *d,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *reload, int log_passes,
    struct signer_stats *st)
{
	struct signer_log l = {cmd, d, reload, log_passes};
	struct signer_events ev = {.on_pass = log_pass, .on_error = log_error,
	    .on_recover = log_recover, .on_issuer = log_issuer, .on_clock_step = log_clock_step,
	    .on_hook = log_hook, .on_refused = log_refused, .arg = &l};

	signer_loop(sg, stop, &ev, st);
}

int
cli_lock_signer(const struct cli_dir *d, struct err *e)
{
	char path[PATH_MAX + 32], what[PATH_MAX + 32];

	if (fs_path(path, sizeof(path), e, "%s/%s", d->path, CLI_SIGNER_LOCK) != 0)
		return -1;
	snprintf(what, sizeof(what), "a signer for %s", d->path);
	return lockfile_take(path, what, e);
}

const char *
cli_default_dir(void)
{
	const char *d = getenv("LANCRE_DIR");

	return d != NULL && d[0] != '\0' ? d : ".";
}

int
cli_dir_open(struct cli_dir *d, const char *dir, struct err *e)
{
	return cli_dir_open_as(d, dir, STORE_WRITE, e);
}

int
cli_become_signer(const struct cli_dir *d, struct err *e)
{
	struct proc_users u;

	if (geteuid() != 0)
		return 0;
	if (proc_users_resolve(&d->conf, &u, e) != 0 ||
	    proc_layout_check(d->path, d->conf.store, &u, e) != 0)
		return -1;
	return proc_become(&u.signer, e);
}

void
cli_store_passfile(const struct conf *c, int server)
{
	const char *f = server ? c->server_passfile : c->signer_passfile;

	if (f[0] != '\0')
		setenv("PGPASSFILE", f, 1);
}

void
cli_actor(char *out, size_t len)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL)
		snprintf(out, len, "cli:%s", pw->pw_name);
	else
		snprintf(out, len, "cli:%lu", (unsigned long)getuid());
}

int
cli_audit(struct cli_dir *d, const char *action, int64_t issuer_id, const uint8_t *serial,
    size_t serial_len, const char *detail, struct err *e)
{
	struct audit_event ev = {.at = (int64_t)time(NULL), .actor = d->actor, .origin = "cli",
	    .action = action, .issuer_id = issuer_id, .serial = serial, .serial_len = serial_len,
	    .detail = detail};

	return store_audit_append(d->store, &ev, e);
}

/* lancre.conf of dir, and its store in mode; as [signer] user first if become_signer. */
static int
dir_open(struct cli_dir *d, const char *dir, enum store_mode mode, int become_signer,
    struct err *e)
{
	char conf[PATH_MAX + 32];

	memset(d, 0, sizeof(*d));
	cli_actor(d->actor, sizeof(d->actor)); /* before becoming the signer's user */
	if (fs_path(d->path, sizeof(d->path), e, "%s", dir) != 0 ||
	    fs_path(conf, sizeof(conf), e, "%s/%s", dir, CONF_FILE) != 0)
		return -1;
	if (fs_exists(dir) && !fs_is_dir(dir))
		return err_set(e, "%s is not a directory (-d takes a lancre data directory)", dir);
	if (!fs_exists(conf))
		return err_set(e, "%s is not a lancre data directory (no %s; create one with "
				  "`lancre init -d %s`)", dir, CONF_FILE, dir);
	if (conf_load(conf, &d->conf, e) != 0)
		return -1;
	/* Whatever the command creates (WAL, public/ files) then belongs to the signer. */
	if (become_signer && cli_become_signer(d, e) != 0)
		return -1;
	cli_store_passfile(&d->conf, 0);
	d->store = store_open(dir, d->conf.store, mode, e);
	if (d->store == NULL)
		return -1;
	/* Told once: the open that upgraded the store is the only one that has it. */
	if (store_notice(d->store) != NULL)
		fprintf(stderr, "lancre: notice: %s\n", store_notice(d->store));
	return 0;
}

int
cli_dir_open_as(struct cli_dir *d, const char *dir, enum store_mode mode, struct err *e)
{
	return dir_open(d, dir, mode, mode != STORE_READ, e);
}

int
cli_dir_open_keep_user(struct cli_dir *d, const char *dir, enum store_mode mode, struct err *e)
{
	return dir_open(d, dir, mode, 0, e);
}

void
cli_dir_close(struct cli_dir *d)
{
	store_close(d->store);
	d->store = NULL;
}

int
cli_fail(const char *cmd, const struct err *e)
{
	fprintf(stderr, "lancre %s: %s\n", cmd, e->msg);
	return EXIT_FAIL;
}

int
cli_bad_option(const char *cmd, char *const argv[], int ch)
{
	const char *arg = argv[optind - 1];
	int is_long = strncmp(arg, "--", 2) == 0;

	if (ch == ':' && is_long)
		return cli_usage_error(cmd, "option '%s' needs a value", arg);
	if (ch == ':')
		return cli_usage_error(cmd, "option '-%c' needs a value", optopt);
	if (is_long && optopt != 0) /* a known flag given "=value" */
		return cli_usage_error(cmd, "option '%s' takes no value", arg);
	if (is_long)
		return cli_usage_error(cmd, "unknown option '%s'", arg);
	return cli_usage_error(cmd, "unknown option '-%c'", optopt);
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lancre %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'lancre %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int
cli_subcommand(int argc, char **argv, const char *cmd, const char *sub, const char *usage,
    const char *kind, const char *hint)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc >= 2 && strcmp(argv[1], sub) == 0)
		return -1;
	if (argc >= 2)
		return cli_usage_error(cmd, "unknown %s '%s'%s", kind, argv[1], hint);
	fputs(usage, stderr);
	return EXIT_USAGE;
}

void
cli_log_lines(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	setvbuf(stderr, NULL, _IOLBF, 0);
}

int
cli_check_listen(const char *cmd, const char *flag, const char *value)
{
	struct err e;

	if (value == NULL || addr_check_listen(value, &e) == 0)
		return 0;
	return cli_usage_error(cmd, "%s: %s", flag, e.msg);
}

int
cli_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}
