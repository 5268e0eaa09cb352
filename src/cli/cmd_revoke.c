/*
 * cmd_revoke.c - `lancre revoke`: record revocations.
 *
 * Several serials given at once are one transaction: if any of them is
 * refused (unknown, already revoked, bad date), none is recorded, so a
 * script can fix its input and run the same command again.  What was revoked
 * is printed after the commit, never before: a line on stdout is a fact.  A
 * certificate named twice (the same serial, or 01 and 0x01) is revoked once.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/api_cmds.h"
#include "cli/lookup.h"
#include "intake/bykey.h"
#include "intake/intake.h"
#include "intake/revoke.h"
#include "pki/cert.h"
#include "pki/reason.h"
#include "pki/serial.h"
#include "pki/spki.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

#define REVOKE_SERIALS_MAX 4096
#define REVOKE_FILE_MAX (1 << 20) /* a certificate file, as lookup.c reads it */

static const char usage_text[] =
    "usage: lancre revoke [-d DIR] [--reason NAME] [--date TIME] CERTFILE\n"
    "       lancre revoke [-d DIR] [--reason NAME] [--date TIME] --issuer NAME\n"
    "                     --serial HEX [--serial HEX ...]\n"
    "       lancre revoke [-d DIR] [--date TIME] --by-key KEYFILE\n"
    "       lancre revoke --api URL --token-file F [--wait] ... (the same, through\n"
    "                     the API)\n\n"
    "Revoke certificates.  A running server publishes the change: OCSP within\n"
    "seconds, the CRL within lancre.conf's [crl] delay.  A CERTFILE that lancre\n"
    "has not recorded yet is recorded and revoked in one step (its issuer must be\n"
    "registered; the checks of `lancre cert add` apply).\n\n"
    "  --reason NAME  RFC 5280 reason: unspecified (default), keyCompromise,\n"
    "                 superseded, cessationOfOperation, affiliationChanged,\n"
    "                 privilegeWithdrawn; cACompromise for a CA certificate (an\n"
    "                 intermediate recorded under its root).  certificateHold is not\n"
    "                 allowed (BR 7.2.2).\n"
    "  --date TIME    when it was revoked, RFC 3339 (default: now); not in the\n"
    "                 future (5 minutes of clock skew allowed), not before the\n"
    "                 certificate's notBefore unless it is not yet valid\n"
    "  --issuer NAME --serial HEX   revoke by serial without the certificate file\n"
    "  --by-key KEYFILE  a compromised key: every certificate recorded with it, of\n"
    "                 every issuer, is revoked keyCompromise.  KEYFILE: its public\n"
    "                 key or one of its certificates, PEM or DER.  --date: when the\n"
    "                 key is known to be compromised (a certificate issued later is\n"
    "                 revoked at its notBefore).  Those revoked keyCompromise already\n"
    "                 are left as they are; certificates recorded before lancre kept\n"
    "                 key hashes (schema 10) cannot be found, and a warning counts them.\n\n"
    "A revocation is final.  Revoking again is refused, except with keyCompromise,\n"
    "which replaces the reason and may move the date earlier.\n\n"
    API_CMDS_HELP("revoke")
    API_CMDS_WAIT_HELP
    "\nA CERTFILE lancre has not recorded is recorded first over the API, in a request\n"
    "of its own (scope intake too).\n";

struct revoke_args {
	const char *issuer, *file, *key_file;
	int has_date;
	const char *serials[REVOKE_SERIALS_MAX];
	size_t nserials;
	int reason;
	int64_t date;
};

/* One revocation decided inside the transaction, printed only once it is committed. */
struct revoke_done {
	int64_t id; /* the certificate's row: the same certificate named twice is revoked once */
	const char *issuer;
	char serial[SERIAL_HEX_MAX];
	int64_t at;
	int reason;
	int recorded; /* the file's certificate was recorded first, in the same transaction */
};

struct revoke_log {
	struct revoke_done *v;
	size_t n;
};

static void
report(const struct revoke_log *log)
{
	char when[TIMEFMT_LEN];

	for (size_t i = 0; i < log->n; i++) {
		if (log->v[i].recorded)
			printf("Recorded %s serial %s (it was not recorded yet).\n", log->v[i].issuer,
			    log->v[i].serial);
		timefmt_format(log->v[i].at, when, sizeof(when));
		printf("Revoked %s serial %s at %s (%s).\n", log->v[i].issuer, log->v[i].serial,
		    when, reason_name(log->v[i].reason));
	}
}

