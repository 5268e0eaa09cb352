/*
 * serial.c - see serial.h.
 */
#include "pki/serial.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int
serial_from_asn1(const ASN1_INTEGER *ai, uint8_t *out, size_t max, size_t *len, struct err *e)
{
	/* i2c_ASN1_INTEGER is not public; i2d gives tag, length, content: skip the header. */
	unsigned char *der = NULL, *p;
	int n = i2d_ASN1_INTEGER((ASN1_INTEGER *)ai, &der);
	size_t hdr, clen;

	if (n < 3) {
		OPENSSL_free(der);
		return err_set(e, "unreadable serial number");
	}
	p = der + 1;
	if (p[0] < 0x80) {
		clen = p[0];
		hdr = 2;
	} else if (p[0] == 0x81) {
		clen = p[1];
		hdr = 3;
	} else {
		OPENSSL_free(der);
		return err_set(e, "serial number longer than %zu bytes", max);
	}
	if (clen == 0 || clen > max || hdr + clen != (size_t)n) {
		OPENSSL_free(der);
		return err_set(e, "serial number longer than %zu bytes", max);
	}
	memcpy(out, der + hdr, clen);
	*len = clen;
	OPENSSL_free(der);
	return 0;
}

ASN1_INTEGER *
serial_to_asn1(const uint8_t *s, size_t len)
{
	/* Built from its DER so that the bytes stay exactly as given (leading 00, sign). */
	unsigned char der[2 + 127];
	const unsigned char *p = der;

	if (len == 0 || len > 127)
		return NULL;
	der[0] = V_ASN1_INTEGER;
	der[1] = (unsigned char)len;
	memcpy(der + 2, s, len);
	return d2i_ASN1_INTEGER(NULL, &p, (long)(len + 2));
}

void
serial_to_hex(const uint8_t *s, size_t len, char *buf, size_t buflen)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < len && o + 2 < buflen; i++) {
		buf[o++] = digits[s[i] >> 4];
		buf[o++] = digits[s[i] & 15];
	}
	if (buflen > 0)
		buf[o] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
serial_parse_hex(const char *hex, uint8_t *exact, size_t *exact_len, uint8_t *canon,
    size_t *canon_len, size_t max, struct err *e)
{
	char digits[2 * 64 + 2];
	size_t nd = 0, i, n, start;
	const char *p = hex;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; *p != '\0'; p++) {
		if (*p == ':')
			continue;
		if (hexval(*p) < 0 || nd + 1 >= sizeof(digits) - 1 || nd / 2 >= max)
			return err_set(e, "'%s' is not a hex serial number of at most %zu bytes",
			    hex, max);
		digits[nd++] = *p;
	}
	if (nd == 0)
		return err_set(e, "'%s' is not a hex serial number", hex);
	if (nd % 2 == 1) { /* an odd count means a leading 0 nibble */
		memmove(digits + 1, digits, nd);
		digits[0] = '0';
		nd++;
	}
	n = nd / 2;
	if (n > max)
		return err_set(e, "serial '%s' is longer than %zu bytes", hex, max);
	for (i = 0; i < n; i++)
		exact[i] = (uint8_t)(hexval(digits[2 * i]) << 4 | hexval(digits[2 * i + 1]));
	*exact_len = n;

	/* Canonical positive DER: drop leading zero bytes, add one back if the top bit is set. */
	for (start = 0; start + 1 < n && exact[start] == 0; start++)
		;
	size_t clen = n - start, o = 0;
	if (exact[start] & 0x80) {
		if (clen + 1 > max)
			return err_set(e, "serial '%s' is longer than %zu bytes", hex, max);
		canon[o++] = 0;
	}
	memcpy(canon + o, exact + start, clen);
	*canon_len = o + clen;
	return 0;
}

int
serial_shard(const uint8_t *s, size_t len, int nshards)
{
	uint64_t r = 0;

	if (nshards <= 1)
		return 1;
	/* Bytes as an unsigned big-endian number, reduced as we go. */
	for (size_t i = 0; i < len; i++)
		r = (r * 256 + s[i]) % (uint64_t)nshards;
	return (int)r + 1;
}
