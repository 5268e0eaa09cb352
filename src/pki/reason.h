/*
 * reason.h - RFC 5280 CRLReason codes, by the names RFC 5280 gives them, and
 * the rules the CA/Browser Forum Baseline Requirements (7.2.2, 4.9.1.1) put
 * on revoking subscriber certificates.
 */
#ifndef LANCRE_PKI_REASON_H
#define LANCRE_PKI_REASON_H

#include "util/err.h"

enum crl_reason {
	REASON_UNSPECIFIED = 0,
	REASON_KEY_COMPROMISE = 1,
	REASON_CA_COMPROMISE = 2,
	REASON_AFFILIATION_CHANGED = 3,
	REASON_SUPERSEDED = 4,
	REASON_CESSATION_OF_OPERATION = 5,
	REASON_CERTIFICATE_HOLD = 6,
	/* 7 is unused */
	REASON_REMOVE_FROM_CRL = 8,
	REASON_PRIVILEGE_WITHDRAWN = 9,
	REASON_AA_COMPROMISE = 10,
};

/* The RFC 5280 name ("keyCompromise"), or NULL for a code outside the list. */
const char *reason_name(int code);

/*
 * Parse a reason given on the command line, case-insensitively, by RFC 5280
 * name or number, and accept it only if the BRs allow it: unspecified,
 * keyCompromise, affiliationChanged, superseded, cessationOfOperation,
 * privilegeWithdrawn, and cACompromise (for CA certificates only: see
 * revoke_decide()).  Anything else is refused with the rule that forbids it.
 */
int reason_parse(const char *s, int *code, struct err *e);

#endif