/* Revoke one matched certificate inside the open transaction; log it for report(). */
static int
revoke_one(struct cli_dir *d, const struct lookup_match *m, const struct revoke_args *a,
    int64_t now, struct revoke_log *log, struct err *e)
{
	struct revoke_done *r = &log->v[log->n];
	char detail[REVOKE_DETAIL_MAX];

	serial_to_hex(m->rec.serial, m->rec.serial_len, r->serial, sizeof(r->serial));
	if (!m->found)
		return err_set(e, "%s serial %s: lancre has no record of this certificate "
				  "(add it with `lancre cert add`)", m->issuer->rec.name, r->serial);
	for (size_t i = 0; i < log->n; i++) {
		if (log->v[i].id == m->rec.id)
			return 0; /* named twice (01 and 0x01 too): one revocation */
	}
	if (revoke_apply(d->store, &m->rec, a->date, a->reason, now, &r->at, &r->reason, e) != 0)
		return err_prefix(e, "%s serial %s", m->issuer->rec.name, r->serial);
	/* The audit trail's row, in the same transaction. */
	revoke_detail(&m->rec, r->at, r->reason, detail, sizeof(detail));
	if (cli_audit(d, "cert.revoke", m->rec.issuer_id, m->rec.serial, m->rec.serial_len, detail,
		e) != 0)
		return -1;
	r->id = m->rec.id;
	r->issuer = m->issuer->rec.name;
	log->n++;
	return 0;
}

/*
 * The certificate in path, which lancre has not recorded: record it now,
 * with every check `cert add` makes (its issuer must be registered), so that
 * it can be revoked in the same transaction.
 */
static int
record_file(struct cli_dir *d, const struct issuer_set *set, const char *path, int64_t now,
    struct lookup_match *m, struct err *e)
{
	struct intake in;
	unsigned char *der = NULL;
	int derlen, rc;

	if (cert_file_der(path, REVOKE_FILE_MAX, &der, &derlen, NULL, e) != 0)
		return -1;
	intake_init(&in);
	in.store = d->store;
	in.conf = &d->conf;
	in.issuers = set;
	in.now = now;
	in.actor = d->actor;
	in.origin = "cli";
	rc = intake_record_one(&in, der, (size_t)derlen, &m->rec, e);
	intake_free(&in);
	OPENSSL_free(der);
	if (rc != 0)
		return err_prefix(e, "%s", path);
	m->found = 1;
	return 0;
}

static int
revoke_in_tx(struct cli_dir *d, const struct issuer_set *set, const struct revoke_args *a,
    int64_t now, struct revoke_log *log, struct err *e)
{
	struct lookup_match m[LOOKUP_MAX_MATCHES];
	size_t n;

	if (a->file != NULL) {
		if (lookup_by_file(d, set, a->file, &m[0], e) != 0)
			return -1;
		log->v[log->n].recorded = !m[0].found;
		if ((!m[0].found && record_file(d, set, a->file, now, &m[0], e) != 0) ||
		    revoke_one(d, &m[0], a, now, log, e) != 0)
			return -1;
	}
	for (size_t i = 0; i < a->nserials; i++) {
		if (lookup_by_serial(d, set, a->issuer, a->serials[i], m, &n, e) != 0)
			return -1;
		if (n == 0)
			return err_set(e, "%s has no certificate with serial %s", a->issuer,
			    a->serials[i]);
		if (revoke_one(d, &m[0], a, now, log, e) != 0)
			return -1;
	}
	return 0;
}

