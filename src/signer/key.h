/*
 * key.h - loading issuer signing keys.  Only the signer and the admin
 * commands that register an issuer call this; the public server never links
 * a path that reaches it at run time.
 *
 * A key reference is either a PEM file path (labs, tests) or an RFC 7512
 * PKCS#11 URI ("pkcs11:token=ca;object=e1;type=private", with the PIN given
 * as pin-value=... or pin-source=file:...) for keys in an HSM, reached through
 * the libp11 engine and the module named in lancre.conf [pkcs11] module.
 */
#ifndef LANCRE_SIGNER_KEY_H
#define LANCRE_SIGNER_KEY_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf/conf.h"
#include "util/err.h"

/* 1 if ref is a PKCS#11 URI rather than a file path. */
int key_ref_is_pkcs11(const char *ref);

/*
 * Load the private key ref names; a relative file path is taken relative to
 * the data directory dir, so that a data directory can move.  Free with
 * EVP_PKEY_free().
 */
EVP_PKEY *key_load(const char *ref, const struct conf *c, const char *dir, struct err *e);

/*
 * Prove that key is the private half of cert's public key and that it can
 * sign: sign a test message with it and verify that with the certificate.
 * (Comparing public keys alone would not catch an HSM object that cannot sign.)
 */
int key_check_pair(EVP_PKEY *key, X509 *cert, struct err *e);

/* Load a key from a PKCS#11 token (signer/pkcs11.c). */
EVP_PKEY *key_load_pkcs11(const char *uri, const char *module, struct err *e);

#endif
