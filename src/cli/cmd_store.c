/*
 * cmd_store.c - `lancre store copy`: the data directory's store copied into
 * another store (another SQLite file, or a PostgreSQL database), resumable
 * and verified (store/copy.c does the work; this prints it).
 *
 * The copy runs under the signer's lock (DIR/sign.lock), so no signer of
 * DIR writes the source meanwhile; other writers (cert add, revoke) must be
 * stopped by the operator, and a change they make is caught by the
 * verification.  The target is opened as a new store first (STORE_CREATE:
 * a new SQLite file, or the schema in an empty PostgreSQL database) and,
 * when that fails because it exists, as an existing one, which copy_run
 * accepts only empty or holding a copy of this store in progress.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/copy.h"

static const char usage_text[] =
    "usage: lancre store copy [-d DIR] --to LOCATION\n\n"
    "copy: copy everything DIR's store holds into the store at LOCATION: issuers\n"
    "with their key references, certificates and revocations, signed OCSP\n"
    "responses, CRLs with their numbers, the signer's records and counters.\n"
    "Records keep their ids and sequence numbers: once lancre.conf's [store]\n"
    "store names LOCATION, nothing is signed again that was not due anyway, and\n"
    "the server serves the same responses and CRLs.\n"
    "  LOCATION  sqlite:NAME (a file in DIR), or\n"
    "            postgresql://[user@]host[:port]/dbname (an empty database; the\n"
    "            password in a password file: passfile= in the URL, PGPASSFILE or\n"
    "            ~/.pgpass)\n\n"
    "LOCATION must be new or empty, or hold a copy of this store that was\n"
    "interrupted: run the same command again and it goes on where it stopped.\n"
    "At the end every table is counted and checksummed on both sides; a\n"
    "difference fails the command.  Stop the signer and every writer of DIR\n"
    "first (the copy refuses to run beside a signer of DIR).\n";

struct progress {
	int tty;
	time_t last;
};

/* On a terminal, one line kept up to date (at most once a second). */
static void
on_progress(void *arg, enum copy_table t, int verifying, int64_t rows)
{
	struct progress *p = arg;
	time_t now = time(NULL);

	if (!p->tty || now == p->last)
		return;
	p->last = now;
	fprintf(stderr, "\r%s %s: %lld rows   ", verifying ? "verifying" : "copying",
	    copy_table_name(t), (long long)rows);
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
print_report(const struct copy_report *rep, const char *to, double secs)
{
	char d[2 * COPY_DIGEST_LEN + 1];
	int bad = copy_mismatch(rep);

	if (rep->was_done)
		printf("%s already holds a finished copy of this store; verified again in %.1f s:\n",
		    to, secs);
	else
		printf("%s %s in %.1f s, verified:\n", rep->resumed ? "Resumed the copy into"
									 : "Copied the store into",
		    to, secs);
	for (int t = 0; t < COPY_T_COUNT; t++) {
		hex(rep->src[t].digest, COPY_DIGEST_LEN, d);
		printf("  %-20s %10lld rows  sha256 %s", copy_table_name((enum copy_table)t),
		    (long long)rep->src[t].rows, d);
		if (rep->src[t].rows != rep->dst[t].rows ||
		    memcmp(rep->src[t].digest, rep->dst[t].digest, COPY_DIGEST_LEN) != 0) {
			hex(rep->dst[t].digest, COPY_DIGEST_LEN, d);
			printf("  DIFFERS: the copy has %lld rows, sha256 %s",
			    (long long)rep->dst[t].rows, d);
		}
		printf("\n");
	}
	if (bad < 0)
		printf("Counts and checksums match.  To use the copy, stop lancre, set\n"
		       "[store] store = %s in lancre.conf and start it again.\n", to);
}

/* The target: a new store, else an existing one (empty, or a copy in progress). */
static struct store *
open_target(const char *dir, const char *to, struct err *e)
{
	struct store *s = store_open(dir, to, STORE_CREATE, e);

	return s != NULL ? s : store_open(dir, to, STORE_WRITE, e);
}

static const char *
plain_location(const char *loc)
{
	return strncmp(loc, "sqlite:", 7) == 0 ? loc + 7 : loc;
}

static int
store_copy(const char *dir, const char *to)
{
	struct progress p = {.tty = isatty(STDERR_FILENO)};
	struct copy_report rep;
	struct timespec t0, t1;
	struct store *dst;
	struct cli_dir d;
	struct err e;
	int lock, rc;

	if (cli_dir_open(&d, dir, &e) != 0)
		return cli_fail("store copy", &e);
	if (strcmp(plain_location(d.conf.store), plain_location(to)) == 0) {
		cli_dir_close(&d);
		return cli_usage_error("store copy", "--to names the store %s already uses", dir);
	}
	if ((lock = cli_lock_signer(&d, &e)) < 0) {
		cli_dir_close(&d);
		return cli_fail("store copy", &e);
	}
	if ((dst = open_target(d.path, to, &e)) == NULL) {
		close(lock);
		cli_dir_close(&d);
		return cli_fail("store copy", &e);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = copy_run(d.store, dst, on_progress, &p, &rep, &e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (p.tty && p.last != 0)
		fprintf(stderr, "\r%60s\r", "");
	/* A verification that ran (a difference found) is shown before the error. */
	if (rc == 0 || copy_mismatch(&rep) >= 0)
		print_report(&rep, to,
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	store_close(dst);
	close(lock);
	cli_dir_close(&d);
	return rc == 0 ? EXIT_OK : cli_fail("store copy", &e);
}

int
cmd_store(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"to", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = cli_default_dir(), *to = NULL;
	int ch, rc;

	if ((rc = cli_subcommand(argc, argv, "store", "copy", usage_text, "subcommand", "")) >= 0)
		return rc;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("store copy", argv, ch);
		}
	}
	if (to == NULL || to[0] == '\0' || optind != argc)
		return cli_usage_error("store copy", "give --to LOCATION (and nothing else)");
	return store_copy(dir, to);
}
