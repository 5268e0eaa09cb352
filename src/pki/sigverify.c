/*
 * sigverify.c - see sigverify.h.
 */
#include "pki/sigverify.h"

#include <stdlib.h>

#include <openssl/err.h>

/*
 * A key and algorithm seen before: an EVP_PKEY_CTX initialised for
 * verification with the algorithm's digest (NULL when the key's type does
 * not fit the algorithm: such a pair never verifies).  The key is held
 * (EVP_PKEY_up_ref) so that its address cannot name another key while the
 * entry lives.
 */
struct sv_key {
	EVP_PKEY *pub;
	enum cert_sig_alg alg;
	EVP_PKEY_CTX *pctx;
};

struct sigverify {
	EVP_MD_CTX *ctx;  /* the slow path's EVP_DigestVerify */
	EVP_MD_CTX *hash; /* plain digests: never holds a key (see sigverify_check) */
	EVP_MD *sha256, *sha384, *sha512;
	struct sv_key keys[SIGVERIFY_KEYS];
	size_t nkeys;
	BN_CTX *bn; /* sigverify_check_table's arithmetic */
};

struct sigverify *
sigverify_new(void)
{
	struct sigverify *sv = calloc(1, sizeof(*sv));

	if (sv == NULL)
		return NULL;
	sv->ctx = EVP_MD_CTX_new();
	sv->hash = EVP_MD_CTX_new();
	sv->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	sv->sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
	sv->sha512 = EVP_MD_fetch(NULL, "SHA512", NULL);
	sv->bn = BN_CTX_new();
	if (sv->ctx == NULL || sv->hash == NULL || sv->sha256 == NULL || sv->sha384 == NULL ||
	    sv->sha512 == NULL || sv->bn == NULL) {
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
	for (size_t i = 0; i < sv->nkeys; i++) {
		EVP_PKEY_CTX_free(sv->keys[i].pctx);
		EVP_PKEY_free(sv->keys[i].pub);
	}
	EVP_MD_CTX_free(sv->ctx);
	EVP_MD_CTX_free(sv->hash);
	EVP_MD_free(sv->sha256);
	EVP_MD_free(sv->sha384);
	EVP_MD_free(sv->sha512);
	BN_CTX_free(sv->bn);
	free(sv);
}

/* The digest and the key type alg names (md NULL: EdDSA, which hashes inside). */
static const EVP_MD *
alg_md(const struct sigverify *sv, enum cert_sig_alg alg, const char **type)
{
	switch (alg) {
	case CERT_SIG_ECDSA_SHA256:
		*type = "EC";
		return sv->sha256;
	case CERT_SIG_ECDSA_SHA384:
		*type = "EC";
		return sv->sha384;
	case CERT_SIG_ECDSA_SHA512:
		*type = "EC";
		return sv->sha512;
	case CERT_SIG_RSA_SHA256:
		*type = "RSA";
		return sv->sha256;
	case CERT_SIG_RSA_SHA384:
		*type = "RSA";
		return sv->sha384;
	case CERT_SIG_RSA_SHA512:
		*type = "RSA";
		return sv->sha512;
	case CERT_SIG_ED25519:
		break;
	}
	*type = "ED25519";
	return NULL;
}

/*
 * The entry for (pub, alg), made on first use; NULL when the cache is full
 * or OpenSSL fails (the caller then verifies the slow way, which says no
 * differently if it must).
 */
static struct sv_key *
key_ctx(struct sigverify *sv, EVP_PKEY *pub, enum cert_sig_alg alg, const EVP_MD *md,
    const char *type)
{
	struct sv_key *k;

	for (size_t i = 0; i < sv->nkeys; i++) {
		if (sv->keys[i].pub == pub && sv->keys[i].alg == alg)
			return &sv->keys[i];
	}
	if (sv->nkeys == SIGVERIFY_KEYS || EVP_PKEY_up_ref(pub) != 1)
		return NULL;
	k = &sv->keys[sv->nkeys++];
	*k = (struct sv_key){pub, alg, NULL};
	if (!EVP_PKEY_is_a(pub, type))
		return k; /* the wrong type: never verifies */
	/* Default padding for an RSA key: PKCS#1 v1.5, what sha*WithRSAEncryption names. */
	if ((k->pctx = EVP_PKEY_CTX_new(pub, NULL)) == NULL || EVP_PKEY_verify_init(k->pctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(k->pctx, md) != 1) {
		EVP_PKEY_CTX_free(k->pctx);
		EVP_PKEY_free(pub);
		sv->nkeys--;
		ERR_clear_error();
		return NULL;
	}
	return k;
}

int
sigverify_check(struct sigverify *sv, EVP_PKEY *pub, enum cert_sig_alg alg, const uint8_t *tbs,
    size_t tbs_len, const uint8_t *sig, size_t sig_len)
{
	const char *type;
	const EVP_MD *md = alg_md(sv, alg, &type);
	uint8_t dgst[EVP_MAX_MD_SIZE];
	unsigned int dlen;
	struct sv_key *k;
	int ok;

	/*
	 * ECDSA and RSA: hash here, verify the digest with the key's context,
	 * made once: EVP_DigestVerifyInit fetches the signature algorithm and
	 * the digest by name, under locks, and builds fresh provider contexts
	 * for every certificate (as EVP_DigestSignInit does for signing,
	 * sigctx.h).  DigestVerify does the same two steps inside.  The
	 * digest has a context of its own: EVP_DigestInit on one that a
	 * DigestVerifyInit left its key in starts a verification instead.
	 */
	if (md != NULL && (k = key_ctx(sv, pub, alg, md, type)) != NULL) {
		ok = k->pctx != NULL && EVP_DigestInit_ex2(sv->hash, md, NULL) == 1 &&
		     EVP_DigestUpdate(sv->hash, tbs, tbs_len) == 1 &&
		     EVP_DigestFinal_ex(sv->hash, dgst, &dlen) == 1 &&
		     EVP_PKEY_verify(k->pctx, sig, sig_len, dgst, dlen) == 1;
		ERR_clear_error();
		return ok;
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
sigverify_check_table(struct sigverify *sv, const struct ecverify_key *table, EVP_PKEY *pub,
    enum cert_sig_alg alg, const uint8_t *tbs, size_t tbs_len, const uint8_t *sig,
    size_t sig_len)
{
	uint8_t dgst[32];

	if (table != NULL && alg == CERT_SIG_ECDSA_SHA256 &&
	    sigverify_sha256(sv, tbs, tbs_len, dgst) == 0 &&
	    ecverify_check(table, sv->bn, dgst, sig, sig_len) == 1)
		return 1;
	return sigverify_check(sv, pub, alg, tbs, tbs_len, sig, sig_len);
}

int
sigverify_sha256(struct sigverify *sv, const uint8_t *data, size_t len, uint8_t *out)
{
	unsigned int n;

	/* The context reused: EVP_Digest would allocate and free one per call. */
	return EVP_DigestInit_ex2(sv->hash, sv->sha256, NULL) == 1 &&
		       EVP_DigestUpdate(sv->hash, data, len) == 1 &&
		       EVP_DigestFinal_ex(sv->hash, out, &n) == 1
		   ? 0
		   : -1;
}
