/*
 * cert.h - reading certificates from files as CAs hand them over, and the
 * facts lancre keeps about each one.
 *
 * A file may hold one DER certificate, several DER certificates back to back,
 * or PEM text with any number of CERTIFICATE blocks among other blocks (keys,
 * CRLs: those are skipped); a PKCS#7 bundle (.p7b, DER or a PEM PKCS7 block,
 * pkcs7.h) stands for the certificates it holds.  `struct cert_reader` walks such a buffer and
 * yields each certificate's DER without copying it when it was DER already.
 */
#ifndef LANCRE_PKI_CERT_H
#define LANCRE_PKI_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "pki/pkcs7.h"
#include "store/store.h"
#include "util/err.h"

#define CERT_DER_MAX (64 * 1024) /* larger than any sane certificate */

struct cert_reader {
	const uint8_t *data, *p, *end;
	int pem;        /* the buffer is PEM text */
	size_t index;   /* 1-based number of the certificate last returned */
	uint8_t *buf;   /* decoded PEM block; owned */
	const uint8_t *cur; /* the certificate to return */
	size_t cur_len;
	struct pkcs7_certs p7; /* certificates of the last PKCS#7 bundle read; owned */
	size_t p7_next;        /* the next of them to return */
};

/* Start reading data[0..len).  Decides PEM or DER from the first bytes. */
void cert_reader_init(struct cert_reader *r, const uint8_t *data, size_t len);
void cert_reader_free(struct cert_reader *r);

/*
 * The next certificate's DER.  Returns 1 and sets *der and *len (valid until the
 * next call), 0 at the end, or -1 when the next certificate cannot be read
 * (bad base64, a PEM block without its END line, garbage or truncated DER):
 * the message says why, and index counts it like a certificate.  Call again
 * after -1: PEM goes on with the next block; DER stops (returns 0), since
 * nothing after unframed bytes can be trusted.  Every call makes progress:
 * it consumes input, or returns the next certificate of a PKCS#7 bundle.
 */
int cert_reader_next(struct cert_reader *r, const uint8_t **der, size_t *len, struct err *e);

/*
 * 0 when the input cannot hold a certificate at all: neither PEM text nor
 * starting with a DER SEQUENCE (a README, a text note).  PEM without any
 * CERTIFICATE block (a key file) shows as no certificate read.
 */
int cert_reader_may_hold_certs(const struct cert_reader *r);

/* Bytes consumed so far, for progress reports. */
size_t cert_reader_offset(const struct cert_reader *r);

/* The facts about a certificate that the store keeps (issuer_id and shard left 0). */
int cert_record_from_x509(X509 *x, const uint8_t *der, size_t len, struct cert_record *out,
    struct err *e);

/* The SHA-256 of a DER certificate's SubjectPublicKeyInfo (certparse_spki), into out. */
int cert_spki_sha256(const uint8_t *der, size_t len, uint8_t out[STORE_SPKI_HASH_LEN],
    struct err *e);

/* 1 if x is a CA certificate (basicConstraints cA true), else 0. */
int cert_is_ca(X509 *x);

/* ASN1_TIME to seconds since the epoch. */
int cert_time(const ASN1_TIME *t, int64_t *out);

/*
 * One-line subject (or issuer) name, RFC 2253 order, for messages: UTF-8 when
 * the process's LC_CTYPE (main sets it from the environment) is UTF-8, else
 * with every non-ASCII byte escaped (\XX).
 */
void cert_name_line(const X509_NAME *n, char *buf, size_t len);

/* Parse DER (or one PEM block) into an X509; NULL with a message on failure. */
X509 *cert_parse(const uint8_t *data, size_t len, struct err *e);

/*
 * The one certificate in the file at path (DER or one PEM block, at most max
 * bytes), as DER in *der (OPENSSL_free it) of *derlen bytes; -1 with the
 * message prefixed by path.  der NULL: not encoded.  keep not NULL: the
 * parsed certificate in *keep (X509_free it; NULL on failure), for a caller
 * that reads it too, instead of parsing the file twice.
 */
int cert_file_der(const char *path, size_t max, unsigned char **der, int *derlen, X509 **keep,
    struct err *e);

#endif
