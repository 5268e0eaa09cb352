/*
 * explain_diff.c - `lancre explain OLD.crl NEW.crl`: the CRL diff
 * (explain/crldiff.h) in words and as data.  The expiry of a certificate
 * whose entry was removed comes from the certificates given (--issuer, which
 * may hold leaves too) or from -d DIR's store; without either, the removal
 * is "cannot tell".
 */
#include "cli/explain_diff.h"

#include <stdio.h>
#include <string.h>

#include "cli/explain_dir.h"
#include "explain/crldiff.h"
#include "lint/crl_der.h"
#include "lint/hex.h"
#include "pki/cert.h"
#include "pki/reason.h"
#include "pki/serial.h"
#include "util/timefmt.h"

#define EXPLAIN_DIFF_TEXT_MAX 50 /* entries of each kind listed in text (all in JSON) */

struct expiry_ctx {
	const struct explain_ctx *c;
	const X509_NAME *issuer;
};

static int
expiry(void *arg, const ASN1_INTEGER *serial, int64_t *out, struct err *e)
{
	const struct expiry_ctx *x = arg;
	const struct explain_dir *dir = x->c->dir;
	uint8_t bytes[STORE_SERIAL_MAX];
	struct cert_record rec;
	size_t len;

	for (int i = 0; x->c->known != NULL && i < sk_X509_num(x->c->known); i++) {
		X509 *cert = sk_X509_value(x->c->known, i);

		if (X509_NAME_cmp(X509_get_issuer_name(cert), x->issuer) == 0 &&
		    ASN1_INTEGER_cmp(X509_get0_serialNumber(cert), serial) == 0)
			return cert_time(X509_get0_notAfter(cert), out) == 0;
	}
	for (size_t i = 0; dir != NULL && i < dir->set.n; i++) {
		int rc;

		if (dir->set.v[i].cert == NULL ||
		    X509_NAME_cmp(X509_get_subject_name(dir->set.v[i].cert), x->issuer) != 0 ||
		    serial_from_asn1(serial, bytes, sizeof(bytes), &len, e) != 0)
			continue;
		if ((rc = store_cert_get(dir->d.store, dir->set.v[i].rec.id, bytes, len, &rec, e)) < 0)
			return -1;
		if (rc == 1) {
			*out = rec.not_after;
			return 1;
		}
	}
	return 0;
}

static const char *
verdict_name(enum crldiff_verdict v)
{
	return v == CRLDIFF_OK ? "ok" : v == CRLDIFF_PROBLEM ? "problem" : "cannot tell";
}

static const char *
reason_or_none(int r)
{
	const char *n = r >= 0 ? reason_name(r) : "none";

	return n != NULL ? n : "?";
}

static void
item(struct xout *o, const struct crldiff_item *it)
{
	char serial[LINT_HEX_MAX], d0[TIMEFMT_LEN], d1[TIMEFMT_LEN], na[TIMEFMT_LEN];

	lint_hex(it->serial, serial, sizeof(serial));
	timefmt_format(it->old_date, d0, sizeof(d0));
	timefmt_format(it->new_date, d1, sizeof(d1));
	timefmt_format(it->not_after, na, sizeof(na));
	if (!o->json) {
		if (it->kind == CRLDIFF_ADDED)
			fprintf(o->f, "  + %s revoked %s, reason %s\n", serial, d1, reason_or_none(it->new_reason));
		else if (it->kind == CRLDIFF_REMOVED)
			fprintf(o->f, "  - %s (%s%s%s)\n", serial, verdict_name(it->verdict),
			    it->verdict == CRLDIFF_CANNOT_TELL ? ": its expiry is unknown, give the certificate or -d"
			    : it->verdict == CRLDIFF_OK ? ": expired " : ": still valid at the older CRL's thisUpdate, expires ",
			    it->verdict == CRLDIFF_CANNOT_TELL ? "" : na);
		else
			fprintf(o->f, "  ~ %s reason %s -> %s, revoked %s -> %s (%s)\n", serial,
			    reason_or_none(it->old_reason), reason_or_none(it->new_reason), d0, d1,
			    verdict_name(it->verdict));
		return;
	}
	xout_item(o);
	xout_str(o, "serial", NULL, "%s", serial);
	if (it->kind != CRLDIFF_ADDED) {
		xout_str(o, "old_revoked_at", NULL, "%s", d0);
		xout_str(o, "old_reason", NULL, "%s", reason_or_none(it->old_reason));
	}
	if (it->kind != CRLDIFF_REMOVED) {
		xout_str(o, "new_revoked_at", NULL, "%s", d1);
		xout_str(o, "new_reason", NULL, "%s", reason_or_none(it->new_reason));
	}
	if (it->kind == CRLDIFF_REMOVED && it->verdict != CRLDIFF_CANNOT_TELL)
		xout_str(o, "not_after", NULL, "%s", na);
	xout_str(o, "verdict", NULL, "%s", verdict_name(it->verdict));
	xout_close(o, '}');
}

static void
items(struct xout *o, const struct crldiff *d, enum crldiff_kind kind, const char *key,
    const char *label, size_t count)
{
	size_t shown = 0;

	if (!o->json && count > 0)
		fprintf(o->f, "%s (%zu):\n", label, count);
	xout_arr(o, key, NULL);
	for (size_t i = 0; i < d->n; i++) {
		if (d->v[i].kind != kind || (!o->json && shown == EXPLAIN_DIFF_TEXT_MAX))
			continue;
		item(o, &d->v[i]);
		shown++;
	}
	if (!o->json && count > shown)
		fprintf(o->f, "  ... and %zu more (--json lists them all)\n", count - shown);
	xout_close(o, ']');
}

