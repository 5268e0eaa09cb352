/*
 * hex.c - see hex.h.
 */
#include "lint/hex.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>

void
lint_hex(const ASN1_INTEGER *ai, char *buf, size_t len)
{
	BIGNUM *bn = ai != NULL ? ASN1_INTEGER_to_BN(ai, NULL) : NULL;
	char *h = bn != NULL ? BN_bn2hex(bn) : NULL;
	size_t max = len < LINT_HEX_MAX ? len : LINT_HEX_MAX;

	if (h == NULL) {
		snprintf(buf, len, "?");
	} else if (strlen(h) < max) {
		snprintf(buf, len, "%s", h);
	} else {
		snprintf(buf, max, "%.*s...", (int)(max - 4), h);
	}
	for (char *p = buf; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	OPENSSL_free(h);
	BN_free(bn);
}
