/*
 * serial.h - certificate serial numbers as lancre keeps them: the exact
 * content bytes of the DER INTEGER (big-endian two's complement, as on the
 * wire).  A positive serial with its top bit set carries a leading 00 byte;
 * a negative serial from a non-conforming CA keeps its sign.  Nothing is
 * normalised, so what a client puts in an OCSP CertID matches byte for byte.
 */
#ifndef LANCRE_PKI_SERIAL_H
#define LANCRE_PKI_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/asn1.h>

#include "util/err.h"

#define SERIAL_HEX_MAX (2 * 64 + 1)

/* Content bytes of an ASN1_INTEGER into out (at most max bytes); sets *len. */
int serial_from_asn1(const ASN1_INTEGER *ai, uint8_t *out, size_t max, size_t *len,
    struct err *e);

/* An ASN1_INTEGER with exactly these content bytes (free with ASN1_INTEGER_free), or NULL. */
ASN1_INTEGER *serial_to_asn1(const uint8_t *s, size_t len);

/*
 * Lower-case hex of the bytes, two digits per byte ("00ff"), cut after a
 * whole byte if buf is short.  lint_hex() shows an ASN1_INTEGER with it.
 */
void serial_to_hex(const uint8_t *s, size_t len, char *buf, size_t buflen);

/*
 * Parse a serial typed by a person: hex digits, optionally with a 0x prefix
 * and ':' separators ("01:a2:ff").  *exact gets the bytes as written (an odd
 * number of digits gets a leading 0 nibble); *canon gets the DER encoding of
 * the same positive number (a 00 byte added when the top bit is set, extra
 * leading zeros removed).  Lookups try both, so "80" finds serial 00 80.
 */
int serial_parse_hex(const char *hex, uint8_t *exact, size_t *exact_len, uint8_t *canon,
    size_t *canon_len, size_t max, struct err *e);

/* The CRL shard (1-based) a serial falls in when nothing else fixes it: serial mod n, + 1. */
int serial_shard(const uint8_t *s, size_t len, int nshards);

#endif
