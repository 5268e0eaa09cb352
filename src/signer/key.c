/*
 * key.c - see key.h.
 *
 * A PEM key file is read whole into memory (keys are small: KEY_FILE_MAX),
 * decoded from there, and the buffer wiped, as is the passphrase read from
 * its file: neither outlives the load.  The passphrase goes to OpenSSL
 * through a callback of our own, never OpenSSL's default one, which would
 * prompt on a terminal (a daemon has none); an unencrypted key given a
 * passphrase file loads as it is.
 */
#include "signer/key.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include "pki/sigctx.h"
#include "util/fsutil.h"
#include "util/pkcs11_uri.h"

#define KEY_FILE_MAX (1 << 16) /* a PEM private key; RSA-16384 is about 13 KB */

int
key_ref_is_pkcs11(const char *ref)
{
	return strncmp(ref, "pkcs11:", 7) == 0;
}

/* A reference relative to the data directory dir, or absolute. */
static int
ref_path(const char *ref, const char *dir, char *path, size_t len, struct err *e)
{
	if (ref[0] == '/')
		return fs_path(path, len, e, "%s", ref);
	return fs_path(path, len, e, "%s/%s", dir, ref);
}

int
key_ref_files(const char *ref, const char *pass_ref, const struct conf *c, const char *dir,
    struct key_file *out, size_t *n, struct err *e)
{
	struct pkcs11_uri u;
	const char *module;

	*n = 0;
	if (!key_ref_is_pkcs11(ref)) {
		if (ref_path(ref, dir, out[0].path, sizeof(out[0].path), e) != 0)
			return -1;
		out[(*n)++].exec = 0;
		if (pass_ref == NULL || pass_ref[0] == '\0')
			return 0;
		if (ref_path(pass_ref, dir, out[1].path, sizeof(out[1].path), e) != 0)
			return -1;
		out[(*n)++].exec = 0;
		return 0;
	}
	if (pkcs11_uri_parse(ref, &u, e) != 0)
		return -1;
	if ((module = key_pkcs11_module(&u, c->pkcs11_module)) != NULL) {
		snprintf(out[*n].path, sizeof(out[*n].path), "%s", module);
		out[(*n)++].exec = 1;
	}
	if (u.pin_file[0] != '\0') {
		snprintf(out[*n].path, sizeof(out[*n].path), "%s", u.pin_file);
		out[(*n)++].exec = 0;
	}
	OPENSSL_cleanse(&u, sizeof(u));
	return 0;
}

int
key_pass_read(const char *pass_ref, const char *dir, char *out, size_t len, struct err *e)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	size_t n, total;

	if (ref_path(pass_ref, dir, path, sizeof(path), e) != 0)
		return -1;
	if (fs_read_all(path, KEY_PASS_MAX, &data, &total, e) != 0)
		return err_prefix(e, "passphrase file");
	n = total;
	/* The first line is the passphrase, as `openssl -passin file:` reads it. */
	for (size_t i = 0; i < n; i++) {
		if (data[i] == '\n' || data[i] == '\r') {
			n = i;
			break;
		}
	}
	if (n == 0 || n >= len) {
		OPENSSL_cleanse(data, total);
		free(data);
		return err_set(e, "passphrase file %s: %s", path,
		    n == 0 ? "empty" : "passphrase too long");
	}
	memcpy(out, data, n);
	out[n] = '\0';
	OPENSSL_cleanse(data, total);
	free(data);
	return 0;
}

/* OpenSSL's pem_password_cb: the passphrase we read, never a prompt. */
static int
pass_cb(char *buf, int size, int rwflag, void *u)
{
	size_t n = u != NULL ? strlen(u) : 0;

	(void)rwflag;
	if (n == 0 || n >= (size_t)size)
		return -1;
	memcpy(buf, u, n);
	return (int)n;
}

static EVP_PKEY *
load_pem(const char *path, const char *pass, struct err *e)
{
	uint8_t *data = NULL;
	size_t len;
	BIO *bio;
	EVP_PKEY *k = NULL;
	int encrypted;

	if (fs_read_all(path, KEY_FILE_MAX, &data, &len, e) != 0) {
		err_prefix(e, "cannot read key");
		return NULL;
	}
	encrypted = strstr((const char *)data, "ENCRYPTED") != NULL;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio != NULL)
		k = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, (void *)pass);
	BIO_free(bio);
	OPENSSL_cleanse(data, len);
	free(data);
	if (k != NULL)
		return k;
	if (encrypted && pass == NULL)
		err_set(e, "%s is an encrypted PEM key: give the file holding its passphrase "
			   "(--passphrase-file)", path);
	else if (encrypted)
		err_set(e, "%s: wrong passphrase, or a key OpenSSL cannot decrypt", path);
	else
		err_ossl(e, "%s is not a PEM private key", path);
	ERR_clear_error();
	return NULL;
}

EVP_PKEY *
key_load(const char *ref, const char *pass_ref, const struct conf *c, const char *dir,
    struct err *e)
{
	char path[PATH_MAX], pass[KEY_PASS_MAX];
	EVP_PKEY *k;

	if (key_ref_is_pkcs11(ref))
		return key_load_pkcs11(ref, c, e);
	if (ref_path(ref, dir, path, sizeof(path), e) != 0)
		return NULL;
	if (pass_ref == NULL || pass_ref[0] == '\0')
		return load_pem(path, NULL, e);
	if (key_pass_read(pass_ref, dir, pass, sizeof(pass), e) != 0)
		return NULL;
	k = load_pem(path, pass, e);
	OPENSSL_cleanse(pass, sizeof(pass));
	return k;
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
