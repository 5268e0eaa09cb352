/*
 * req_revoke.h - the body of POST /api/v1/revocations, decoded.
 *
 * A body is one revocation or a JSON array of them (at most
 * ADMIN_REVOCATIONS_MAX, at least one):
 *
 *   {"issuer": "NAME", "serial": "HEX", "reason": "keyCompromise",
 *    "date": "2026-12-07T10:00:00Z"}
 *
 * issuer and serial are required; reason defaults to unspecified and date to
 * the time of the request, as `lancre revoke` does.  Every value must be a
 * string; a member not listed here, a duplicate member, or anything after
 * the JSON value is refused: a typo ("reson") must not silently revoke with
 * the default reason.  Only the form is checked here (a serial that is hex,
 * a reason the BRs allow, an RFC 3339 date); whether the issuer and the
 * certificate exist, and what the rules of intake/revoke.h allow, is decided
 * in the store's transaction.  Errors are one line naming the element (for a
 * list) and the member: `revocation 3: "reason": ...`.
 */
#ifndef LANCRE_ADMIN_REQ_REVOKE_H
#define LANCRE_ADMIN_REQ_REVOKE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

#define ADMIN_REVOCATIONS_MAX 100000 /* a mass revocation (issue 19): [admin] max_body must allow ~75 bytes each */

struct admin_revocation {
	char issuer[STORE_ISSUER_NAME_MAX + 1];
	/* The serial as written (exact) and as the number it is (canon: no leading zero
	 * octets beyond DER's): looked up as lookup_by_serial() does, exact bytes first. */
	uint8_t exact[STORE_SERIAL_MAX], canon[STORE_SERIAL_MAX];
	size_t exact_len, canon_len;
	int reason; /* enum crl_reason */
	int64_t date;
	int has_date; /* given: else date is the request's time */
};

struct admin_revocations {
	struct admin_revocation *v;
	size_t n;
	int list; /* the body was an array (the answer is one too) */
};

/*
 * Decode body (len bytes, not NUL-terminated); now is the default date.
 * 0 with *out filled (free with admin_revocations_free), or -1 with e saying
 * what is wrong and *out empty.
 */
int admin_revocations_decode(const uint8_t *body, size_t len, int64_t now,
    struct admin_revocations *out, struct err *e);

void admin_revocations_free(struct admin_revocations *r);

#endif