static int
revoke_all(struct cli_dir *d, const struct revoke_args *a, struct err *e)
{
	struct issuer_set set;
	struct revoke_log log = {0};
	int64_t now = (int64_t)time(NULL);
	int rc = -1;

	if (issuer_set_load(d->store, &set, e) != 0)
		return -1;
	log.v = calloc(a->nserials + 1, sizeof(*log.v));
	if (log.v == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	if (store_begin(d->store, e) != 0)
		goto out;
	if (revoke_in_tx(d, &set, a, now, &log, e) == 0 && store_commit(d->store, e) == 0) {
		report(&log); /* only now is it true */
		rc = 0;
		goto out;
	}
	store_rollback(d->store, NULL);
	if (a->nserials + (a->file != NULL) > 1)
		err_prefix(e, "nothing was revoked");
out:
	free(log.v);
	issuer_set_free(&set);
	return rc;
}

/* The hash of the key in path (pki/spki.h), read the same way for -d and --api. */
static int
key_file_spki(const char *path, uint8_t spki[STORE_SPKI_HASH_LEN], struct err *e)
{
	uint8_t *data;
	size_t len;
	int rc;

	if (fs_read_all(path, SPKI_INPUT_MAX, &data, &len, e) != 0)
		return -1;
	rc = spki_hash_input(data, len, spki, e);
	free(data);
	return rc != 0 ? err_prefix(e, "%s", path) : 0;
}

/* --by-key with -d: one transaction, printed once committed. */
static int
revoke_by_key(struct cli_dir *d, const uint8_t spki[STORE_SPKI_HASH_LEN], int64_t date,
    struct err *e)
{
	struct issuer_record *iss = NULL;
	struct revoke_bykey_line *v = NULL;
	struct bykey b = {0};
	size_t niss = 0;
	int rc = -1;

	if (store_issuer_list(d->store, &iss, &niss, e) != 0)
		return -1;
	if (store_begin(d->store, e) != 0)
		goto out;
	rc = bykey_revoke(d->store, spki, date, (int64_t)time(NULL), d->actor, "cli", &b, e);
	if (rc == 0 && (v = calloc(b.n + 1, sizeof(*v))) == NULL)
		rc = err_set(e, "out of memory");
	if (rc == 0)
		rc = store_commit(d->store, e);
	if (rc != 0) {
		store_rollback(d->store, NULL);
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct bykey_hit *h = &b.v[i];
		const char *name = "?";

		for (size_t k = 0; k < niss; k++)
			if (iss[k].id == h->rec.issuer_id)
				name = iss[k].name;
		snprintf(v[i].issuer, sizeof(v[i].issuer), "%s", name);
		serial_to_hex(h->rec.serial, h->rec.serial_len, v[i].serial, sizeof(v[i].serial));
		v[i].at = h->rec.revoked_at;
		v[i].unchanged = h->result == BYKEY_UNCHANGED;
	}
	revoke_bykey_print(spki, v, b.n, b.unkeyed); /* only now is it true */
	rc = 0;
out:
	free(v);
	bykey_free(&b);
	issuer_records_free(iss, niss);
	return rc;
}

int
cmd_revoke(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'd'},    {"reason", required_argument, NULL, 'r'},
	    {"date", required_argument, NULL, 't'},   {"issuer", required_argument, NULL, 'i'},
	    {"serial", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
	    {"by-key", required_argument, NULL, 'K'},
	    API_CMDS_OPTIONS,
	    API_CMDS_WAIT_OPTIONS,
	    {NULL, 0, NULL, 0},
	};
	struct revoke_args a = {.reason = 0, .date = (int64_t)time(NULL)};
	struct api_opts ao = {0};
	const char *dir = cli_default_dir();
	uint8_t spki[STORE_SPKI_HASH_LEN];
	struct cli_dir d;
	struct err e;
	int ch, rc, dir_given = 0, reason_given = 0;

	while ((ch = getopt_long(argc, argv, ":d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			dir_given = 1;
			break;
		case 'r':
			if (reason_parse(optarg, &a.reason, &e) != 0)
				return cli_usage_error("revoke", "%s", e.msg);
			reason_given = 1;
			break;
		case 't':
			if (timefmt_parse(optarg, &a.date, &e) != 0)
				return cli_usage_error("revoke", "--date: %s", e.msg);
			a.has_date = 1;
			break;
		case 'K':
			a.key_file = optarg;
			break;
		case 'i':
			a.issuer = optarg;
			break;
		case 's':
			if (a.nserials == REVOKE_SERIALS_MAX)
				return cli_usage_error("revoke", "at most %d serials at once",
				    REVOKE_SERIALS_MAX);
			if (lookup_check_serial(optarg, &e) != 0) /* a bad argument: usage, as in urls */
				return cli_usage_error("revoke", "--serial: %s", e.msg);
			a.serials[a.nserials++] = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		default:
			if ((rc = cli_api_option("revoke", ch, optarg, &ao)) < 0)
				return cli_bad_option("revoke", argv, ch);
			if (rc > 0)
				return rc;
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("revoke", "one CERTFILE at a time (or --serial, repeated)");
	if (argc - optind == 1)
		a.file = argv[optind];
	if (a.key_file != NULL) {
		if (a.file != NULL || a.nserials > 0 || a.issuer != NULL)
			return cli_usage_error("revoke", "--by-key revokes every certificate of the "
							 "key: not with a CERTFILE or --issuer/--serial");
		if (reason_given && a.reason != REASON_KEY_COMPROMISE)
			return cli_usage_error("revoke", "--by-key revokes keyCompromise: no other "
							 "--reason");
		if ((rc = cli_api_options("revoke", &ao, dir_given)) != 0)
			return rc;
		if (key_file_spki(a.key_file, spki, &e) != 0)
			return cli_fail("revoke", &e);
		if (ao.url != NULL)
			return api_cmd_revoke_bykey(&ao, spki, a.has_date, a.date);
		if (cli_dir_open(&d, dir, &e) != 0)
			return cli_fail("revoke", &e);
		rc = revoke_by_key(&d, spki, a.date, &e);
		cli_dir_close(&d);
		return rc == 0 ? EXIT_OK : cli_fail("revoke", &e);
	}
	if (a.file == NULL && a.nserials == 0)
		return cli_usage_error("revoke", "give a CERTFILE, or --issuer NAME --serial HEX");
	if (a.file != NULL && (a.nserials > 0 || a.issuer != NULL))
		return cli_usage_error("revoke", "give a CERTFILE or --issuer/--serial, not both");
	if (a.nserials > 0 && a.issuer == NULL)
		return cli_usage_error("revoke", "--serial needs --issuer NAME");
	if ((rc = cli_api_options("revoke", &ao, dir_given)) != 0)
		return rc;
	if (ao.url != NULL)
		return api_cmd_revoke(&ao, a.issuer, a.serials, a.nserials, a.file, a.reason,
		    a.date);
	if (cli_dir_open(&d, dir, &e) != 0)
		return cli_fail("revoke", &e);
	rc = revoke_all(&d, &a, &e);
	cli_dir_close(&d);
	return rc == 0 ? EXIT_OK : cli_fail("revoke", &e);
}
