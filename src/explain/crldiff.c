/*
 * crldiff.c - see crldiff.h.
 */
#include "explain/crldiff.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "pki/cert.h"
#include "pki/reason.h"

struct entry {
	const ASN1_INTEGER *serial;
	int64_t date;
	int reason;
};

static int
cmp_entry(const void *a, const void *b)
{
	return ASN1_INTEGER_cmp(((const struct entry *)a)->serial, ((const struct entry *)b)->serial);
}

/* The entries of crl, sorted by serial (*out NULL when there are none). */
static int
entries(X509_CRL *crl, struct entry **out, size_t *n, struct err *e)
{
	STACK_OF(X509_REVOKED) *revs = X509_CRL_get_REVOKED(crl);

	*out = NULL;
	*n = revs != NULL ? (size_t)sk_X509_REVOKED_num(revs) : 0;
	if (*n == 0)
		return 0;
	if ((*out = calloc(*n, sizeof(**out))) == NULL)
		return err_set(e, "out of memory reading %zu CRL entries", *n);
	for (size_t i = 0; i < *n; i++) {
		X509_REVOKED *r = sk_X509_REVOKED_value(revs, (int)i);
		ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);

		(*out)[i].serial = X509_REVOKED_get0_serialNumber(r);
		(*out)[i].reason = code != NULL ? (int)ASN1_ENUMERATED_get(code) : -1;
		if (cert_time(X509_REVOKED_get0_revocationDate(r), &(*out)[i].date) != 0)
			(*out)[i].date = 0;
		ASN1_ENUMERATED_free(code);
	}
	qsort(*out, *n, sizeof(**out), cmp_entry);
	return 0;
}

static int
push(struct crldiff *d, size_t *cap, const struct crldiff_item *it, struct err *e)
{
	if (d->n == *cap) {
		size_t ncap = *cap == 0 ? 64 : *cap * 2;
		struct crldiff_item *v = realloc(d->v, ncap * sizeof(*v));

		if (v == NULL)
			return err_set(e, "out of memory comparing CRLs");
		d->v = v;
		*cap = ncap;
	}
	d->v[d->n++] = *it;
	return 0;
}

/* A reason may change only to keyCompromise; a date only with that change, and only earlier. */
static enum crldiff_verdict
change_verdict(const struct entry *o, const struct entry *n)
{
	int reason_changed = o->reason != n->reason;

	if (reason_changed && n->reason != REASON_KEY_COMPROMISE)
		return CRLDIFF_PROBLEM;
	if (o->date != n->date && !(reason_changed && n->date < o->date))
		return CRLDIFF_PROBLEM;
	return CRLDIFF_OK;
}

static int
removal(const struct entry *o, int64_t old_this_update, crldiff_expiry_fn expiry, void *arg,
    struct crldiff_item *it, struct err *e)
{
	int rc = expiry != NULL ? expiry(arg, o->serial, &it->not_after, e) : 0;

	if (rc < 0)
		return -1;
	it->verdict = rc == 0 ? CRLDIFF_CANNOT_TELL
		    : it->not_after < old_this_update ? CRLDIFF_OK
						      : CRLDIFF_PROBLEM;
	return 0;
}

/* Merge the two sorted lists into items. */
static int
merge(const struct entry *a, size_t na, const struct entry *b, size_t nb, int64_t old_tu,
    crldiff_expiry_fn expiry, void *arg, struct crldiff *d, struct err *e)
{
	size_t i = 0, j = 0, cap = 0;

	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : ASN1_INTEGER_cmp(a[i].serial, b[j].serial);
		struct crldiff_item it = {.old_reason = -1, .new_reason = -1};

		if (c < 0) {
			it = (struct crldiff_item){CRLDIFF_REMOVED, CRLDIFF_OK, a[i].serial, a[i].date, 0,
			    a[i].reason, -1, 0};
			if (removal(&a[i], old_tu, expiry, arg, &it, e) != 0)
				return -1;
			i++;
		} else if (c > 0) {
			it = (struct crldiff_item){CRLDIFF_ADDED, CRLDIFF_OK, b[j].serial, 0, b[j].date, -1,
			    b[j].reason, 0};
			j++;
		} else {
			if (a[i].reason == b[j].reason && a[i].date == b[j].date) {
				i++, j++;
				continue;
			}
			it = (struct crldiff_item){CRLDIFF_CHANGED, change_verdict(&a[i], &b[j]),
			    b[j].serial, a[i].date, b[j].date, a[i].reason, b[j].reason, 0};
			i++, j++;
		}
		if (push(d, &cap, &it, e) != 0)
			return -1;
	}
	return 0;
}

