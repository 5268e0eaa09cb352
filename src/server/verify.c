/*
 * verify.c - see verify.h.  OpenSSL's own checks: X509_CRL_verify for a CRL,
 * OCSP_basic_verify for a response, trusting the issuer's certificate as
 * given (the server's store is the trust anchor here: the question is only
 * whether the bytes are the ones that were signed).
 */
#include "server/verify.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>

int
verify_crl(const uint8_t *der, size_t len, X509 *issuer)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	EVP_PKEY *pub = X509_get0_pubkey(issuer);
	int ok = crl != NULL && pub != NULL && p == der + len && X509_CRL_verify(crl, pub) == 1;

	X509_CRL_free(crl);
	ERR_clear_error();
	return ok;
}

int
verify_ocsp(const uint8_t *der, size_t len, X509 *issuer)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	STACK_OF(X509) *certs = sk_X509_new_null();
	int ok = 0;

	if (resp == NULL || p != der + len || certs == NULL ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL || !sk_X509_push(certs, issuer))
		goto out;
	/* NOVERIFY: no chain building; the signature is still checked, by the signer found. */
	ok = OCSP_basic_verify(bs, certs, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER) == 1;
out:
	sk_X509_free(certs);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return ok;
}
