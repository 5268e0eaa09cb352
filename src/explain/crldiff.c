/*
 * crldiff.c - see crldiff.h.
 */
#include "explain/crldiff.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

#include "lint/crl_der.h"
#include "pki/cert.h"
#include "pki/reason.h"

#define CRLDIFF_SERIAL_LEN_MAX ((1u << 24) - 1) /* struct entry's bit field */
#define CRLDIFF_SERIAL_HEX_MAX 24               /* bytes of a malformed serial shown */

/* 24 bytes an entry: two million-entry CRLs are compared within twice their size. */
struct entry {
	const uint8_t *serial;    /* content bytes, in the CRL's DER */
	int64_t date;
	uint32_t head;            /* the first 4 content bytes, big-endian: most comparisons end here */
	uint32_t serial_len : 24;
	int32_t reason : 8;       /* -1 (none) .. 127 */
};

/* By value, as crl_der_serial_cmp; two non-negative serials of one length by their heads first. */
static int
cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->serial_len == y->serial_len && x->head != y->head && !(x->serial[0] & 0x80) &&
	    !(y->serial[0] & 0x80))
		return x->head < y->head ? -1 : 1;
	return crl_der_serial_cmp(x->serial, x->serial_len, y->serial, y->serial_len);
}

static uint32_t
head(const uint8_t *p, size_t n)
{
	uint32_t h = 0;

	for (size_t i = 0; i < 4; i++)
		h = h << 8 | (i < n ? p[i] : 0);
	return h;
}

/* The entries of the CRL, sorted by serial (*out NULL when there are none). */
static int
entries(const struct crl_der *c, struct entry **out, size_t *n, struct err *e)
{
	struct crl_der_entry en;
	long count = crl_der_count(c);
	size_t pos = 0, k = 0;

	*out = NULL;
	*n = 0;
	if (count < 0)
		return err_set(e, "a CRL entry is malformed");
	if (count == 0)
		return 0;
	if ((*out = calloc((size_t)count, sizeof(**out))) == NULL)
		return err_set(e, "out of memory reading %ld CRL entries", count);
	while (k < (size_t)count && crl_der_next(c, &pos, &en) == 1) {
		if (en.serial_len > CRLDIFF_SERIAL_LEN_MAX)
			return err_set(e, "a CRL entry's serial is %zu bytes long", en.serial_len);
		(*out)[k++] = (struct entry){en.serial, en.date_ok ? en.date : 0,
		    head(en.serial, en.serial_len), (uint32_t)en.serial_len, en.reason};
	}
	*n = k;
	/* A CRL written in serial order (lancre's are) needs no sort: one pass to know it. */
	for (size_t i = 1; i < k; i++) {
		if (cmp_entry(&(*out)[i - 1], &(*out)[i]) > 0) {
			qsort(*out, *n, sizeof(**out), cmp_entry);
			break;
		}
	}
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
	int rc = expiry != NULL && it->serial != NULL ? expiry(arg, it->serial, &it->not_after, e) : 0;

	(void)o;
	if (rc < 0)
		return -1;
	it->verdict = rc == 0 ? CRLDIFF_CANNOT_TELL
		    : it->not_after < old_this_update ? CRLDIFF_OK
						      : CRLDIFF_PROBLEM;
	return 0;
}

/*
 * A serial OpenSSL does not read (a redundant leading 00 or FF, or empty: not
 * DER), named by its first bytes in hex.
 */
static int
bad_serial(const struct entry *s, const char *which, struct err *e)
{
	char hex[2 * CRLDIFF_SERIAL_HEX_MAX + 4] = "";
	size_t n = s->serial_len < CRLDIFF_SERIAL_HEX_MAX ? s->serial_len : CRLDIFF_SERIAL_HEX_MAX;

	for (size_t k = 0; k < n; k++)
		snprintf(hex + 2 * k, sizeof(hex) - 2 * k, "%02X", s->serial[k]);
	if (n < s->serial_len)
		snprintf(hex + 2 * n, sizeof(hex) - 2 * n, "...");
	return err_set(e, "the %s CRL lists a serial that is not a DER INTEGER (%s%s): a redundant "
			  "leading byte or none", which, n > 0 ? "content " : "empty", hex);
}