/* The CRL's headers (lint/crl_der.h: its entries are not parsed), or NULL. */
static X509_CRL *
parse(const struct explain_object *obj)
{
	struct crl_der d;

	return crl_der_open(obj->der, obj->len, &d) == 0 ? crl_der_headers(&d) : NULL;
}

/* "; the CRL number did not increase; 2 removals not allowed ..." for each kind of problem. */
static void
problems(const struct crldiff *d, char *buf, size_t len)
{
	size_t bad_removals = 0, bad_changes = 0, at;

	for (size_t i = 0; i < d->n; i++) {
		bad_removals += d->v[i].kind == CRLDIFF_REMOVED && d->v[i].verdict == CRLDIFF_PROBLEM;
		bad_changes += d->v[i].kind == CRLDIFF_CHANGED && d->v[i].verdict == CRLDIFF_PROBLEM;
	}
	buf[0] = '\0';
	if (!d->numbers || d->number_step <= 0)
		snprintf(buf, len, "; the CRL number %s", d->numbers ? "did not increase" : "is missing");
	if (d->new_this_update <= d->old_this_update && (at = strlen(buf)) < len)
		snprintf(buf + at, len - at, "; thisUpdate is not later");
	if (d->scope_changed && (at = strlen(buf)) < len)
		snprintf(buf + at, len - at, "; the scope (IssuingDistributionPoint) changed");
	if (bad_removals > 0 && (at = strlen(buf)) < len)
		snprintf(buf + at, len - at, "; %zu serial%s removed while still valid", bad_removals,
		    bad_removals == 1 ? "" : "s");
	if (bad_changes > 0 && (at = strlen(buf)) < len)
		snprintf(buf + at, len - at, "; %zu entr%s changed in a way that is not allowed",
		    bad_changes, bad_changes == 1 ? "y" : "ies");
}

static void
summary(struct explain_ctx *c, X509_CRL *n, const struct crldiff *d)
{
	char name[256], say[1536], why[512];

	explain_issuer_label(c, explain_issuer_by_name(c, X509_CRL_get_issuer(n)),
	    X509_CRL_get_issuer(n), name, sizeof(name));
	problems(d, why, sizeof(why));
	snprintf(say, sizeof(say),
	    "The newer CRL of %s adds %zu serial%s, removes %zu and changes %zu entr%s. The change is "
	    "%s%s.%s",
	    name, d->added, d->added == 1 ? "" : "s", d->removed, d->changed,
	    d->changed == 1 ? "y" : "ies", d->problems == 0 ? "sound" : "NOT SOUND",
	    d->problems == 0 ? "" : why,
	    d->cannot_tell > 0 ? " Some removals cannot be judged without the certificates "
				 "(give them with --issuer, or -d)." : "");
	xout_say(c->o, say);
}

int
explain_crl_diff(struct explain_ctx *c, const struct explain_object *old_obj,
    const struct explain_object *new_obj, int *sound, struct err *e)
{
	X509_CRL *o = parse(old_obj), *n = parse(new_obj);
	struct expiry_ctx x = {c, n != NULL ? X509_CRL_get_issuer(n) : NULL};
	struct crldiff d;
	char t0[TIMEFMT_LEN], t1[TIMEFMT_LEN];
	int rc = -1;

	if (o == NULL || n == NULL) {
		err_set(e, "unreadable CRL");
		goto out;
	}
	if (crldiff_compute(old_obj->der, old_obj->len, new_obj->der, new_obj->len, expiry, &x, &d,
		e) != 0)
		goto out;
	*sound = d.problems == 0;
	xout_str(c->o, "kind", NULL, "%s", "crl_diff");
	summary(c, n, &d);
	xout_obj(c->o, "details", NULL);
	xout_bool(c->o, "sound", "sound", d.problems == 0);
	xout_int(c->o, "problems", "problems", (long long)d.problems);
	xout_str(c->o, "number", "CRL number", "%s",
	    !d.numbers ? "MISSING in one of them" : d.number_step > 0 ? "increased" : "DID NOT INCREASE");
	timefmt_format(d.old_this_update, t0, sizeof(t0));
	timefmt_format(d.new_this_update, t1, sizeof(t1));
	xout_str(c->o, "this_update", "thisUpdate", "%s -> %s (%s)", t0, t1,
	    d.new_this_update > d.old_this_update ? "later" : "NOT LATER");
	xout_bool(c->o, "scope_changed", "scope changed", d.scope_changed);
	xout_int(c->o, "added_count", "added", (long long)d.added);
	xout_int(c->o, "removed_count", "removed", (long long)d.removed);
	xout_int(c->o, "changed_count", "changed", (long long)d.changed);
	items(c->o, &d, CRLDIFF_ADDED, "added", "Added", d.added);
	items(c->o, &d, CRLDIFF_REMOVED, "removed", "Removed", d.removed);
	items(c->o, &d, CRLDIFF_CHANGED, "changed", "Changed", d.changed);
	xout_close(c->o, '}');
	crldiff_free(&d);
	rc = 0;
out:
	X509_CRL_free(o);
	X509_CRL_free(n);
	return rc;
}
