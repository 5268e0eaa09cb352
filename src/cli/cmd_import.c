/*
 * cmd_import.c - `lancre import openssl-ca`: what a CA run with plain
 * `openssl ca` issued and revoked, taken from its index.txt and newcerts/
 * (import/openssl_ca.h says what each line becomes).
 *
 * One run is one transaction, printed only once committed.  --follow runs
 * the import again each time index.txt changes, until SIGINT or SIGTERM
 * (exit 0).  It polls the file's identity (device, inode, size, mtime) every
 * IMPORT_POLL_MS instead of using inotify: `openssl ca` replaces index.txt by
 * renaming a new file over it, which an inotify watch on the old inode would
 * not see, and a poll needs no watch to re-arm.  While following, a refused
 * import is reported and the next change tried: the CA's operator fixes the
 * file without restarting lancre.
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/lookup.h"
#include "import/openssl_ca.h"
#include "pki/reason.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

#define IMPORT_INDEX_MAX ((size_t)1 << 30) /* index.txt: ~7 million lines */
#define IMPORT_POLL_MS 200                /* --follow: how often index.txt is looked at */

static const char usage_text[] =
    "usage: lancre import openssl-ca [-d DIR] --issuer NAME [--newcerts DIR]\n"
    "                                [--allow-foreign-urls] [--follow] CADIR|INDEX\n\n"
    "Record what `openssl ca` issued and revoked: each line of its index.txt\n"
    "(CADIR/index.txt, or the file INDEX) and each certificate in its newcerts\n"
    "directory (CADIR/newcerts, or next to INDEX), as `cert add` and `revoke` would.\n"
    "Run it again at any time: it takes only what changed.  All or nothing: a line\n"
    "lancre refuses, anywhere, and nothing is imported.\n\n"
    "  --issuer NAME         the registered issuer (`lancre issuer add`) that is the\n"
    "                        CA's certificate\n"
    "  --newcerts DIR        where <SERIAL>.pem are (openssl's new_certs_dir)\n"
    "  --allow-foreign-urls  record certificates naming URLs lancre does not serve\n"
    "  --follow              keep watching index.txt and import each change, until\n"
    "                        SIGINT or SIGTERM\n\n"
    "Reasons are openssl's (keyTime: keyCompromise, CAkeyTime: cACompromise, dated\n"
    "when the key was compromised).  Refused: certificateHold and removeFromCRL\n"
    "(BR 7.2.2; lancre's revocations are final), a valid line for a certificate\n"
    "lancre has revoked.  Expired certificates are recorded (and never signed for).\n";

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct import_args {
	const char *issuer, *newcerts;
	char index[PATH_MAX], newcerts_buf[PATH_MAX];
	int allow_foreign, follow;
};

/* CADIR or INDEX: where index.txt and newcerts/ are. */
static int
locate(struct import_args *a, const char *arg, struct err *e)
{
	const char *slash;

	if (fs_is_dir(arg)) {
		if (fs_path(a->index, sizeof(a->index), e, "%s/index.txt", arg) != 0)
			return -1;
		if (a->newcerts == NULL &&
		    fs_path(a->newcerts_buf, sizeof(a->newcerts_buf), e, "%s/newcerts", arg) != 0)
			return -1;
	} else {
		if (fs_path(a->index, sizeof(a->index), e, "%s", arg) != 0)
			return -1;
		slash = strrchr(arg, '/');
		if (a->newcerts == NULL &&
		    fs_path(a->newcerts_buf, sizeof(a->newcerts_buf), e, "%.*s/newcerts",
			slash ? (int)(slash - arg) : 1, slash ? arg : ".") != 0)
			return -1;
	}
	if (a->newcerts == NULL)
		a->newcerts = a->newcerts_buf;
	return 0;
}

static void
report(const struct import_args *a, const struct openssl_ca_import *im)
{
	char when[TIMEFMT_LEN];

	for (size_t i = 0; i < im->nchanges; i++) {
		const struct openssl_ca_change *c = &im->changes[i];

		if (!c->revoked)
			continue;
		timefmt_format(c->at, when, sizeof(when));
		printf("Revoked %s serial %s at %s (%s).\n", im->issuer->rec.name, c->serial_hex,
		    when, reason_name(c->reason));
	}
	printf("%s: %zu lines: %zu certificates recorded (%zu expired), %zu revoked, "
	       "%zu unchanged.\n",
	    a->index, im->entries, im->added, im->expired, im->revoked, im->unchanged);
	fflush(stdout);
}

