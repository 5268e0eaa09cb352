/*
 * hex.c - see hex.h.
 *
 * The digits are serial_to_hex()'s (pki/serial.c), over the integer's
 * magnitude as OpenSSL holds it, so that lancre writes bytes as hex in one
 * place.  What differs from a serial's hex, and why, is what a finding must
 * show of a malformed CRL or response: a negative number keeps its '-', and
 * leading zero bytes are dropped, as BN_bn2hex() printed them before (the
 * number, not its encoding), and a long number is cut with "...".
 */
#include "lint/hex.h"

#include <stdio.h>
#include <string.h>

#include "pki/serial.h"

void
lint_hex(const ASN1_INTEGER *ai, char *buf, size_t len)
{
	char h[1 + LINT_HEX_MAX + 2]; /* '-', the digits shown or cut, one more byte's */
	size_t max = len < LINT_HEX_MAX ? len : LINT_HEX_MAX, o = 0, n, digits;
	const unsigned char *d;
	int type = ai != NULL ? ASN1_STRING_type(ai) : -1;

	if (ai == NULL || (type & ~V_ASN1_NEG) != V_ASN1_INTEGER || ASN1_STRING_length(ai) < 0) {
		snprintf(buf, len, "?");
		return;
	}
	d = ASN1_STRING_get0_data(ai);
	n = (size_t)ASN1_STRING_length(ai);
	for (; n > 0 && d[0] == 0; d++, n--) /* the number's bytes, as BIGNUM held them */
		;
	if (n == 0) {
		snprintf(buf, len, "0");
		return;
	}
	if (type == V_ASN1_NEG_INTEGER)
		h[o++] = '-';
	serial_to_hex(d, n, h + o, sizeof(h) - o);
	digits = o + 2 * n; /* the whole number's length, whatever h holds */
	if (digits < max)
		snprintf(buf, len, "%s", h);
	else
		snprintf(buf, max, "%.*s...", (int)(max - 4), h);
}
