/*
 * verify.h - checking the signatures of what the store gives the server.
 *
 * The server holds no private key, but it has every issuer's certificate:
 * enough to check what it serves.  A byte flipped in lancre.db (a failing
 * disk, a bad copy) used to reach clients as an HTTP 200 CRL that `openssl
 * crl -CAfile` rejects, and as OCSP answers with bad signatures.  Snapshots
 * (snapshot.c) verify each CRL once, when a catalog loads it, and a sample of
 * the OCSP responses of every load (VERIFY_OCSP_FIRST, then one in
 * VERIFY_OCSP_EVERY: all of a million would cost a minute of ECDSA on every
 * base rebuild); what fails is never served.
 */
#ifndef LANCRE_SERVER_VERIFY_H
#define LANCRE_SERVER_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define VERIFY_OCSP_FIRST 16   /* the first responses of each load, all checked */
#define VERIFY_OCSP_EVERY 1024 /* and after them, one in this many */

/* 1 when der is a CRL whose signature issuer's key verifies, else 0. */
int verify_crl(const uint8_t *der, size_t len, X509 *issuer);

/*
 * 1 when der is a successful OCSP response signed by issuer, or by the
 * delegated responder whose certificate it carries, else 0.
 */
int verify_ocsp(const uint8_t *der, size_t len, X509 *issuer);

#endif
