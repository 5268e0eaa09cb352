/*
 * sigctx.c - see sigctx.h.
 */
#include "pki/sigctx.h"

#include <string.h>

const EVP_MD *
sigctx_md(const EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;
	case EVP_PKEY_EC: /* a digest as long as the curve's order, at least SHA-256 */
		if (EVP_PKEY_get_bits(key) > 384)
			return EVP_sha512();
		return EVP_PKEY_get_bits(key) > 256 ? EVP_sha384() : EVP_sha256();
	default: /* RSA */
		return EVP_sha256();
	}
}

const char *
sigctx_md_name(const EVP_PKEY *key)
{
	const EVP_MD *md = sigctx_md(key);

	return md == NULL ? NULL : EVP_MD_get0_name(md);
}

int
sigctx_init(struct sigctx *s, EVP_PKEY *key, struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->key = key;
	s->eddsa = sigctx_md_name(key) == NULL;
	s->mctx = EVP_MD_CTX_new();
	if (s->mctx == NULL) {
		sigctx_clear(s);
		return err_set(e, "out of memory");
	}
	if (s->eddsa)
		return 0;
	s->md = EVP_MD_fetch(NULL, sigctx_md_name(key), NULL);
	s->pctx = EVP_PKEY_CTX_new(key, NULL);
	if (s->md == NULL || s->pctx == NULL || EVP_PKEY_sign_init(s->pctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(s->pctx, s->md) != 1) {
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
	EVP_MD_free(s->md);
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
	if (EVP_DigestInit_ex2(s->mctx, s->md, NULL) != 1 ||
	    EVP_DigestUpdate(s->mctx, msg, len) != 1 ||
	    EVP_DigestFinal_ex(s->mctx, md, &mdlen) != 1 ||
	    EVP_PKEY_sign(s->pctx, sig, siglen, md, mdlen) != 1)
		return err_ossl(e, "signing");
	return 0;
}
