/*
 * pkcs7.c - see pkcs7.h.  The certificates are re-encoded (i2d_X509) as
 * they were decoded; OpenSSL keeps the original encoding of each, so the
 * bytes recorded are the CA's own.
 */
#include "pki/pkcs7.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

int
pkcs7_is_signed_data(const uint8_t *der, size_t len)
{
	/* SEQUENCE header, then OBJECT IDENTIFIER 1.2.840.113549.1.7.2 */
	static const uint8_t oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07,
	    0x02};
	size_t hdr;

	if (len < 2 || der[0] != 0x30)
		return 0;
	hdr = der[1] < 0x80 ? 2 : 2 + (size_t)(der[1] & 0x7f);
	return len >= hdr + sizeof(oid) && memcmp(der + hdr, oid, sizeof(oid)) == 0;
}

void
pkcs7_certs_free(struct pkcs7_certs *c)
{
	for (size_t i = 0; i < c->n; i++)
		OPENSSL_free(c->der[i]);
	free(c->der);
	free(c->len);
	memset(c, 0, sizeof(*c));
}

int
pkcs7_certs_read(const uint8_t *der, size_t len, struct pkcs7_certs *out, struct err *e)
{
	const unsigned char *p = der;
	PKCS7 *p7;
	STACK_OF(X509) *certs = NULL;
	int n, rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > PKCS7_DER_MAX)
		return err_set(e, "PKCS#7 bundle larger than %d bytes", PKCS7_DER_MAX);
	p7 = d2i_PKCS7(NULL, &p, (long)len);
	if (p7 == NULL || p != der + len || !PKCS7_type_is_signed(p7)) {
		err_ossl(e, "not a valid PKCS#7 certificate bundle");
		goto out;
	}
	if (p7->d.sign != NULL)
		certs = p7->d.sign->cert;
	n = certs != NULL ? sk_X509_num(certs) : 0;
	out->der = calloc((size_t)n + 1, sizeof(*out->der));
	out->len = calloc((size_t)n + 1, sizeof(*out->len));
	if (out->der == NULL || out->len == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		int l = i2d_X509(sk_X509_value(certs, i), &out->der[out->n]);
		if (l <= 0) {
			err_ossl(e, "re-encoding a certificate of the PKCS#7 bundle");
			goto out;
		}
		out->len[out->n++] = (size_t)l;
	}
	rc = 0;
out:
	if (rc != 0)
		pkcs7_certs_free(out);
	PKCS7_free(p7);
	ERR_clear_error();
	return rc;
}
