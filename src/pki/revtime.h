/*
 * revtime.h - the two rules on revocation times that intake and the signer
 * share, named once.
 *
 *  - A revocation date given by the operator may lie a little ahead of this
 *    machine's clock (the CA's clock runs ahead of ours), by at most
 *    REVTIME_CLOCK_SKEW seconds; further ahead is a typo and is refused.
 *  - Nothing is ever signed saying a certificate was revoked after the
 *    moment the statement is made: an OCSP response's or a CRL's revocation
 *    time is at most its thisUpdate (RFC 6960 4.2.2.1 / RFC 5280 5.1.2.6 read
 *    together: a revocation "in the future" of its own response is a lie
 *    clients reject or misfile).  A date accepted inside the skew, or a clock
 *    that stepped back, would otherwise produce exactly that.
 */
#ifndef LANCRE_PKI_REVTIME_H
#define LANCRE_PKI_REVTIME_H

#include <stdint.h>

#define REVTIME_CLOCK_SKEW 300 /* seconds a revocation date may be ahead of now */

/* The revocation time to sign into a response or CRL made at this_update. */
static inline int64_t
revtime_clamp(int64_t revoked_at, int64_t this_update)
{
	return revoked_at > this_update ? this_update : revoked_at;
}

#endif