static int
number_step(const X509_CRL *o, const X509_CRL *n, int *numbers)
{
	ASN1_INTEGER *a = X509_CRL_get_ext_d2i(o, NID_crl_number, NULL, NULL);
	ASN1_INTEGER *b = X509_CRL_get_ext_d2i(n, NID_crl_number, NULL, NULL);
	int step = 0;

	*numbers = a != NULL && b != NULL;
	if (*numbers)
		step = ASN1_INTEGER_cmp(b, a) > 0 ? 1 : ASN1_INTEGER_cmp(b, a) < 0 ? -1 : 0;
	ASN1_INTEGER_free(a);
	ASN1_INTEGER_free(b);
	return step;
}

/* 1 if the two CRLs' IssuingDistributionPoint extensions differ (one absent counts). */
static int
scope_changed(const X509_CRL *o, const X509_CRL *n)
{
	int i = X509_CRL_get_ext_by_NID(o, NID_issuing_distribution_point, -1);
	int k = X509_CRL_get_ext_by_NID(n, NID_issuing_distribution_point, -1);

	if (i < 0 || k < 0)
		return (i < 0) != (k < 0);
	return ASN1_OCTET_STRING_cmp(X509_EXTENSION_get_data(X509_CRL_get_ext(o, i)),
		   X509_EXTENSION_get_data(X509_CRL_get_ext(n, k))) != 0;
}

int
crldiff_compute(X509_CRL *old_crl, X509_CRL *new_crl, crldiff_expiry_fn expiry, void *arg,
    struct crldiff *d, struct err *e)
{
	struct entry *a = NULL, *b = NULL;
	size_t na, nb;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (cert_time(X509_CRL_get0_lastUpdate(old_crl), &d->old_this_update) != 0 ||
	    cert_time(X509_CRL_get0_lastUpdate(new_crl), &d->new_this_update) != 0)
		return err_set(e, "a CRL's thisUpdate is unreadable");
	if (entries(old_crl, &a, &na, e) != 0 || entries(new_crl, &b, &nb, e) != 0 ||
	    merge(a, na, b, nb, d->old_this_update, expiry, arg, d, e) != 0)
		goto out;
	for (size_t i = 0; i < d->n; i++) {
		d->added += d->v[i].kind == CRLDIFF_ADDED;
		d->removed += d->v[i].kind == CRLDIFF_REMOVED;
		d->changed += d->v[i].kind == CRLDIFF_CHANGED;
		d->problems += d->v[i].verdict == CRLDIFF_PROBLEM;
		d->cannot_tell += d->v[i].verdict == CRLDIFF_CANNOT_TELL;
	}
	d->number_step = number_step(old_crl, new_crl, &d->numbers);
	d->problems += !d->numbers || d->number_step <= 0;
	d->problems += d->new_this_update <= d->old_this_update;
	d->scope_changed = scope_changed(old_crl, new_crl);
	d->problems += d->scope_changed;
	rc = 0;
out:
	free(a);
	free(b);
	if (rc != 0)
		crldiff_free(d);
	return rc;
}

void
crldiff_free(struct crldiff *d)
{
	free(d->v);
	d->v = NULL;
	d->n = 0;
}
