/*
 * crl_facts.h - what the CRL rules look at, read once (one pass over the
 * entries, walked in the DER by crl_der.h, never parsed into OpenSSL objects)
 * so each rule is a few lines over plain values and a million-entry CRL is
 * walked once, not once per rule.
 */
#ifndef LANCRE_LINT_CRL_FACTS_H
#define LANCRE_LINT_CRL_FACTS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "lint/crl_der.h"
#include "lint/hex.h"
#include "util/err.h"

#define CRL_FACTS_REASONS 11    /* RFC 5280 reason codes 0..10 */
#define CRL_NUMBER_MAX_BITS 159 /* RFC 5280 5.2.3, BR 7.2.2: below 2^159, 20 octets */

/* An entry property: how many entries have it, and the first one's serial. */
struct crl_fact_entries {
	size_t n;
	char first[LINT_HEX_MAX];
	int reason; /* for reasons: the first one's code */
};

struct crl_facts {
	size_t der_len;
	long version;          /* 0 for v1, 1 for v2 */
	int sig_md_nid;        /* digest of the signature, NID_undef when unknown */
	int sig_nid;
	int times_ok;          /* thisUpdate (and nextUpdate if present) readable */
	int64_t this_update, next_update;
	int has_next_update;
	int has_number, number_negative, number_bits;
	char number[LINT_HEX_MAX];
	int has_aki;
	int has_idp, idp_critical, idp_has_uri;
	int is_delta, delta_critical;
	int delta_base_bad;               /* BaseCRLNumber negative or over 159 bits */
	int delta_number_not_above_base;  /* cRLNumber <= BaseCRLNumber */
	char delta_base[LINT_HEX_MAX];
	int has_freshest, freshest_critical;
	size_t entries;
	size_t by_reason[CRL_FACTS_REASONS + 1]; /* codes 0..10; the last: no reasonCode or another */
	struct crl_fact_entries unspecified, hold, unknown_reason, remove_from_crl, duplicate,
	    after_this_update;
};

/*
 * Fill f from c and its headers (crl_der_headers(c)); -1 when an entry is
 * malformed or memory runs out (the duplicate search sorts the serials).
 */
int crl_facts_read(const struct crl_der *c, X509_CRL *headers, struct crl_facts *f,
    struct err *e);

#endif
