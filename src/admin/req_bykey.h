/*
 * req_bykey.h - the body of POST /api/v1/revocations/by-key, decoded.
 *
 * The key whose certificates are all to be revoked keyCompromise
 * (intake/bykey.h), in one of three forms:
 *
 *   {"key": "-----BEGIN PUBLIC KEY-----\n...", "date": "2026-12-07T10:00:00Z"}
 *   {"spki_sha256": "64 hex digits", "date": ...}
 *   the public key or certificate itself, PEM or DER (the whole body)
 *
 * "key" is a PEM public key or certificate (pki/spki.h says which forms);
 * "spki_sha256" the SHA-256 of the DER SubjectPublicKeyInfo (crt.sh's "SPKI
 * SHA-256"; what `lancre revoke --by-key --api` sends, having read the
 * file itself).  Exactly one of the two.  "date" (RFC 3339, optional): when
 * the key is known to be compromised; default, the request's time.  A body
 * is JSON when its first byte other than white space is '{'.  As for
 * POST /api/v1/revocations (req_revoke.h): every value a string, an unknown
 * or duplicate member or anything after the JSON value refused, errors one
 * line naming the member.
 */
#ifndef LANCRE_ADMIN_REQ_BYKEY_H
#define LANCRE_ADMIN_REQ_BYKEY_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

struct admin_bykey {
	uint8_t spki[STORE_SPKI_HASH_LEN];
	int64_t date;
	int has_date; /* given: else date is the request's time */
};

/* Decode body (len bytes, not NUL-terminated); now is the default date.  0, or -1 with e. */
int admin_bykey_decode(const uint8_t *body, size_t len, int64_t now, struct admin_bykey *out,
    struct err *e);

#endif
