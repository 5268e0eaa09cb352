/*
 * sigverify.c - see sigverify.h.
 */
#include "pki/sigverify.h"

#include <stdlib.h>

#include <openssl/err.h>

struct sigverify {
	EVP_MD_CTX *ctx;
	EVP_MD *sha256, *sha384, *sha512;
};

struct sigverify *
sigverify_new(void)
{
	struct sigverify *sv = calloc(1, sizeof(*sv));

	if (sv == NULL)
		return NULL;
	sv->ctx = EVP_MD_CTX_new();
	sv->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	sv->sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	sv->sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
	if (sv->ctx == NULL || sv->sha256 == NULL || sv->sha384 == NULL || sv->sha512 == NULL) {
		sigverify_free(sv);
		return NULL;
	}
	return sv;
}

void
sigverify_free(struct sigverify *sv)
{
	if (sv == NULL)
		return;
	EVP_MD_CTX_free(sv->ctx);
	EVP_MD_free(sv->sha256);
	EVP_MD_free(sv->sha384);
	EVP_MD_free(sv->sha512);
	free(sv);
}

int
sigverify_check(struct sigverify *sv, EVP_PKEY *pub, enum cert_sig_alg alg, const uint8_t *tbs,
    size_t tbs_len, const uint8_t *sig, size_t sig_len)
{
	const EVP_MD *md = NULL;
	const char *type = "EC";
	int ok;

	switch (alg) {
	case CERT_SIG_ECDSA_SHA256:
		md = sv->sha256;
		break;
	case CERT_SIG_ECDSA_SHA384:
		md = sv->sha384;
		break;
	case CERT_SIG_ECDSA_SHA512:
		md = sv->sha512;
		break;
	case CERT_SIG_RSA_SHA256:
		md = sv->sha256;
		type = "RSA";
		break;
	case CERT_SIG_RSA_SHA384:
		md = sv->sha384;
		type = "RSA";
		break;
	case CERT_SIG_RSA_SHA512:
		md = sv->sha512;
		type = "RSA";
		break;
	case CERT_SIG_ED25519:
		type = "ED25519";
		break;
	}
	if (!EVP_PKEY_is_a(pub, type))
		return 0;
	EVP_MD_CTX_reset(sv->ctx);
	ok = EVP_DigestVerifyInit(sv->ctx, NULL, md, NULL, pub) == 1 &&
	     EVP_DigestVerify(sv->ctx, sig, sig_len, tbs, tbs_len) == 1;
	ERR_clear_error();
	return ok;
}

int
sigverify_sha256(struct sigverify *sv, const uint8_t *data, size_t len, uint8_t *out)
{
	return EVP_Digest(data, len, out, NULL, sv->sha256, NULL) == 1 ? 0 : -1;
}
