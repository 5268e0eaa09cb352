/*
 * crldiff.h - what changed between two CRLs of one issuer, and whether the
 * change is sound, for `lancre explain OLD.crl NEW.crl`: what an auditor or
 * the CA checks about a publication.
 *
 * The rules (each broken one is a problem; any problem makes the change
 * unsound):
 *   - both CRLs carry a CRL number, and it and thisUpdate increase (RFC
 *     5280 5.2.3, 5.1.2.4);
 *   - the scope (the IssuingDistributionPoint, byte for byte) stays;
 *   - an entry leaves only after its certificate expired, before the older
 *     CRL's thisUpdate (RFC 5280 3.3, BR 4.9.7: a revoked certificate stays
 *     listed until it expires).  Whether it had needs the certificate's
 *     notAfter, which the caller's lookup gives; without it the removal is
 *     reported as "cannot tell", which is not counted as a problem;
 *   - an entry's reason may change only to keyCompromise (BR 7.2.2, Mozilla
 *     Root Store Policy 6.1.1), and its revocation date only together with
 *     that change and only earlier; any other change is a problem.
 * Pure: no clock, no store, no printing.  The CRLs are read from their DER
 * by lint/crl_der.h (headers parsed by OpenSSL, entries walked in place),
 * their entries matched by serial after sorting a compact array per CRL
 * (n log n; two 1M-entry CRLs in their own bytes plus 32 bytes an entry).
 */
#ifndef LANCRE_EXPLAIN_CRLDIFF_H
#define LANCRE_EXPLAIN_CRLDIFF_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "util/err.h"

enum crldiff_kind {
	CRLDIFF_ADDED,
	CRLDIFF_REMOVED,
	CRLDIFF_CHANGED,
};

enum crldiff_verdict {
	CRLDIFF_OK,
	CRLDIFF_PROBLEM,
	CRLDIFF_CANNOT_TELL, /* a removal whose certificate's expiry is unknown */
};

struct crldiff_item {
	enum crldiff_kind kind;
	enum crldiff_verdict verdict;
	ASN1_INTEGER *serial;       /* owned (crldiff_free) */
	int64_t old_date, new_date; /* revocation dates (0 when absent) */
	int old_reason, new_reason; /* -1: no reasonCode */
	int64_t not_after;          /* removals: the certificate's, when known */
};

struct crldiff {
	struct crldiff_item *v; /* added, removed, changed, sorted by serial within each */
	size_t n;
	size_t added, removed, changed, problems, cannot_tell;
	int numbers;     /* both CRLs carry a CRL number */
	int number_step; /* sign of new - old */
	int64_t old_this_update, new_this_update;
	int scope_changed;
};

/*
 * The certificate's notAfter for a serial the new CRL dropped: 1 and *out
 * set, 0 unknown, -1 error.  May be NULL (every removal "cannot tell").
 */
typedef int (*crldiff_expiry_fn)(void *arg, const ASN1_INTEGER *serial, int64_t *out,
    struct err *e);

/* -1 with e set when either is not a CRL, an entry is malformed, or memory runs out. */
int crldiff_compute(const uint8_t *old_der, size_t old_len, const uint8_t *new_der,
    size_t new_len, crldiff_expiry_fn expiry, void *arg, struct crldiff *out, struct err *e);
void crldiff_free(struct crldiff *d);

#endif
