/*
 * cmd_sign.c - `lancre sign`: the signer, the only process that holds keys.
 *
 * Runs signer passes (signer_loop) every SIGNER_POLL_MS until SIGINT or SIGTERM,
 * which let the current batch finish and commit before exiting (SIGHUP reloads
 * lancre.conf between two passes, see cli_signer_loop); a failed pass
 * is logged and retried, not fatal.  With --once it signs everything due now
 * and exits, 1 on a failure.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/sandboxing.h"
#include "proc/drop.h"
#include "proc/procs.h"
#include "signer/signer.h"
#include "util/num.h"


static const char usage_text[] =
    "usage: lancre sign [-d DIR] [--once] [--threads N]\n\n"
    "Pre-sign an OCSP response for every unexpired certificate, and keep them\n"
    "fresh: new certificates are signed within a second of `lancre cert add`, a\n"
    "revocation is re-signed within a second, responses are refreshed when\n"
    "lancre.conf's [ocsp] refresh has passed, and those of certificates expired\n"
    "for a day are removed.  Runs until SIGINT or SIGTERM; SIGHUP reloads\n"
    "lancre.conf ([ocsp], [crl]) for the next pass.  A pass that fails (a\n"
    "full disk, a locked store, a key gone from its token) is logged and tried\n"
    "again after 1 s, then 2, 4... up to a minute; with --once it is an error.\n\n"
    "  --once        sign what is due now, then exit\n"
    "  --threads N   signing threads (default: one per CPU)\n";

static volatile sig_atomic_t stop, hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		hup = 1;
	else
		stop = 1;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
run(struct signer *sg, struct cli_dir *d, int once, struct err *e)
{
	struct signer_stats st = {0};
	double start = now_seconds(), secs;
	int64_t last_purge = 0;
	int rc;

	if (!once) {
		cli_signer_loop("sign", sg, d, &stop, &hup, 1, &st);
		return 0;
	}
	rc = signer_step(sg, (int64_t)time(NULL), &last_purge, &st, e);
	cli_signer_report("sign", sg, d); /* a hook that could not start, failed or not */
	if (rc != 0)
		return -1;
	if (st.key_failures > 0) /* said why above: the issuer it left out */
		return err_set(e, "%zu signatures failed; what they were for stays unsigned",
		    st.key_failures);
	secs = now_seconds() - start;
	if (st.clock_steps > 0)
		cli_print_clock_step("sign", st.clock_behind, st.future);
	printf("Signed %zu responses for %zu certificates in %.1f s (%.0f responses/s)",
	    st.responses, st.certs, secs, secs > 0 ? (double)st.responses / secs : 0.0);
	printf("; signed %zu CRLs", st.crls);
	if (st.purged > 0)
		printf("; removed %lld responses of expired certificates", (long long)st.purged);
	cli_print_public(st.republished, st.tmp_removed);
	printf(".\n");
	return 0;
}

int
cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"once", no_argument, NULL, 'o'},
	    {"threads", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const struct proc *p = proc_get(PROC_SIGNER);
	const char *dir = cli_default_dir();
	int ch, once = 0, threads = cli_cpus(), rc, lock;
	struct sigaction sa;
	struct signer *sg;
	struct cli_dir d;
	struct err e;

	cli_log_lines();
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'o':
			once = 1;
			break;
		case 't':
			if (num_parse_int(optarg, 1, SIGNER_THREADS_MAX, &threads) != 0)
				return cli_usage_error("sign", "--threads takes 1 to %d",
				    SIGNER_THREADS_MAX);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("sign", argv, ch);
		}
	}
	if (optind != argc)
		return cli_usage_error("sign", "unexpected argument '%s'", argv[optind]);
	/* The signer row of the process table (proc/procs.h), as `lancre run` starts it. */
	if (cli_dir_open_as(&d, dir, (p->opens & PROC_OPENS_STORE_WRITE) ? STORE_WRITE : STORE_READ,
		&e) != 0)
		return cli_fail("sign", &e);
	/* Keys will be in this process: no core file, no ptrace by our own user. */
	if ((p->opens & PROC_OPENS_KEYS) && proc_protect(&e) != 0) {
		cli_dir_close(&d);
		return cli_fail("sign", &e);
	}
	/* One signer per directory, --once included: two would sign everything twice. */
	lock = cli_lock_signer(&d, &e);
	sg = lock >= 0 ? cli_signer_new("sign", &d, threads, &e) : NULL;
	/* Keys loaded, store open and locked: narrow before the signing threads start. */
	cli_sandbox_trap_says("sign");
	if (sg != NULL && p->sandbox == PROC_SANDBOX_SIGNER &&
	    cli_sandbox_signer("sign", &d, sg, &e) != 0) {
		signer_free(sg);
		sg = NULL;
	}
	if (sg == NULL) {
		cli_dir_close(&d);
		return cli_fail("sign", &e);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL); /* reload lancre.conf, see cli_signer_loop() */
	rc = run(sg, &d, once, &e);
	signer_free(sg);
	cli_dir_close(&d);
	close(lock);
	return rc == 0 ? EXIT_OK : cli_fail("sign", &e);
}
