/*
 * der.h - the little DER that lancre reads and writes by hand.
 *
 * OpenSSL does all of lancre's ASN.1 except on three measured hot paths,
 * which share these helpers:
 *   - pki/certparse.c reads the fields of a million certificates on import;
 *   - crl/build.c lays out the entries of a million-entry CRL;
 *   - ocsp/template.c lays out each pre-signed OCSP response, and
 *     ocsp/request.c reads the common shape of an OCSP request.
 * Each of them builds or checks its framing against OpenSSL in the tests.
 *
 * Reading: a der_reader walks the elements of one constructed value.  Tags
 * are single bytes (no high tag numbers), lengths definite and at most three
 * length octets (16 MiB): anything else is refused, and the callers then
 * either refuse the input or hand it to OpenSSL.
 *
 * Writing: callers size their buffers with der_header_len() and write
 * headers with der_put_header(); contents are theirs.
 */
#ifndef LANCRE_UTIL_DER_H
#define LANCRE_UTIL_DER_H

#include <stddef.h>
#include <stdint.h>

/* Universal tags lancre meets, and the context tags it writes. */
#define DER_BOOLEAN 0x01
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL 0x05
#define DER_OID 0x06
#define DER_ENUMERATED 0x0a
#define DER_UTC_TIME 0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_SEQUENCE 0x30
#define DER_CONTEXT(n) (0x80 | (n))        /* [n] IMPLICIT, primitive */
#define DER_CONTEXT_CONS(n) (0xa0 | (n))   /* [n] EXPLICIT, or IMPLICIT constructed */

struct der_reader {
	const uint8_t *p, *end;
};

struct der_tlv {
	uint8_t tag;
	const uint8_t *start; /* the tag byte */
	const uint8_t *val;   /* the content */
	size_t len;           /* content length */
	size_t total;         /* tag + length + content */
};

static inline struct der_reader
der_reader(const uint8_t *p, size_t len)
{
	return (struct der_reader){p, p + len};
}

static inline int
der_at_end(const struct der_reader *d)
{
	return d->p == d->end;
}

/* The next element: 0, or -1 (end, truncated, or a form this reader refuses). */
int der_next(struct der_reader *d, struct der_tlv *t);

/*
 * The next element, which must have this tag; when inner is not NULL, it is
 * set to read the element's content.
 */
int der_expect(struct der_reader *d, uint8_t tag, struct der_tlv *t, struct der_reader *inner);

/* Bytes a header takes for content of n bytes (n < 2^32). */
static inline size_t
der_header_len(size_t n)
{
	return n < 0x80 ? 2 : n < 0x100 ? 3 : n < 0x10000 ? 4 : n < 0x1000000 ? 5 : 6;
}

/* Write tag and length of n content bytes at out; returns the end of the header. */
uint8_t *der_put_header(uint8_t *out, uint8_t tag, size_t n);

#define DER_GENERALIZED_TIME_LEN 17 /* 18 0f YYYYMMDDHHMMSSZ */
#define DER_TIME_MAX DER_GENERALIZED_TIME_LEN

/* t as a GeneralizedTime "YYYYMMDDHHMMSSZ", tag and length included. */
uint8_t *der_put_generalized_time(uint8_t *out, int64_t t);

/*
 * t as an X.509 Time (RFC 5280 4.1.2.5): UTCTime "YYMMDDHHMMSSZ" for the
 * years 1950-2049, GeneralizedTime otherwise.
 */
uint8_t *der_put_x509_time(uint8_t *out, int64_t t);

#endif
