/*
 * about_example.c - see about_example.h.
 *
 * The request is what RFC 9919 (and RFC 5019 before it) clients send by GET:
 * one CertID hashed with SHA-1 (the issuer's name and key, a serial), no
 * nonce, no extension; its DER in base64, '+', '/' and '=' %-encoded as
 * clients write them (ocsp_request_to_get, RFC 6960 A.1).  It is made with the
 * first issuer's certificate, so the page shows a URL of this very origin,
 * whole, instead of a cut-short one a visitor cannot use: `lancre explain`
 * decodes it (naming the issuer with -d) and the server answers it.
 */
#include "server/about_example.h"

#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>

#include "ocsp/request.h"

#define ABOUT_EXAMPLE_SERIAL 1     /* the example's serial: any will do */
#define ABOUT_EXAMPLE_DER_MAX 512  /* a one-CertID request: about 70 bytes */

/* The request's DER into der[ABOUT_EXAMPLE_DER_MAX]: its length, or -1. */
static int
example_der(X509 *cert, unsigned char *der)
{
	X509_NAME *noname = cert == NULL ? X509_NAME_new() : NULL;
	ASN1_BIT_STRING *nokey = cert == NULL ? ASN1_BIT_STRING_new() : NULL;
	const X509_NAME *name = cert != NULL ? X509_get_subject_name(cert) : noname;
	const ASN1_BIT_STRING *key = cert != NULL ? X509_get0_pubkey_bitstr(cert) : nokey;
	ASN1_INTEGER *serial = ASN1_INTEGER_new();
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = NULL;
	unsigned char *p = der;
	int len = -1;

	if (name != NULL && key != NULL && serial != NULL && req != NULL &&
	    ASN1_INTEGER_set(serial, ABOUT_EXAMPLE_SERIAL) == 1 &&
	    (id = OCSP_cert_id_new(EVP_sha1(), name, key, serial)) != NULL &&
	    OCSP_request_add0_id(req, id) != NULL) {
		id = NULL; /* the request owns it */
		len = i2d_OCSP_REQUEST(req, NULL);
		len = len > 0 && len <= ABOUT_EXAMPLE_DER_MAX ? i2d_OCSP_REQUEST(req, &p) : -1;
	}
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	ASN1_INTEGER_free(serial);
	X509_NAME_free(noname);
	ASN1_BIT_STRING_free(nokey);
	return len;
}

char *
about_example_ocsp_url(const struct conf *c, const char *issuer, X509 *cert)
{
	unsigned char der[ABOUT_EXAMPLE_DER_MAX];
	char get[3 * 4 * ((ABOUT_EXAMPLE_DER_MAX + 2) / 3) + 1], *out = NULL;
	int n = example_der(cert, der);

	if (n < 0 || ocsp_request_to_get(der, (size_t)n, get, sizeof(get)) < 0)
		return NULL;
	if (c->domain[0] != '\0') {
		if (asprintf(&out, "http://%s.o.%s/%s", issuer != NULL ? issuer : "ca", c->domain,
			get) < 0)
			return NULL;
	} else if (asprintf(&out, "%s/ocsp/%s", c->base_url, get) < 0) {
		return NULL;
	}
	return out;
}
