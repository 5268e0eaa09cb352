/*
 * certid.c - see certid.h.
 */
#include "ocsp/certid.h"

#include <openssl/objects.h>

size_t
ocsp_hash_len(enum ocsp_hash h)
{
	return h == OCSP_HASH_SHA256 ? 32 : 20;
}

const EVP_MD *
ocsp_hash_md(enum ocsp_hash h)
{
	return h == OCSP_HASH_SHA256 ? EVP_sha256() : EVP_sha1();
}

const char *
ocsp_hash_name(enum ocsp_hash h)
{
	return h == OCSP_HASH_SHA256 ? "SHA-256" : "SHA-1";
}

int
ocsp_hash_from_nid(int nid, enum ocsp_hash *out)
{
	if (nid == NID_sha1)
		*out = OCSP_HASH_SHA1;
	else if (nid == NID_sha256)
		*out = OCSP_HASH_SHA256;
	else
		return -1;
	return 0;
}

int
ocsp_issuer_hashes(X509 *issuer, struct ocsp_issuer_hashes *out, struct err *e)
{
	static const enum ocsp_hash hashes[] = {OCSP_HASH_SHA1, OCSP_HASH_SHA256};
	const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(issuer);
	unsigned char *name = NULL;
	int name_len = i2d_X509_NAME(X509_get_subject_name(issuer), &name);
	int rc = 0;

	if (key == NULL || name_len <= 0) {
		OPENSSL_free(name);
		return err_ossl(e, "reading the issuer's name and key");
	}
	for (size_t i = 0; rc == 0 && i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		int k = ocsp_hash_index(hashes[i]);
		const EVP_MD *md = ocsp_hash_md(hashes[i]);
		/* RFC 6960: the key hash covers the BIT STRING's value, without tag and length. */
		if (EVP_Digest(name, (size_t)name_len, out->name[k], NULL, md, NULL) != 1 ||
		    EVP_Digest(ASN1_STRING_get0_data(key), (size_t)ASN1_STRING_length(key),
			out->key[k], NULL, md, NULL) != 1)
			rc = err_ossl(e, "hashing the issuer");
	}
	OPENSSL_free(name);
	return rc;
}
