/*
 * Unit tests for util/base64: the plain form decoded as EVP_DecodeUpdate
 * decodes it, and everything else left to it.
 */
#include "testutil.h"
#include "util/base64.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

/* EVP_DecodeUpdate + EVP_DecodeFinal, as pki/cert.c calls them: 0 and the bytes, or -1. */
static int
evp_decode(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	int outl = 0, fin = 0, ok;

	assert_non_null(ctx);
	EVP_DecodeInit(ctx);
	ok = EVP_DecodeUpdate(ctx, out, &outl, in, (int)len) >= 0 &&
	     EVP_DecodeFinal(ctx, out + outl, &fin) == 1;
	EVP_ENCODE_CTX_free(ctx);
	*out_len = (size_t)(outl + fin);
	return ok ? 0 : -1;
}

/* data base64-encoded in lines of width characters (0: one line), each ended by eol. */
static size_t
encode(const uint8_t *data, size_t n, size_t width, const char *eol, char *out)
{
	char *b = malloc(4 * (n / 3 + 1) + 1);
	size_t blen, o = 0;

	assert_non_null(b);
	blen = (size_t)EVP_EncodeBlock((unsigned char *)b, data, (int)n);
	for (size_t i = 0; i < blen; i += width ? width : blen) {
		size_t k = width && blen - i > width ? width : blen - i;
		memcpy(out + o, b + i, k);
		o += k;
		memcpy(out + o, eol, strlen(eol));
		o += strlen(eol);
	}
	free(b);
	return o;
}

static void
test_plain_as_openssl(void **state)
{
	static const size_t widths[] = {64, 76, 4, 1, 0};
	static const char *const eols[] = {"\n", "\r\n"};
	uint8_t data[300], got[600], want[600];
	char text[1200];
	size_t glen, wlen;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 151 + 7);
	for (size_t n = 0; n <= sizeof(data); n++) {
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
			for (size_t e = 0; e < 2; e++) {
				size_t len = encode(data, n, widths[w], eols[e], text);
				assert_int_equal(base64_decode_plain((uint8_t *)text, len, got, &glen), 0);
				assert_int_equal(evp_decode((uint8_t *)text, len, want, &wlen), 0);
				assert_int_equal(glen, n);
				assert_int_equal(wlen, n);
				assert_memory_equal(got, data, n);
			}
		}
	}
}

/* Not the plain form: -1, whatever OpenSSL makes of it. */
static void
test_other_forms_left_to_openssl(void **state)
{
	static const char *const other[] = {
	    "QUJD RA==\n",     /* a space */
	    "QUJD\tRA==\n",    /* a tab */
	    "QUJDRA==-\n",     /* a '-' (EVP: the end) */
	    "QU=DRA==\n",      /* '=' inside */
	    "QUJDRA===\n",     /* three */
	    "QUJDR===\n",      /* three, from the quantum's second */
	    "QUJDRA==QUJD\n",  /* data after the padding */
	    "QUJDRA\n",        /* not a multiple of 4 */
	    "QUJDR\n",         /* nor this */
	    "QUJD:A==\n",      /* another byte */
	    "QUJD\x80RA==\n",  /* a byte above ASCII */
	    "=QUJD\n",         /* padding first */
	};
	uint8_t out[64];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(base64_decode_plain((const uint8_t *)other[i], strlen(other[i]), out,
				     &len),
		    -1);
	/* And the plain ones beside them. */
	assert_int_equal(base64_decode_plain((const uint8_t *)"QUJDRA==\n", 9, out, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, "ABCD", 4);
	assert_int_equal(base64_decode_plain((const uint8_t *)"\nQUJDREU=\r\n", 11, out, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(out, "ABCDE", 5);
	assert_int_equal(base64_decode_plain((const uint8_t *)"", 0, out, &len), 0);
	assert_int_equal(len, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_as_openssl),
	    cmocka_unit_test(test_other_forms_left_to_openssl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
