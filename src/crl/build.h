/*
 * build.h - building and signing one CRL (RFC 5280 5, CA/B Forum BR 7.2)
 * with OpenSSL's X509_CRL API.
 *
 *  - v2, issuer's subject as issuer, thisUpdate/nextUpdate as given;
 *  - extensions: CRL Number (from the caller: strictly increasing), Authority
 *    Key Identifier, and for a shard a critical Issuing Distribution Point
 *    naming exactly the shard's URL, with onlyContainsUserCerts when the
 *    issuer's certificates are all end-entity ones, onlyContainsCACerts when
 *    they are all CAs (an ARL: a root's intermediates; its full CRL then has
 *    an IDP with that flag alone), neither when they are both; for a base
 *    with deltas a Freshest CRL pointer, for a delta a critical Delta CRL
 *    Indicator naming its base's number (RFC 5280 5.2.4, 5.2.6);
 *  - one entry per revoked certificate: serial, revocation date, and the
 *    reason code extension unless the reason is unspecified (BR 7.2.2);
 *  - entries in serial order.
 */
#ifndef LANCRE_CRL_BUILD_H
#define LANCRE_CRL_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "store/store.h"
#include "util/err.h"

/* Which certificates a CRL covers (RFC 5280 5.2.5): those its issuer has recorded. */
enum crl_scope {
	CRL_SCOPE_USER = 0, /* end-entity certificates only (the default) */
	CRL_SCOPE_CA,       /* CA certificates only: an ARL */
	CRL_SCOPE_ALL,      /* both */
};

struct crl_params {
	X509 *issuer;
	EVP_PKEY *key;
	const char *idp_url; /* the shard's own URL; NULL for a full CRL (no IDP) */
	int64_t number;
	int64_t this_update, next_update;
	const char *freshest_url; /* a base CRL's delta (Freshest CRL extension), or NULL */
	int64_t delta_base;       /* > 0: this is a delta CRL over base number delta_base */
	enum crl_scope scope;
};

struct crl_builder;

struct crl_builder *crl_builder_new(const struct crl_params *p, struct err *e);
void crl_builder_free(struct crl_builder *b); /* accepts NULL */

/* Add the entry for a revoked certificate. */
int crl_builder_add(struct crl_builder *b, const struct cert_record *c, struct err *e);

/*
 * Sign; *der points to the DER CRL inside the builder (valid until
 * crl_builder_free).  Entries added: *count.  Call once.
 */
int crl_builder_finish(struct crl_builder *b, const unsigned char **der, size_t *len,
    size_t *count, struct err *e);

#endif
