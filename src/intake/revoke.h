/*
 * revoke.h - recording revocations under the CA/Browser Forum rules.
 *
 *  - A revocation is final: nothing un-revokes a certificate (no
 *    certificateHold, no removeFromCRL; reason.h refuses those names).
 *  - cACompromise only for a CA certificate (is_ca: a root's intermediate).
 *  - The revocation time may not be in the future (beyond the clock-skew
 *    allowance of pki/revtime.h), nor before the certificate's notBefore
 *    unless that is itself in the future: a mis-issued, future-dated
 *    certificate is revocable now.
 *  - An already revoked certificate can change only towards keyCompromise
 *    (BR 4.9.1.1: a later key compromise report must show in the reason), and
 *    a keyCompromise revocation may move the date earlier, to when the key
 *    was first known to be compromised.  Anything else is refused, saying
 *    what is recorded.
 */
#ifndef LANCRE_INTAKE_REVOKE_H
#define LANCRE_INTAKE_REVOKE_H

#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/*
 * The rule every revocation date meets, whatever the certificate: not in the
 * future beyond REVTIME_CLOCK_SKEW.  0, or -1 with e.
 */
int revoke_check_date(int64_t date, int64_t now, struct err *e);

/*
 * Decide what revoking cur at date with reason means.  Returns 0 with the
 * time and reason to record in *at and *reason_out, or -1 with the rule that
 * refuses it.  now is the current time.
 */
int revoke_decide(const struct cert_record *cur, int64_t date, int reason, int64_t now,
    int64_t *at, int *reason_out, struct err *e);

/*
 * revoke_decide(), then record the outcome.  Call it inside the caller's
 * store transaction, with cur read in that same transaction, so that two
 * revocations of one certificate cannot both decide on the old state.
 */
int revoke_apply(struct store *s, const struct cert_record *cur, int64_t date, int reason,
    int64_t now, int64_t *at, int *reason_out, struct err *e);

/*
 * The detail of a "cert.revoke" audit row (JSON into out, len bytes): the
 * reason and date recorded, and, when cur was revoked already (a reason or
 * date changed), what they were.
 */
#define REVOKE_DETAIL_MAX 192
void revoke_detail(const struct cert_record *cur, int64_t at, int reason, char *out, size_t len);

#endif
