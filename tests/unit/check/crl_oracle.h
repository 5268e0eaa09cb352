/*
 * crl_oracle.h - the differential test of crl_stream (src/check/): what
 * OpenSSL says about a CRL held whole (d2i_X509_CRL over every byte,
 * X509_CRL_verify, X509_CRL_get0_by_serial) next to what the streaming
 * checker says fed the same bytes in chunks.  Header-only, shared by
 * test_crl_stream.c and tests/fuzz/fuzz_crl_stream.c.
 */
#ifndef LANCRE_TEST_CRL_ORACLE_H
#define LANCRE_TEST_CRL_ORACLE_H

#include <stdint.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check/check.h"
#include "check/crl_stream.h"

struct crl_outcome {
	int parsed;   /* a whole CRL, nothing after it */
	int verified; /* and its signature verifies */
	int found;    /* the serial has an entry */
	int64_t date; /* its revocationDate */
	int reason;   /* its CRLReason, -1 without */
	char why[CRL_STREAM_WHY_MAX];
};

static inline void
crl_oracle_entry(const X509_REVOKED *rev, struct crl_outcome *o)
{
	ASN1_ENUMERATED *reason = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);

	o->found = 1;
	o->date = check_asn1_time(X509_REVOKED_get0_revocationDate(rev));
	o->reason = reason != NULL ? (int)ASN1_ENUMERATED_get(reason) : -1;
	ASN1_ENUMERATED_free(reason);
}

/* OpenSSL with the CRL whole; key may be NULL (parse and lookup only). */
static inline void
crl_oracle_openssl(const uint8_t *der, size_t len, EVP_PKEY *key, const ASN1_INTEGER *serial,
    struct crl_outcome *o)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	X509_REVOKED *rev = NULL;

	memset(o, 0, sizeof(*o));
	o->reason = -1;
	o->parsed = crl != NULL && p == der + len;
	if (o->parsed) {
		o->verified = key != NULL && X509_CRL_verify(crl, key) == 1;
		if (X509_CRL_get0_by_serial(crl, &rev, serial) == 1 && rev != NULL)
			crl_oracle_entry(rev, o);
	}
	X509_CRL_free(crl);
	ERR_clear_error();
}

/* The streaming checker, fed chunk bytes at a time; *info_out (may be NULL) gets a copy. */
static inline void
crl_oracle_stream(const uint8_t *der, size_t len, size_t chunk, EVP_PKEY *key,
    const ASN1_INTEGER *serial, struct crl_outcome *o, struct crl_stream_info *info_out)
{
	struct crl_stream *s = crl_stream_new(serial, 1u << 30);
	int ok = s != NULL;

	memset(o, 0, sizeof(*o));
	o->reason = -1;
	for (size_t i = 0; ok && i < len; i += chunk)
		ok = crl_stream_feed(s, der + i, len - i < chunk ? len - i : chunk) == 0;
	o->parsed = ok && crl_stream_end(s) == 0;
	if (o->parsed) {
		o->verified = key != NULL && crl_stream_verify(s, key) == 1;
		if (crl_stream_info(s)->entry != NULL)
			crl_oracle_entry(crl_stream_info(s)->entry, o);
	}
	if (s != NULL)
		snprintf(o->why, sizeof(o->why), "%s", crl_stream_why(s));
	if (info_out != NULL && s != NULL) {
		*info_out = *crl_stream_info(s);
		info_out->issuer = NULL; /* freed below */
		info_out->this_update = info_out->next_update = NULL;
		info_out->exts = NULL;
		info_out->entry = NULL;
	}
	crl_stream_free(s);
	ERR_clear_error();
}

/* The decision a client takes: refused, or good/revoked with date and reason. */
static inline int
crl_outcome_same(const struct crl_outcome *a, const struct crl_outcome *b)
{
	int ua = a->parsed && a->verified, ub = b->parsed && b->verified;

	if (ua != ub)
		return 0;
	return !ua || (a->found == b->found && (!a->found || (a->date == b->date && a->reason == b->reason)));
}

#endif
