/*
 * spki.h - the key a by-key revocation names (issue 19: "a public key or
 * certificate; every certificate with that key is revoked keyCompromise").
 *
 * Certificates are found by the SHA-256 of their DER SubjectPublicKeyInfo,
 * the bytes the certificate carries (pki/certparse.h, certparse_spki; the
 * store's cert_record.spki_sha256), the hash crt.sh shows as "SPKI SHA-256".
 * What an operator has at hand when a key is reported compromised:
 *   - a PEM "PUBLIC KEY" (SubjectPublicKeyInfo: `openssl x509 -pubkey`,
 *     `openssl pkey -pubout`), hashed as given;
 *   - a PEM "RSA PUBLIC KEY" (PKCS#1), put in a SubjectPublicKeyInfo as a
 *     certificate carries an RSA key (rsaEncryption, NULL parameters);
 *   - a PEM "CERTIFICATE", whose SubjectPublicKeyInfo is hashed;
 *   - one of those as DER (a certificate, or a SubjectPublicKeyInfo).
 * Exactly one key or certificate: more than one PEM block, a private key, or
 * bytes that are neither are refused with one line saying what was found.
 * A public key is checked to decode (OpenSSL) but kept as its bytes: the
 * same key encoded differently (an EC point compressed) is another key here,
 * as it would be in a certificate.
 */
#ifndef LANCRE_PKI_SPKI_H
#define LANCRE_PKI_SPKI_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

#define SPKI_INPUT_MAX (64 * 1024) /* a key or certificate, PEM: far more than any */
#define SPKI_HEX_LEN (2 * STORE_SPKI_HASH_LEN)

/* The SHA-256 of the SubjectPublicKeyInfo that data (len bytes) holds, into out; or -1 with e. */
int spki_hash_input(const uint8_t *data, size_t len, uint8_t out[STORE_SPKI_HASH_LEN],
    struct err *e);

/* The hash as 64 lowercase hex digits and a NUL. */
void spki_hex(const uint8_t h[STORE_SPKI_HASH_LEN], char out[SPKI_HEX_LEN + 1]);

/* 64 hex digits (either case, nothing else) into h: 0, or -1 with e. */
int spki_parse_hex(const char *s, uint8_t h[STORE_SPKI_HASH_LEN], struct err *e);

#endif
