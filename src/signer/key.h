/*
 * key.h - loading issuer signing keys.  Only the signer and the admin
 * commands that register an issuer call this; the public server never links
 * a path that reaches it at run time.
 *
 * A key reference is either a PEM file path (labs, tests) or an RFC 7512
 * PKCS#11 URI ("pkcs11:token=ca;object=e1;type=private?pin-source=file:/p")
 * for keys in an HSM, reached through Cryptoki (signer/pkcs11.c: which
 * module, where the PIN comes from), the URI read by util/pkcs11_uri.c (a
 * pin-value= is refused).
 *
 * An encrypted PEM key comes with a passphrase reference: the path of a file
 * whose first line is the passphrase (like a PKCS#11 pin-source), recorded
 * instead of the passphrase itself and read at each load; the passphrase is
 * wiped (OPENSSL_cleanse) as soon as the key is decrypted.
 */
#ifndef LANCRE_SIGNER_KEY_H
#define LANCRE_SIGNER_KEY_H

#include <limits.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf/conf.h"
#include "util/err.h"

/* 1 if ref is a PKCS#11 URI rather than a file path. */
int key_ref_is_pkcs11(const char *ref);

#define KEY_PASS_MAX 1024 /* bytes of a passphrase file read, and of a passphrase + 1 */

/*
 * Load the private key ref names, decrypting a PEM key with the passphrase
 * in the file pass_ref (NULL or "": none); relative file paths are taken
 * relative to the data directory dir, so that a data directory can move.
 * Free with EVP_PKEY_free().
 */
EVP_PKEY *key_load(const char *ref, const char *pass_ref, const struct conf *c,
    const char *dir, struct err *e);

/*
 * The passphrase in the file pass_ref (its first line, without the line
 * end) into out[len]; refuses an empty one.  The caller wipes out.
 */
int key_pass_read(const char *pass_ref, const char *dir, char *out, size_t len, struct err *e);

/*
 * Prove that key is the private half of cert's public key and that it can
 * sign: sign a test message with it and verify that with the certificate.
 * (Comparing public keys alone would not catch an HSM object that cannot sign.)
 */
int key_check_pair(EVP_PKEY *key, X509 *cert, struct err *e);

/*
 * Load a key from a PKCS#11 token (signer/pkcs11.c): the module is the
 * URI's module-path=, else c's [pkcs11] module, else PKCS11_MODULE_PATH;
 * the PIN the file of its pin-source=, else LANCRE_PKCS11_PIN.  The key
 * signs through a pool of sessions, up to c's [pkcs11] sessions at once.
 * Error messages never repeat the URI.
 */
EVP_PKEY *key_load_pkcs11(const char *uri, const struct conf *c, struct err *e);

struct pkcs11_uri;
/* The module for u: module-path=, else conf_module ([pkcs11] module), else PKCS11_MODULE_PATH; or NULL. */
const char *key_pkcs11_module(const struct pkcs11_uri *u, const char *conf_module);

#define KEY_REF_FILES_MAX 2 /* a key and its passphrase file, or a module and a PIN file */

/* A file a key reference makes the signer read; exec: a module it loads as code. */
struct key_file {
	char path[PATH_MAX]; /* as key_load() opens it: absolute, or relative to the cwd */
	int exec;
};

/*
 * The files that loading ref (and pass_ref, NULL or "": none) reads, into
 * out[*n] (at most KEY_REF_FILES_MAX): a PEM key file and its passphrase
 * file, or a PKCS#11 URI's module and pin-source file.  For the signer's
 * sandbox (which files it may read) and its check of a key added later.
 */
int key_ref_files(const char *ref, const char *pass_ref, const struct conf *c, const char *dir,
    struct key_file *out, size_t *n, struct err *e);

/*
 * The PIN in the file path: its first line, without the line end if there
 * is one, into out[len].  Refuses a file group or others may read, an empty
 * PIN and a longer one.  The caller wipes out.
 */
int pkcs11_pin_read(const char *path, char *out, size_t len, struct err *e);

#endif
