/*
 * urlcheck.h - does lancre serve the URLs a certificate names?
 *
 * A certificate's CRL Distribution Points and Authority Information Access
 * (OCSP, caIssuers) are where clients will look for its status, for as long
 * as it lives.  One naming a URL lancre never serves for its issuer (shard 9
 * of an issuer with 4, another issuer's CRL, another host) is refused at
 * intake, or recorded with a warning when the operator says so: after a
 * revocation, that URL would be 404 and `openssl verify -crl_check` would
 * fail with "different CRL scope".  Served, for issuer N (PRODUCT.md, "URLs
 * served"), in both forms whatever [urls] style says, since the server
 * answers both:
 *   CRL    <base>/crl/N/<k>.crl, k in 1..shards; <base>/crl/N.crl if [crl] full
 *          http://N.c.<domain>/<k>.crl; http://N.c.<domain>/ if [crl] full
 *   OCSP   <base>/ocsp; http://N.o.<domain>
 *   CA     <base>/issuer/N (.der, .pem); http://N.i.<domain>/
 * (a trailing slash on the host form is optional).  Names that are not URIs
 * are not fetched over HTTP and are left alone; no extension at all is fine.
 */
#ifndef LANCRE_INTAKE_URLCHECK_H
#define LANCRE_INTAKE_URLCHECK_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "conf/conf.h"
#include "store/store.h"
#include "util/err.h"

/*
 * 0 if every URI of the CRLDistributionPoints (crldp) and
 * AuthorityInfoAccessSyntax (aia) extension values (DER, either NULL) is one
 * lancre serves for issuer is; else -1 naming the first that is not.
 */
int urlcheck_der(const struct conf *c, const struct issuer_record *is, const uint8_t *crldp,
    size_t crldp_len, const uint8_t *aia, size_t aia_len, struct err *e);

/* The same for a parsed certificate. */
int urlcheck_x509(const struct conf *c, const struct issuer_record *is, X509 *x, struct err *e);

#endif