/* Merge the two sorted lists into items (each with its own copy of the serial). */
static int
merge(const struct entry *a, size_t na, const struct entry *b, size_t nb, int64_t old_tu,
    crldiff_expiry_fn expiry, void *arg, struct crldiff *d, struct err *e)
{
	size_t i = 0, j = 0, cap = 0;

	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1
			: cmp_entry(&a[i], &b[j]);
		struct crldiff_item it = {.old_reason = -1, .new_reason = -1};
		const struct entry *s = c < 0 ? &a[i] : &b[j];

		if (c == 0 && a[i].reason == b[j].reason && a[i].date == b[j].date) {
			i++, j++;
			continue;
		}
		if (c < 0) {
			it = (struct crldiff_item){CRLDIFF_REMOVED, CRLDIFF_OK, NULL, a[i].date, 0,
			    a[i].reason, -1, 0};
		} else if (c > 0) {
			it = (struct crldiff_item){CRLDIFF_ADDED, CRLDIFF_OK, NULL, 0, b[j].date, -1,
			    b[j].reason, 0};
		} else {
			it = (struct crldiff_item){CRLDIFF_CHANGED, change_verdict(&a[i], &b[j]), NULL,
			    a[i].date, b[j].date, a[i].reason, b[j].reason, 0};
		}
		if ((it.serial = crl_der_serial(s->serial, s->serial_len)) == NULL)
			return bad_serial(s, c < 0 ? "older" : "newer", e);
		if (c < 0 && removal(&a[i], old_tu, expiry, arg, &it, e) != 0) {
			ASN1_INTEGER_free(it.serial);
			return -1;
		}
		if (push(d, &cap, &it, e) != 0) {
			ASN1_INTEGER_free(it.serial);
			return -1;
		}
		i += c <= 0;
		j += c >= 0;
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

/* Both CRLs' parts and headers, or -1. */
static int
open_both(const uint8_t *od, size_t ol, const uint8_t *nd, size_t nl, struct crl_der *o,
    struct crl_der *n, X509_CRL **oh, X509_CRL **nh, struct err *e)
{
	*oh = crl_der_open(od, ol, o) == 0 ? crl_der_headers(o) : NULL;
	*nh = crl_der_open(nd, nl, n) == 0 ? crl_der_headers(n) : NULL;
	if (*oh == NULL || *nh == NULL)
		return err_set(e, "unreadable CRL");
	return 0;
}

int
crldiff_compute(const uint8_t *old_der, size_t old_len, const uint8_t *new_der, size_t new_len,
    crldiff_expiry_fn expiry, void *arg, struct crldiff *d, struct err *e)
{
	struct entry *a = NULL, *b = NULL;
	struct crl_der oc, nc;
	X509_CRL *old_crl = NULL, *new_crl = NULL;
	size_t na, nb;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (open_both(old_der, old_len, new_der, new_len, &oc, &nc, &old_crl, &new_crl, e) != 0)
		goto out;
	if (cert_time(X509_CRL_get0_lastUpdate(old_crl), &d->old_this_update) != 0 ||
	    cert_time(X509_CRL_get0_lastUpdate(new_crl), &d->new_this_update) != 0) {
		err_set(e, "a CRL's thisUpdate is unreadable");
		goto out;
	}
	if (entries(&oc, &a, &na, e) != 0 || entries(&nc, &b, &nb, e) != 0 ||
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
	X509_CRL_free(old_crl);
	X509_CRL_free(new_crl);
	if (rc != 0)
		crldiff_free(d);
	return rc;
}

void
crldiff_free(struct crldiff *d)
{
	for (size_t i = 0; i < d->n; i++)
		ASN1_INTEGER_free(d->v[i].serial);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}
