/*
 * bykey.h - revoking every certificate of a compromised key (issue 19:
 * POST /api/v1/revocations/by-key, `lancre revoke --by-key`).
 *
 * Every certificate whose SubjectPublicKeyInfo hashes to the key's
 * (store_cert_by_spki: of every issuer, expired ones too) is revoked
 * keyCompromise, through the rules of revoke.h, in the caller's
 * transaction:
 *  - not revoked yet: revoked at date;
 *  - revoked for another reason: keyCompromise replaces it (BR 4.9.1.1),
 *    the date moving to date if that is earlier;
 *  - revoked keyCompromise already, at date or before: unchanged (asking
 *    again is a no-op, not an error); after date: moved earlier to date.
 * date is when the key is known to be compromised (default: now).  A
 * certificate issued after that date (the same key certified again) is
 * revoked at its notBefore, the earliest date revoke.h allows for it:
 * refusing the whole request for it would leave every certificate of the
 * key good.  A date in the future is refused.
 * Each change is one "cert.revoke" row of the audit trail, detail
 * {"by_key": "<spki sha256 hex>", "reason": ..., "date": ...[, "was": ...]},
 * appended together; an unchanged certificate gets none.
 */
#ifndef LANCRE_INTAKE_BYKEY_H
#define LANCRE_INTAKE_BYKEY_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

enum bykey_result {
	BYKEY_REVOKED,   /* was good */
	BYKEY_CHANGED,   /* was revoked: now keyCompromise, or keyCompromise earlier */
	BYKEY_UNCHANGED, /* revoked keyCompromise already */
};

struct bykey_hit {
	struct cert_record rec; /* as recorded after: revoked keyCompromise */
	int64_t was_at;         /* before, when it was revoked already */
	int was_reason;
	enum bykey_result result;
};

struct bykey {
	struct bykey_hit *v;  /* in id order */
	size_t n;
	size_t changed;       /* of v: revoked or changed (audit rows written) */
	int64_t unkeyed;      /* certificates without a key hash: not searched */
};

/*
 * Revoke, in the open transaction, every certificate whose key hash is spki
 * (see above) at date; actor and origin name the caller in the audit rows
 * (actor NULL: none, tests).  0 with *out filled (free with bykey_free, also
 * after a failure); -2 the rules refuse it (a date in the future), -1 any
 * other failure (the store), with e: the caller rolls back.
 */
int bykey_revoke(struct store *s, const uint8_t spki[STORE_SPKI_HASH_LEN], int64_t date,
    int64_t now, const char *actor, const char *origin, struct bykey *out, struct err *e);

void bykey_free(struct bykey *b);

#endif
