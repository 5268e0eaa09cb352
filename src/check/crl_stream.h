/*
 * crl_stream.h - checking a CRL while it streams in, in bounded memory.
 *
 * `lancre check` fetches CRLs of up to CHECK_FETCH_CRL_MAX (100 MB) from
 * URLs someone else chose.  Holding such a body whole, then d2i_X509_CRL
 * (which builds an object per entry, several times the DER), took the
 * process to hundreds of MB for one check (docs/BENCHMARKS.md).  A client
 * only needs three things from a CRL: its header (issuer, times,
 * extensions), the one entry for the serial it asks about, and whether the
 * signature over tbsCertList verifies.  All three can be had in one pass:
 *
 *   - the outer DER (CertificateList, tbsCertList, its fields, the
 *     revokedCertificates entries one by one) is framed by a small
 *     hand-written push parser (crl_stream.c), fed whatever libcurl delivers;
 *     OpenSSL's d2i functions need the whole object in memory, which is the
 *     very thing to avoid;
 *   - the bytes of tbsCertList go into an EVP digest as they pass, and the
 *     signature is verified over the digest at the end (ECDSA and RSA
 *     PKCS#1 v1.5, the algorithms the Baseline Requirements 7.1.3.2 allow and
 *     the ones lancre signs CRLs with besides Ed25519);
 *   - the small pieces (header fields, the wanted entry) are handed to
 *     OpenSSL's d2i functions, so their contents are read by OpenSSL.
 *
 * The bound: each element kept whole (a header field, the crlExtensions,
 * the signature, one entry's serial) is at most CRL_STREAM_ELEMENT_MAX, the
 * wanted entry at most CRL_STREAM_ENTRY_MAX, and nothing else is kept:
 * memory is a few KB plus the header plus one entry, whatever the CRL's
 * size.  Entries that are not the wanted one are framed (serial, date,
 * extensions SEQUENCE) and never held, so a huge extension on another entry
 * costs nothing.  One exception: pure EdDSA (Ed25519, Ed448), RSA-PSS and any
 * other algorithm sign the message rather than a digest this code can make,
 * so for them the whole CRL is held (up to the cap, as before) and OpenSSL
 * verifies it; BR-compliant CRLs never take that path.
 *
 * Strict DER framing: definite lengths in minimal form, single-byte tags,
 * nothing after the CertificateList.  An outer length over the cap given is
 * refused at its header, before the body follows.
 */
#ifndef LANCRE_CHECK_CRL_STREAM_H
#define LANCRE_CHECK_CRL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CRL_STREAM_ELEMENT_MAX (64 * 1024) /* a header field, crlExtensions, the signature */
#define CRL_STREAM_ENTRY_MAX (64 * 1024)   /* the wanted serial's whole entry */
#define CRL_STREAM_WHY_MAX 200

struct crl_stream;

/* What a complete, well-framed CRL said (valid after crl_stream_end() returned 0). */
struct crl_stream_info {
	X509_NAME *issuer;
	ASN1_TIME *this_update;
	ASN1_TIME *next_update;         /* NULL when absent */
	STACK_OF(X509_EXTENSION) *exts; /* crlExtensions; NULL when absent */
	X509_REVOKED *entry;            /* the wanted serial's entry; NULL when not listed */
	size_t entries;                 /* revokedCertificates seen */
	uint64_t bytes;                 /* fed so far */
	size_t peak;                    /* the most bytes of buffers held at once */
	int held_whole;                 /* the algorithm needed the whole CRL held */
};

/*
 * A parser looking for serial (the certificate's serialNumber) in a CRL of
 * at most max bytes.  NULL when out of memory.  The info pointers belong to
 * the stream: crl_stream_free() frees them.
 */
struct crl_stream *crl_stream_new(const ASN1_INTEGER *serial, uint64_t max);
void crl_stream_free(struct crl_stream *s); /* accepts NULL */

/* The next n bytes of the body: 0, or -1 when the CRL is refused (crl_stream_why). */
int crl_stream_feed(struct crl_stream *s, const uint8_t *p, size_t n);

/* After the last byte: 0 when a whole CRL came, else -1 (truncated, or refused earlier). */
int crl_stream_end(struct crl_stream *s);

/*
 * 1 when the signature over tbsCertList verifies with key (after
 * crl_stream_end() returned 0) and the signature algorithms inside and
 * outside tbsCertList agree; else 0 with crl_stream_why.
 */
int crl_stream_verify(struct crl_stream *s, EVP_PKEY *key);

const struct crl_stream_info *crl_stream_info(const struct crl_stream *s);
const char *crl_stream_why(const struct crl_stream *s);

#endif
