/*
 * explain_ocsp.h - what the OCSP request and response printers share.
 */
#ifndef LANCRE_CLI_EXPLAIN_OCSP_H
#define LANCRE_CLI_EXPLAIN_OCSP_H

#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "cli/explain.h"
#include "lint/hex.h"

struct explain_certid {
	char serial[LINT_HEX_MAX];
	char hash[32];
	char name_hash[2 * EVP_MAX_MD_SIZE + 1], key_hash[2 * EVP_MAX_MD_SIZE + 1];
	char issuer[256]; /* short name, or a phrase saying it is unknown */
	X509 *issuer_cert; /* borrowed from the context, or NULL */
};

/* The known certificate whose name and key hash to id's, or NULL. */
X509 *explain_certid_issuer(const struct explain_ctx *c, OCSP_CERTID *id);
/* The CertID's facts, the issuer named when known. */
void explain_certid_read(const struct explain_ctx *c, OCSP_CERTID *id, struct explain_certid *out);
/* The "certid" object. */
void explain_certid_print(struct xout *o, const struct explain_certid *id);

#endif
