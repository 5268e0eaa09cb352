/* Unit tests for pki/serial: exact DER bytes, hex input, shards. */
#include "testutil.h"
#include "pki/serial.h"

static void
check_asn1(const unsigned char *der, size_t len, const char *hex)
{
	const unsigned char *p = der;
	ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &p, (long)len);
	uint8_t out[64];
	size_t n;
	char buf[SERIAL_HEX_MAX];
	struct err e;

	assert_non_null(ai);
	assert_int_equal(serial_from_asn1(ai, out, sizeof(out), &n, &e), 0);
	serial_to_hex(out, n, buf, sizeof(buf));
	assert_string_equal(buf, hex);
	ASN1_INTEGER_free(ai);
}

static void
test_from_asn1_keeps_exact_bytes(void **state)
{
	static const unsigned char pos[] = {0x02, 0x01, 0x05};
	static const unsigned char top[] = {0x02, 0x02, 0x00, 0x80};
	static const unsigned char neg[] = {0x02, 0x01, 0xfb};
	unsigned char twenty[22] = {0x02, 20, 0x7f};

	(void)state;
	check_asn1(pos, sizeof(pos), "05");
	check_asn1(top, sizeof(top), "0080");
	check_asn1(neg, sizeof(neg), "fb");
	for (int i = 3; i < 22; i++)
		twenty[i] = (unsigned char)i;
	check_asn1(twenty, sizeof(twenty), "7f030405060708090a0b0c0d0e0f101112131415");
}

static void
test_from_asn1_refuses_too_long(void **state)
{
	unsigned char der[2 + 0x81 + 1] = {0x02, 0x81, 0x81, 0x01};
	const unsigned char *p = der;
	ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &p, sizeof(der));
	uint8_t out[64];
	size_t n;
	struct err e;

	(void)state;
	assert_non_null(ai);
	assert_int_equal(serial_from_asn1(ai, out, sizeof(out), &n, &e), -1);
	assert_non_null(strstr(e.msg, "longer than"));
	ASN1_INTEGER_free(ai);
}

static void
test_parse_hex(void **state)
{
	uint8_t ex[64], ca[64];
	size_t el, cl;
	struct err e;

	(void)state;
	assert_int_equal(serial_parse_hex("80", ex, &el, ca, &cl, 64, &e), 0);
	assert_int_equal(el, 1);
	assert_int_equal(ex[0], 0x80);
	assert_int_equal(cl, 2);
	assert_int_equal(ca[0], 0);
	assert_int_equal(ca[1], 0x80);

	assert_int_equal(serial_parse_hex("0x0:0a:BC", ex, &el, ca, &cl, 64, &e), 0);
	assert_int_equal(el, 3); /* five digits "00abc" are read as 00 0a bc */
	assert_int_equal(cl, 2);
	assert_int_equal(ca[0], 0x0a);
	assert_int_equal(ca[1], 0xbc);

	assert_int_equal(serial_parse_hex("000005", ex, &el, ca, &cl, 64, &e), 0);
	assert_int_equal(el, 3);
	assert_int_equal(cl, 1);
	assert_int_equal(ca[0], 5);

	assert_int_equal(serial_parse_hex("", ex, &el, ca, &cl, 64, &e), -1);
	assert_int_equal(serial_parse_hex("12g4", ex, &el, ca, &cl, 64, &e), -1);
	assert_int_equal(serial_parse_hex("0x", ex, &el, ca, &cl, 64, &e), -1);
	assert_int_equal(serial_parse_hex("112233", ex, &el, ca, &cl, 2, &e), -1);
}

static void
test_shard(void **state)
{
	uint8_t s33[] = {0x21}, big[] = {0x01, 0x00}; /* 256 */

	(void)state;
	assert_int_equal(serial_shard(s33, 1, 1), 1);
	assert_int_equal(serial_shard(s33, 1, 16), 2);  /* 33 mod 16 = 1 */
	assert_int_equal(serial_shard(big, 2, 128), 1); /* 256 mod 128 = 0 */
	assert_int_equal(serial_shard(big, 2, 255), 2); /* 256 mod 255 = 1 */
	for (int n = 1; n < 300; n += 7) {
		int sh = serial_shard(big, 2, n);
		assert_true(sh >= 1 && sh <= n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_from_asn1_keeps_exact_bytes),
	    cmocka_unit_test(test_from_asn1_refuses_too_long),
	    cmocka_unit_test(test_parse_hex),
	    cmocka_unit_test(test_shard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
