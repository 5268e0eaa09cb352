/*
 * urls.h - the URLs lancre serves for an issuer, as they go into the
 * certificates it issues (AIA OCSP and caIssuers, CRL Distribution Points).
 *
 * Two forms exist (PRODUCT.md, "URLs served"); lancre.conf's [urls] style
 * picks the one written into new certificates:
 *   path: <base>/ocsp             <base>/issuer/<name>     <base>/crl/<name>/<n>.crl
 *   host: http://<name>.o.<domain> http://<name>.i.<domain>/ http://<name>.c.<domain>/<n>.crl
 * Shards are numbered from 1.  Every function writes a NUL-terminated URL and
 * returns -1 only if it does not fit.
 */
#ifndef LANCRE_PKI_URLS_H
#define LANCRE_PKI_URLS_H

#include <stddef.h>

#include <openssl/x509.h>

#include "conf/conf.h"

#define URL_MAX 1024

int urls_ocsp(const struct conf *c, const char *issuer, char *buf, size_t len);
int urls_ca_issuers(const struct conf *c, const char *issuer, char *buf, size_t len);
int urls_crl_shard(const struct conf *c, const char *issuer, int shard, char *buf, size_t len);

/*
 * The delta CRL of shard n (0: of the full CRL): the base URL with "-delta"
 * before ".crl" (/crl/e1/3-delta.crl, /crl/e1-delta.crl; host form
 * http://e1.c.<domain>/3-delta.crl and /delta.crl).
 */
int urls_crl_delta(const struct conf *c, const char *issuer, int shard, char *buf, size_t len);

/*
 * The shard that uri (ulen bytes, not NUL-terminated) names for this issuer,
 * in either URL form, if it is between 1 and nshards; else 0.
 */
int urls_crl_shard_of(const struct conf *c, const char *issuer, int nshards, const char *uri,
    size_t ulen);

/*
 * The shard that x's own CRL Distribution Points name for this issuer, in
 * either URL form, if it is between 1 and nshards; 0 if x names none.  A
 * certificate's CRLDP is what clients fetch, so it decides the shard.
 */
int urls_shard_from_crldp(const struct conf *c, const char *issuer, int nshards, X509 *x);

/* The same from the DER of a CRLDistributionPoints extension value. */
int urls_shard_from_crldp_der(const struct conf *c, const char *issuer, int nshards,
    const uint8_t *der, size_t len);

#endif
