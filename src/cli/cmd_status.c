/*
 * cmd_status.c - `lancre status`: what lancre knows about one certificate.
 *
 * Output is "key: value" lines, one block per match, so that both people and
 * scripts can read it; `status:` is always good, revoked or unknown (the
 * record), and `ocsp:` what the server answers and why (ocsp/expect.h):
 * an expired certificate recorded as good is answered unauthorized.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/api_cmds.h"
#include "cli/lookup.h"
#include "ocsp/expect.h"
#include "pki/cert.h"
#include "pki/reason.h"
#include "pki/serial.h"
#include "signer/signer.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

static const char usage_text[] =
    "usage: lancre status [-d DIR] [--issuer NAME] CERTFILE|SERIAL\n"
    "       lancre status --api URL --token-file F [--issuer NAME] CERTFILE|SERIAL\n\n"
    "Show what lancre has recorded for a certificate, given as a file (PEM or DER)\n"
    "or as a hex serial number (searched under every issuer unless --issuer).\n"
    "Prints issuer, serial, validity, status (good, revoked, or unknown when lancre\n"
    "never saw it), what the OCSP server answers and why (ocsp: unauthorized for a\n"
    "certificate expired past the grace period or not signed yet), revocation time\n"
    "and reason, and CRL shard.\n\n"
    API_CMDS_HELP("read");

/* The mark of rec's unit (issuer, CRL shard), when several signers lease the work. */
struct unit_mark {
	const struct cert_record *rec;
	struct store_cursor at;
	int found;
};

static int
unit_row(void *arg, const struct store_lease *l, struct err *e)
{
	struct unit_mark *m = arg;

	(void)e;
	if (l->issuer_id == m->rec->issuer_id && l->shard == m->rec->shard) {
		m->at = l->upto.at;
		m->found = 1;
	}
	return 0;
}

/*
 * The signer has written responses for rec's last change: the single
 * signer's mark (store_signed_upto) has passed it, or the mark of its unit,
 * which each of several signers keeps for the units it leases (store.h).
 */
static int
signed_yet(struct store *s, const struct store_signed_upto *u, const struct cert_record *rec)
{
	struct unit_mark m = {rec, {{0}}, 0};
	struct err e;

	if (store_cursor_passed(s, &u->at, rec))
		return 1;
	if (store_lease_each(s, (int64_t)time(NULL), unit_row, &m, &e) != 0)
		return 0; /* a store whose leases this user may not read: the single mark only */
	return m.found && store_cursor_passed(s, &m.at, rec);
}

/* "ocsp: ANSWER (WHY)": what the server answers, which the record alone does not say. */
static void
print_ocsp(struct store *s, const struct cert_record *rec, const struct store_signed_upto *u)
{
	const char *answer;
	char why[256];

	ocsp_expect(&(struct ocsp_expect_in){rec, rec != NULL && signed_yet(s, u, rec),
			(int64_t)time(NULL), SIGNER_EXPIRED_GRACE},
	    &answer, why, sizeof(why));
	printf("ocsp: %s (%s)\n", answer, why);
}

static void
print_match(struct store *s, const struct lookup_match *m, const struct store_signed_upto *u)
{
	char subject[256], serial[SERIAL_HEX_MAX], t[TIMEFMT_LEN];

	cert_name_line(X509_get_subject_name(m->issuer->cert), subject, sizeof(subject));
	serial_to_hex(m->rec.serial, m->rec.serial_len, serial, sizeof(serial));
	printf("issuer: %s (%s)\n", m->issuer->rec.name, subject);
	printf("serial: %s\n", serial);
	timefmt_format(m->rec.not_before, t, sizeof(t));
	printf("not before: %s\n", t);
	timefmt_format(m->rec.not_after, t, sizeof(t));
	printf("not after: %s\n", t);
	if (!m->found) {
		printf("status: unknown\n");
		print_ocsp(s, NULL, u);
		return;
	}
	printf("status: %s\n", m->rec.status == CERT_REVOKED ? "revoked" : "good");
	if (m->rec.precert)
		printf("recorded: a precertificate only (its final certificate completes the record)\n");
	print_ocsp(s, &m->rec, u);
	if (m->rec.status == CERT_REVOKED) {
		timefmt_format(m->rec.revoked_at, t, sizeof(t));
		printf("revoked at: %s\n", t);
		printf("reason: %s\n", reason_name(m->rec.reason));
	}
	printf("crl shard: %d\n", m->rec.shard);
}

static int
status(struct cli_dir *d, const char *issuer, const char *what, struct err *e)
{
	struct issuer_set set;
	struct lookup_match m[LOOKUP_MAX_MATCHES];
	struct store_signed_upto u;
	size_t n = 0;
	int rc;

	if (store_signed_upto_get(d->store, &u, e) != 0 || issuer_set_load(d->store, &set, e) != 0)
		return -1;
	if (fs_exists(what) || strcmp(what, "-") == 0) {
		rc = lookup_by_file(d, &set, what, &m[0], e);
		n = rc == 0;
	} else {
		rc = lookup_by_serial(d, &set, issuer, what, m, &n, e);
		if (rc == 0 && n == 0) {
			char serial[SERIAL_HEX_MAX];
			snprintf(serial, sizeof(serial), "%s", what);
			printf("serial: %s\nstatus: unknown\n", serial);
			print_ocsp(d->store, NULL, &u);
		}
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (i > 0)
			putchar('\n');
		print_match(d->store, &m[i], &u);
	}
	issuer_set_free(&set);
	return rc;
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},
	    {"issuer", required_argument, NULL, 'i'},
	    API_CMDS_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = cli_default_dir(), *issuer = NULL;
	struct api_opts ao = {0};
	int dir_given = 0;
	struct cli_dir d;
	struct err e;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			dir_given = 1;
			break;
		case 'i':
			issuer = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			if ((rc = cli_api_option("status", ch, optarg, &ao)) < 0)
				return cli_bad_option("status", argv, ch);
			if (rc > 0)
				return rc;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("status", "give one CERTFILE or SERIAL");
	if (!fs_exists(argv[optind]) && strcmp(argv[optind], "-") != 0 &&
	    lookup_check_serial(argv[optind], &e) != 0)
		return cli_usage_error("status", "no such file, and %s", e.msg);
	if ((rc = cli_api_options("status", &ao, dir_given)) != 0)
		return rc;
	if (ao.url != NULL)
		return api_cmd_status(&ao, issuer, argv[optind]);
	if (cli_dir_open_as(&d, dir, STORE_READ, &e) != 0)
		return cli_fail("status", &e);
	rc = status(&d, issuer, argv[optind], &e);
	cli_dir_close(&d);
	return rc == 0 ? EXIT_OK : cli_fail("status", &e);
}
