/*
 * request.h - turning what a client sent into the CertID it asks about.
 *
 * GET requests carry the DER request base64-encoded in the path (RFC 6960
 * Appendix A, RFC 5019 5), and real clients and proxies mangle it in every way
 * the path allows.  ocsp_request_from_get() accepts all of these at once:
 *   - URL-encoded or raw base64, percent escapes in either case (%2B, %2f);
 *   - '+' that arrived as a space (or %20), as a form decoder would leave it;
 *   - the base64url alphabet ('-' and '_');
 *   - missing '=' padding;
 *   - leading slashes from a doubled '/' (a DER request's base64 starts with
 *     'M', never '/', so they cannot be part of it).
 * The request is then parsed with OpenSSL; the first CertID is the one
 * answered (RFC 5019 allows one per request) and nonces are ignored, since
 * responses are pre-signed and cacheable.
 */
#ifndef LANCRE_OCSP_REQUEST_H
#define LANCRE_OCSP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"

#define OCSP_GET_PATH_MAX 2048        /* base64 part of a GET path we look at */
#define OCSP_REQUEST_MAX (10 * 1024)  /* POST body limit (PRODUCT.md) */
#define OCSP_GET_DER_MAX (OCSP_GET_PATH_MAX / 4 * 3 + 3)

struct ocsp_query {
	enum ocsp_hash hash;
	uint8_t name_hash[OCSP_HASH_MAX];
	uint8_t key_hash[OCSP_HASH_MAX];
	uint8_t serial[STORE_SERIAL_MAX];
	size_t serial_len;
};

enum ocsp_request_result {
	OCSP_REQUEST_OK = 0,
	OCSP_REQUEST_MALFORMED = -1,   /* not base64, not an OCSPRequest, no CertID */
	OCSP_REQUEST_UNSUPPORTED = -2, /* a hash algorithm lancre does not answer */
};

/*
 * Decode the base64 part of a GET path (everything after "/ocsp/", or after
 * "/" on an OCSP host) into out, which holds OCSP_GET_DER_MAX bytes.
 */
int ocsp_request_from_get(const char *path, size_t len, uint8_t *out, size_t *out_len);

/*
 * The other way, as clients send it (RFC 6960 Appendix A): der in base64,
 * '+', '/' and '=' %-encoded, NUL-terminated into out[outlen]; its length,
 * or -1 if out is too small.  ocsp_request_from_get() reads it back.
 */
int ocsp_request_to_get(const uint8_t *der, size_t len, char *out, size_t outlen);

/*
 * Parse a DER OCSPRequest and take its first CertID: by hand for the common
 * shape, else with OpenSSL (see request.c); the result is the same.
 */
int ocsp_request_parse(const uint8_t *der, size_t len, struct ocsp_query *q);

/* Its two halves, for the tests and the fuzzer: */
/* 1 with q filled if der has the common shape, else 0 (never an error). */
int ocsp_request_parse_fast(const uint8_t *der, size_t len, struct ocsp_query *q);
/* OpenSSL's d2i_OCSP_REQUEST only. */
int ocsp_request_parse_openssl(const uint8_t *der, size_t len, struct ocsp_query *q);
/* 1 if ocsp_request_parse() and ocsp_request_parse_openssl() give the same result and query. */
int ocsp_request_parsers_agree(const uint8_t *der, size_t len);

#endif
