/*
 * key.c - see key.h.
 */
#include "signer/key.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include "pki/sigctx.h"

int
key_ref_is_pkcs11(const char *ref)
{
	return strncmp(ref, "pkcs11:", 7) == 0;
}

static EVP_PKEY *
load_pem(const char *path, struct err *e)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL) {
		err_set(e, "cannot open key %s: %s", path, strerror(errno));
		return NULL;
	}
	/* No passphrase callback: an encrypted key fails here instead of prompting a daemon. */
	k = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
	fclose(f);
	if (k == NULL)
		err_ossl(e, "%s is not an unencrypted PEM private key", path);
	return k;
}

EVP_PKEY *
key_load(const char *ref, const struct conf *c, const char *dir, struct err *e)
{
	char path[4096];

	if (key_ref_is_pkcs11(ref))
		return key_load_pkcs11(ref, c->pkcs11_module, e);
	if (ref[0] == '/')
		return load_pem(ref, e);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, ref) >= sizeof(path)) {
		err_set(e, "key path too long");
		return NULL;
	}
	return load_pem(path, e);
}

int
key_check_pair(EVP_PKEY *key, X509 *cert, struct err *e)
{
	unsigned char msg[32], sig[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY *pub = X509_get0_pubkey(cert);
	const EVP_MD *md = sigctx_md(key); /* as everything the key signs */
	int ok = 0;

	if (ctx == NULL || pub == NULL)
		goto done;
	if (RAND_bytes(msg, sizeof(msg)) != 1)
		goto done;
	if (EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg)) != 1) {
		EVP_MD_CTX_free(ctx);
		return err_ossl(e, "the key cannot sign");
	}
	EVP_MD_CTX_reset(ctx);
	ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, pub) == 1 &&
	     EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg)) == 1;
done:
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return err_set(e, "the key does not match the certificate's public key");
	return 0;
}
