/*
 * pkcs7.h - certificates inside a PKCS#7 bundle (.p7b, .p7c: a SignedData
 * with certificates and no content, as `openssl crl2pkcs7 -nocrl` and
 * Windows' certificate export write it), DER or the body of a PEM PKCS7
 * block.  Read with OpenSSL's PKCS7 API; the reader (cert.h) hands each
 * certificate on like any other.
 */
#ifndef LANCRE_PKI_PKCS7_H
#define LANCRE_PKI_PKCS7_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define PKCS7_DER_MAX (16 << 20) /* a bundle of ~10,000 certificates */

struct pkcs7_certs {
	uint8_t **der; /* each certificate's DER, owned */
	size_t *len;
	size_t n;
};

/* 1 if der[0..len) is a ContentInfo of type signedData (1.2.840.113549.1.7.2). */
int pkcs7_is_signed_data(const uint8_t *der, size_t len);

/* The certificates of the bundle, in its order (none is fine). -1 if it is not PKCS#7. */
int pkcs7_certs_read(const uint8_t *der, size_t len, struct pkcs7_certs *out, struct err *e);
void pkcs7_certs_free(struct pkcs7_certs *c); /* accepts an emptied one */

#endif
