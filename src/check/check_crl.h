/*
 * check_crl.h - what check_crl.c shares with the delta CRL check
 * (check_delta.c): a CRL fetched, streamed and validated.
 */
#ifndef LANCRE_CHECK_CHECK_CRL_H
#define LANCRE_CHECK_CHECK_CRL_H

#include <stdint.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "check/check.h"
#include "check/crl_stream.h"

/*
 * Fetch url as a "crl" step (kind, a static string) and stream it looking
 * for leaf's serial; the CRL returned is whole, signed by issuer, has no
 * unknown critical extension and is fresh (r->this_update/next_update set).
 * NULL with r->why (and the step's note) saying why it was refused.  The
 * caller checks the scope and frees the stream.
 */
struct crl_stream *check_crl_fetch(X509 *leaf, X509 *issuer, const char *url, const char *kind,
    int64_t now, int skew, const struct check_cache *cache, struct check_result *r);

/*
 * The first http:// or https:// fullName URI of dps (a CRL Distribution Points
 * or Freshest CRL extension) into buf; 0 when there is none or it does not fit.
 */
int check_dp_http_url(const STACK_OF(DIST_POINT) *dps, char *buf, size_t len);

/* The CRL the last step fetched was refused after all: r->why says why. */
void check_crl_refused(struct check_result *r);

#endif