/* One import of index.txt as it is now; errors printed, as `lancre import: FILE:LINE: ...`. */
static int
import_once(struct cli_dir *d, const struct issuer_set *set, const struct issuer *is,
    const struct import_args *a)
{
	struct openssl_ca_import im = {0};
	uint8_t *data;
	size_t len;
	struct err e;
	int rc;

	if (fs_read_all(a->index, IMPORT_INDEX_MAX, &data, &len, &e) != 0)
		return cli_fail("import", &e);
	im.store = d->store;
	im.conf = &d->conf;
	im.issuers = set;
	im.issuer = is;
	im.newcerts = a->newcerts;
	im.allow_foreign_urls = a->allow_foreign;
	im.threads = cli_cpus();
	im.now = (int64_t)time(NULL);
	im.actor = d->actor;
	im.origin = "cli";
	rc = openssl_ca_import(&im, (const char *)data, len, &e);
	free(data);
	if (rc == 0)
		report(a, &im);
	else if (im.err_line > 0)
		fprintf(stderr, "lancre import: %s:%zu: %s (nothing imported)\n", a->index,
		    im.err_line, e.msg);
	else
		fprintf(stderr, "lancre import: %s: %s (nothing imported)\n", a->index, e.msg);
	openssl_ca_import_free(&im);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

/* Whether index.txt is another file, or was written, since *last (updated). */
static int
index_changed(const char *path, struct stat *last)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return 0; /* between openssl's two renames: look again next time */
	if (sb.st_dev == last->st_dev && sb.st_ino == last->st_ino && sb.st_size == last->st_size &&
	    sb.st_mtim.tv_sec == last->st_mtim.tv_sec && sb.st_mtim.tv_nsec == last->st_mtim.tv_nsec)
		return 0;
	*last = sb;
	return 1;
}

static int
follow(struct cli_dir *d, const struct issuer_set *set, const struct issuer *is,
    const struct import_args *a)
{
	struct timespec nap = {0, IMPORT_POLL_MS * 1000000L};
	struct sigaction sa;
	struct stat last = {0};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: the nap ends at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	cli_log_lines();
	while (!stop) {
		if (index_changed(a->index, &last))
			(void)import_once(d, set, is, a); /* a refusal is said; the next change is tried */
		nanosleep(&nap, NULL);
	}
	return EXIT_OK;
}

static int
run_import(const char *dir, const struct import_args *a)
{
	struct issuer_set set = {0};
	const struct issuer *is;
	struct cli_dir d;
	struct err e;
	int rc;

	if (cli_dir_open(&d, dir, &e) != 0)
		return cli_fail("import", &e);
	if (issuer_set_load(d.store, &set, &e) != 0 || (is = lookup_issuer(&set, a->issuer, &e)) == NULL) {
		rc = cli_fail("import", &e);
	} else if (a->follow) {
		rc = follow(&d, &set, is, a);
	} else {
		rc = import_once(&d, &set, is, a);
	}
	issuer_set_free(&set);
	cli_dir_close(&d);
	return rc;
}

int
cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"issuer", required_argument, NULL, 'i'},
	    {"newcerts", required_argument, NULL, 'n'},
	    {"allow-foreign-urls", no_argument, NULL, 'F'},
	    {"follow", no_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct import_args a = {0};
	const char *dir = cli_default_dir();
	struct err e;
	int ch, rc;

	if ((rc = cli_subcommand(argc, argv, "import", "openssl-ca", usage_text, "source", " (openssl-ca)")) >= 0)
		return rc;
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'i':
			a.issuer = optarg;
			break;
		case 'n':
			a.newcerts = optarg;
			break;
		case 'F':
			a.allow_foreign = 1;
			break;
		case 'f':
			a.follow = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("import", argv, ch);
		}
	}
	if (a.issuer == NULL)
		return cli_usage_error("import", "give --issuer NAME: the CA that openssl ca signs with");
	if (argc - optind != 1)
		return cli_usage_error("import", "give one CADIR (or the path of its index.txt)");
	if (locate(&a, argv[optind], &e) != 0)
		return cli_usage_error("import", "%s", e.msg);
	return run_import(dir, &a);
}
