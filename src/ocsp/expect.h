/*
 * expect.h - what the OCSP server answers for a certificate, and why, told
 * from the store's record alone (`lancre status`), without signing or
 * loading any response.
 *
 * The server answers from the responses the signer wrote (answer.h): none
 * for a serial lancre never recorded, none yet for a certificate recorded
 * (or revoked) after the signer's last pass, none any more once a
 * certificate has been expired longer than the grace period (the signer
 * deletes them; it stops re-signing at notAfter).  Saying `good` for any of
 * those, as the record alone does, misleads an operator who then sees
 * `unauthorized` from a client.
 */
#ifndef LANCRE_OCSP_EXPECT_H
#define LANCRE_OCSP_EXPECT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct ocsp_expect_in {
	const struct cert_record *rec; /* NULL: lancre has no record of it */
	int signed_yet;                /* the signer has passed the record's last change */
	int64_t now;
	int64_t grace; /* how long after notAfter responses are kept (SIGNER_EXPIRED_GRACE) */
};

/*
 * The answer ("good", "revoked", "unauthorized") into *answer, and one line
 * saying why, or what will change it and when, into why[0..len).
 */
void ocsp_expect(const struct ocsp_expect_in *in, const char **answer, char *why, size_t len);

#endif
