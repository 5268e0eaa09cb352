/*
 * cmd_cert_list.c - `lancre cert list`: the recorded certificates, or the
 * revocations, as a table or as JSON.
 *
 * Streamed: each row goes out as the store reads it (store_cert_each), so a
 * million certificates take one row of memory and the first line appears at
 * once.  The JSON form is one array of objects written the same way, the
 * comma before each object but the first.  Nothing in a row needs JSON
 * escaping: serials are hex, issuer names DNS labels, times RFC 3339.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "pki/reason.h"
#include "pki/serial.h"
#include "util/timefmt.h"

static const char list_usage[] =
    "usage: lancre cert list [-d DIR] [--issuer NAME] [--revoked] [--json]\n\n"
    "List the recorded certificates, in the order they were recorded: serial,\n"
    "issuer, notAfter, status (good, revoked, or expired: past notAfter, OCSP\n"
    "answers unauthorized once the grace period is over), and for revoked ones the\n"
    "revocation time and reason; a serial for which only a precertificate is\n"
    "recorded so far (RFC 6962) ends with \"(precertificate only)\".\n\n"
    "  --issuer NAME  only this issuer's certificates\n"
    "  --revoked      only revoked certificates: the revocations\n"
    "  --json         a JSON array of objects (serial, issuer, not_before,\n"
    "                 not_after, status, and revoked_at and reason when revoked,\n"
    "                 precert: true for a precertificate only)\n";

struct lister {
	struct issuer_record *issuers;
	size_t nissuers;
	int json;
	size_t rows;
	int64_t now;
};

static const char *
issuer_name(const struct lister *l, int64_t id)
{
	for (size_t i = 0; i < l->nissuers; i++) {
		if (l->issuers[i].id == id)
			return l->issuers[i].name;
	}
	return "?";
}

static int
print_row(void *arg, const struct cert_record *c, struct err *e)
{
	struct lister *l = arg;
	char serial[SERIAL_HEX_MAX], nb[TIMEFMT_LEN], na[TIMEFMT_LEN], at[TIMEFMT_LEN];
	const char *status = c->status == CERT_REVOKED ? "revoked"
			     : c->not_after <= l->now  ? "expired"
							: "good";

	serial_to_hex(c->serial, c->serial_len, serial, sizeof(serial));
	timefmt_format(c->not_before, nb, sizeof(nb));
	timefmt_format(c->not_after, na, sizeof(na));
	timefmt_format(c->revoked_at, at, sizeof(at));
	if (l->json) {
		printf("%s\n  {\"serial\": \"%s\", \"issuer\": \"%s\", \"not_before\": \"%s\", "
		       "\"not_after\": \"%s\", \"status\": \"%s\"",
		    l->rows == 0 ? "" : ",", serial, issuer_name(l, c->issuer_id), nb, na, status);
		if (c->status == CERT_REVOKED)
			printf(", \"revoked_at\": \"%s\", \"reason\": \"%s\"", at,
			    reason_name(c->reason));
		if (c->precert)
			printf(", \"precert\": true");
		putchar('}');
	} else if (c->status == CERT_REVOKED) {
		printf("%s %s %s %s %s %s%s\n", serial, issuer_name(l, c->issuer_id), na, status, at,
		    reason_name(c->reason), c->precert ? " (precertificate only)" : "");
	} else {
		printf("%s %s %s %s%s\n", serial, issuer_name(l, c->issuer_id), na, status,
		    c->precert ? " (precertificate only)" : "");
	}
	l->rows++;
	if (ferror(stdout))
		return err_set(e, "writing the list: %s", "output error");
	return 0;
}

static int
cert_list(struct cli_dir *d, const char *issuer, int revoked, int json, struct err *e)
{
	struct lister l = {.json = json, .now = (int64_t)time(NULL)};
	int64_t issuer_id = 0;
	int rc;

	if (store_issuer_list(d->store, &l.issuers, &l.nissuers, e) != 0)
		return -1;
	for (size_t i = 0; issuer != NULL && i < l.nissuers; i++) {
		if (strcmp(l.issuers[i].name, issuer) == 0)
			issuer_id = l.issuers[i].id;
	}
	if (issuer != NULL && issuer_id == 0) {
		issuer_records_free(l.issuers, l.nissuers);
		return err_set(e, "no issuer named '%s' (see `lancre issuer list`)", issuer);
	}
	if (json)
		putchar('[');
	else
		printf("SERIAL ISSUER NOT_AFTER STATUS%s\n", revoked ? " REVOKED_AT REASON" : "");
	rc = store_cert_each(d->store, issuer_id, revoked, print_row, &l, e);
	if (json)
		printf("%s]\n", l.rows ? "\n" : "");
	if (rc == 0 && fflush(stdout) != 0)
		rc = err_set(e, "writing the list: output error");
	issuer_records_free(l.issuers, l.nissuers);
	return rc;
}

int
cmd_cert_list(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},   {"issuer", required_argument, NULL, 'i'},
	    {"revoked", no_argument, NULL, 'r'},     {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	const char *dir = cli_default_dir(), *issuer = NULL;
	struct cli_dir d;
	struct err e;
	int ch, revoked = 0, json = 0, rc;

	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 'i':
			issuer = optarg;
			break;
		case 'r':
			revoked = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			fputs(list_usage, stdout);
			return EXIT_OK;
		default:
			return cli_bad_option("cert", argv, ch);
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "list") != 0)
		return cli_usage_error("cert", "list takes no arguments but options");
	if (cli_dir_open_as(&d, dir, STORE_READ, &e) != 0) /* lists only: read-only */
		return cli_fail("cert", &e);
	rc = cert_list(&d, issuer, revoked, json, &e);
	cli_dir_close(&d);
	return rc == 0 ? EXIT_OK : cli_fail("cert", &e);
}
