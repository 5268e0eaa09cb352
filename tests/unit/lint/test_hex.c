/*
 * Unit tests for lint/hex.c: lint_hex() shows an ASN1_INTEGER with
 * serial_to_hex()'s digits, and must show what it showed through BIGNUM
 * (BN_bn2hex, lower-cased, cut with "...") for every number a malformed CRL
 * or response may hold: zero, negative, leading zero bytes, and lengths
 * around the cut.
 */
#include "testutil.h"
#include "lint/hex.h"

#include <ctype.h>

#include <openssl/bn.h>

/* The former lint_hex, through BIGNUM: the reference. */
static void
bn_hex(const ASN1_INTEGER *ai, char *buf, size_t len)
{
	BIGNUM *bn = ai != NULL ? ASN1_INTEGER_to_BN(ai, NULL) : NULL;
	char *h = bn != NULL ? BN_bn2hex(bn) : NULL;
	size_t max = len < LINT_HEX_MAX ? len : LINT_HEX_MAX;

	if (h == NULL)
		snprintf(buf, len, "?");
	else if (strlen(h) < max)
		snprintf(buf, len, "%s", h);
	else
		snprintf(buf, max, "%.*s...", (int)(max - 4), h);
	for (char *p = buf; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	OPENSSL_free(h);
	BN_free(bn);
}

/* An INTEGER (or type) holding content bytes as given, even non-minimal ones. */
static ASN1_INTEGER *
integer(int type, const unsigned char *d, int n)
{
	ASN1_INTEGER *ai = ASN1_INTEGER_new();

	assert_non_null(ai);
	assert_int_equal(ASN1_STRING_set(ai, d, n), 1);
	ai->type = type;
	return ai;
}

static void
test_examples(void **state)
{
	static const unsigned char b[] = {0x00, 0x00, 0x01, 0xa2, 0xff};
	char buf[64];
	ASN1_INTEGER *ai;

	(void)state;
	lint_hex(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	ai = integer(V_ASN1_INTEGER, b + 2, 3);
	lint_hex(ai, buf, sizeof(buf));
	assert_string_equal(buf, "01a2ff");
	ASN1_INTEGER_free(ai);
	ai = integer(V_ASN1_NEG_INTEGER, b, 5); /* leading zeros dropped, sign kept */
	lint_hex(ai, buf, sizeof(buf));
	assert_string_equal(buf, "-01a2ff");
	ASN1_INTEGER_free(ai);
	ai = integer(V_ASN1_INTEGER, b, 2);
	lint_hex(ai, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	ASN1_INTEGER_free(ai);
	ai = integer(V_ASN1_ENUMERATED, b + 2, 3); /* not an INTEGER: unreadable, as before */
	lint_hex(ai, buf, sizeof(buf));
	assert_string_equal(buf, "?");
	ASN1_INTEGER_free(ai);
}

/* Every length from 0 to 40 bytes, with and without leading zeros, both signs, several buffers. */
static void
test_same_as_bignum(void **state)
{
	static const int types[] = {V_ASN1_INTEGER, V_ASN1_NEG_INTEGER};
	static const size_t lens[] = {5, 8, 20, 47, 48, 49, 64};
	unsigned char d[40];
	char got[64], want[64];
	int checked = 0;

	(void)state;
	for (int n = 0; n <= (int)sizeof(d); n++) {
		for (int zeros = 0; zeros <= 2 && zeros <= n; zeros++) {
			for (int i = 0; i < n; i++)
				d[i] = i < zeros ? 0 : (unsigned char)(0x9b * (i + 1) + n);
			for (size_t t = 0; t < 2; t++) {
				ASN1_INTEGER *ai = integer(types[t], d, n);
				for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
					bn_hex(ai, want, lens[l]);
					lint_hex(ai, got, lens[l]);
					if (strcmp(got, want) != 0)
						fail_msg("%d bytes, %d zeros, type %d, buffer %zu: "
							 "\"%s\", wanted \"%s\"",
						    n, zeros, types[t], lens[l], got, want);
					checked++;
				}
				ASN1_INTEGER_free(ai);
			}
		}
	}
	assert_true(checked > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_examples),
	    cmocka_unit_test(test_same_as_bignum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
