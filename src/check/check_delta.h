/*
 * check_delta.h - the delta CRL a base CRL names, as check_delta.c says.
 */
#ifndef LANCRE_CHECK_CHECK_DELTA_H
#define LANCRE_CHECK_CHECK_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "check/check.h"

/*
 * After the base (extensions base_exts) decided r for leaf: when it names
 * an http(s) delta, fetch and apply it.  0 with r as decided (by the base
 * alone when it names no delta, or when it says revoked for good and the
 * delta is unusable), -1 when the base's answer cannot stand without the
 * delta (r->why says why).
 */
int check_delta(X509 *leaf, X509 *issuer, const STACK_OF(X509_EXTENSION) *base_exts, int64_t now,
    int skew, const struct check_cache *cache, struct check_result *r);

/* RFC 5280 5.2.4: the delta applies to this base (numbers, indicator, scope); else 0 and why. */
int check_delta_applies(const STACK_OF(X509_EXTENSION) *base, const STACK_OF(X509_EXTENSION) *delta,
    char *why, size_t wlen);

/* The delta's entry for the serial (NULL: none) over the base's answer in r. */
void check_delta_decide(const X509_REVOKED *entry, struct check_result *r);

#endif
