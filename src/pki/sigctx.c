/*
 * sigctx.c - see sigctx.h.
 */
#include "pki/sigctx.h"

#include <string.h>

int
sigctx_init(struct sigctx *s, EVP_PKEY *key, struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->eddsa = EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448");
	s->mctx = EVP_MD_CTX_new();
	if (s->mctx == NULL) {
		sigctx_clear(s);
		return err_set(e, "out of memory");
	}
	if (s->eddsa)
		return 0;
	s->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	s->pctx = EVP_PKEY_CTX_new(key, NULL);
	if (s->sha256 == NULL || s->pctx == NULL || EVP_PKEY_sign_init(s->pctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(s->pctx, s->sha256) != 1) {
		sigctx_clear(s);
		return err_ossl(e, "setting up signing with the key");
	}
	return 0;
}

void
sigctx_clear(struct sigctx *s)
{
	EVP_PKEY_CTX_free(s->pctx);
	EVP_MD_CTX_free(s->mctx);
	EVP_MD_free(s->sha256);
	memset(s, 0, sizeof(*s));
}

size_t
sigctx_max(const struct sigctx *s)
{
	int n = EVP_PKEY_get_size(s->key);

	return n > 0 ? (size_t)n : 0;
}

int
sigctx_sign(struct sigctx *s, const uint8_t *msg, size_t len, uint8_t *sig, size_t *siglen,
    struct err *e)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;

	*siglen = sigctx_max(s);
	if (s->eddsa) {
		if (EVP_DigestSignInit(s->mctx, NULL, NULL, NULL, s->key) != 1 ||
		    EVP_DigestSign(s->mctx, sig, siglen, msg, len) != 1)
			return err_ossl(e, "signing");
		return 0;
	}
	if (EVP_DigestInit_ex2(s->mctx, s->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(s->mctx, msg, len) != 1 ||
	    EVP_DigestFinal_ex(s->mctx, md, &mdlen) != 1 ||
	    EVP_PKEY_sign(s->pctx, sig, siglen, md, mdlen) != 1)
		return err_ossl(e, "signing");
	return 0;
}
