/*
 * certid.h - the parts of an OCSP CertID that identify an issuer: the hash of
 * its subject name and the hash of its public key (RFC 6960 4.1.1), for each
 * hash algorithm lancre answers (SHA-1, which nearly every client sends, and
 * SHA-256).
 */
#ifndef LANCRE_OCSP_CERTID_H
#define LANCRE_OCSP_CERTID_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "store/store.h"
#include "util/err.h"

#define OCSP_HASH_MAX 32 /* SHA-256 */
#define OCSP_NHASH 2     /* SHA-1, SHA-256: index with ocsp_hash_index() */

struct ocsp_issuer_hashes {
	uint8_t name[OCSP_NHASH][OCSP_HASH_MAX];
	uint8_t key[OCSP_NHASH][OCSP_HASH_MAX];
};

/* 0 for SHA-1, 1 for SHA-256. */
static inline int
ocsp_hash_index(enum ocsp_hash h)
{
	return h == OCSP_HASH_SHA256;
}

size_t ocsp_hash_len(enum ocsp_hash h);
const EVP_MD *ocsp_hash_md(enum ocsp_hash h);
const char *ocsp_hash_name(enum ocsp_hash h);

/* The hash algorithm a CertID names, by OID; -1 if lancre does not answer it. */
int ocsp_hash_from_nid(int nid, enum ocsp_hash *out);

/* Name and key hashes of an issuer certificate, for every algorithm. */
int ocsp_issuer_hashes(X509 *issuer, struct ocsp_issuer_hashes *out, struct err *e);

#endif
