/*
 * issuer_add.h - registering an issuing CA: every check that catches a wrong
 * certificate or key before anything is signed with it.
 */
#ifndef LANCRE_INTAKE_ISSUER_ADD_H
#define LANCRE_INTAKE_ISSUER_ADD_H

#include <openssl/x509.h>

#include "conf/conf.h"
#include "store/store.h"
#include "util/err.h"

/*
 * Register cert under name with the key at key_ref (a PEM path, relative to
 * dir or absolute, or a pkcs11: URI; an encrypted PEM key with pass_ref, the
 * file holding its passphrase, else NULL).  Refuses a bad name, a certificate that
 * is not a CA allowed to sign certificates and CRLs, an expired one, a key
 * that does not match or cannot sign, and a certificate already registered.
 * shards 0 means the configured default.  On success, sets *id and describes the key
 * ("ECDSA prime256v1") in key_desc.
 */
int issuer_register(struct store *s, const struct conf *c, const char *dir, const char *name,
    X509 *cert, const char *key_ref, const char *pass_ref, int shards, int64_t *id,
    char *key_desc, size_t desc_len, struct err *e);

/*
 * Make responder (with the key at key_ref) the delegated OCSP responder of
 * the issuer issuer_id, whose certificate is issuer: RFC 6960 4.2.2.2 wants
 * it issued by that CA with id-kp-OCSPSigning, and id-pkix-ocsp-nocheck
 * tells clients not to check its own revocation.  Refuses otherwise, and
 * when the key does not match or the certificate has expired.  Every
 * response of the issuer is then re-signed by the responder.
 */
int issuer_set_responder(struct store *s, const struct conf *c, const char *dir,
    int64_t issuer_id, X509 *issuer, X509 *responder, const char *key_ref, struct err *e);

/*
 * A key reference (and passphrase file, or NULL) fit to be stored: not too
 * long, and no PIN in a PKCS#11 URI (pin-value=: refused, pointing to
 * pin-source=file:PATH and LANCRE_PKCS11_PIN).
 */
int issuer_key_ref_check(const char *key_ref, const char *pass_ref, struct err *e);

#endif
