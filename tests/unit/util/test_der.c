/*
 * Unit tests for util/der: headers written and read back, the reader's
 * refusals, and times encoded exactly as OpenSSL encodes them.
 */
#include "testutil.h"
#include "util/der.h"
#include "util/timefmt.h"

#include <openssl/asn1.h>

static void
test_headers_round_trip(void **state)
{
	static const size_t lens[] = {0, 1, 127, 128, 255, 256, 65535, 65536, 100000};
	uint8_t *buf = malloc(100000 + 8);
	struct der_reader d;
	struct der_tlv t;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint8_t *end = der_put_header(buf, DER_OCTET_STRING, lens[i]);
		assert_int_equal((size_t)(end - buf), der_header_len(lens[i]));
		memset(end, 0xab, lens[i]);
		d = der_reader(buf, (size_t)(end - buf) + lens[i]);
		assert_int_equal(der_expect(&d, DER_OCTET_STRING, &t, NULL), 0);
		assert_int_equal(t.len, lens[i]);
		assert_ptr_equal(t.val, end);
		assert_true(der_at_end(&d));
		/* One byte short: refused. */
		d = der_reader(buf, (size_t)(end - buf) + lens[i] - 1);
		if (lens[i] > 0)
			assert_int_equal(der_next(&d, &t), -1);
	}
	free(buf);
}

static void
test_reader_refusals(void **state)
{
	static const uint8_t indefinite[] = {0x30, 0x80, 0x00, 0x00};
	static const uint8_t high_tag[] = {0x1f, 0x81, 0x00, 0x00};
	static const uint8_t four_octets[] = {0x04, 0x84, 0x00, 0x00, 0x00, 0x01, 0x00};
	static const uint8_t one_byte[] = {0x04};
	struct der_reader d;
	struct der_tlv t;

	(void)state;
	d = der_reader(indefinite, sizeof(indefinite));
	assert_int_equal(der_next(&d, &t), -1);
	d = der_reader(high_tag, sizeof(high_tag));
	assert_int_equal(der_next(&d, &t), -1);
	d = der_reader(four_octets, sizeof(four_octets));
	assert_int_equal(der_next(&d, &t), -1);
	d = der_reader(one_byte, sizeof(one_byte));
	assert_int_equal(der_next(&d, &t), -1);
	d = der_reader(four_octets, 0);
	assert_int_equal(der_next(&d, &t), -1);
	/* The wrong tag. */
	d = der_reader((const uint8_t *)"\x04\x00", 2);
	assert_int_equal(der_expect(&d, DER_SEQUENCE, &t, NULL), -1);
}

/* Ours against i2d of OpenSSL's ASN1_TIME for the same instant. */
static void
same_time(int64_t t)
{
	uint8_t ours[DER_TIME_MAX], *end;
	unsigned char *theirs = NULL;
	ASN1_TIME *x509 = ASN1_TIME_set(NULL, (time_t)t);           /* RFC 5280 rules */
	ASN1_GENERALIZEDTIME *gt = ASN1_GENERALIZEDTIME_set(NULL, (time_t)t);
	int n;

	assert_non_null(x509);
	assert_non_null(gt);
	end = der_put_x509_time(ours, t);
	n = i2d_ASN1_TIME(x509, &theirs);
	assert_int_equal((size_t)(end - ours), (size_t)n);
	assert_memory_equal(ours, theirs, (size_t)n);
	OPENSSL_free(theirs);
	theirs = NULL;
	end = der_put_generalized_time(ours, t);
	n = i2d_ASN1_GENERALIZEDTIME(gt, &theirs);
	assert_int_equal((size_t)(end - ours), DER_GENERALIZED_TIME_LEN);
	assert_int_equal(n, DER_GENERALIZED_TIME_LEN);
	assert_memory_equal(ours, theirs, (size_t)n);
	OPENSSL_free(theirs);
	ASN1_TIME_free(x509);
	ASN1_GENERALIZEDTIME_free(gt);
}

static void
test_times_match_openssl(void **state)
{
	(void)state;
	same_time(0);
	same_time(timefmt_from_civil(1949, 12, 31, 23, 59, 59));
	same_time(timefmt_from_civil(1950, 1, 1, 0, 0, 0));
	same_time(timefmt_from_civil(2024, 2, 29, 12, 34, 56));
	same_time(timefmt_from_civil(2049, 12, 31, 23, 59, 59));
	same_time(timefmt_from_civil(2050, 1, 1, 0, 0, 0));
	same_time(timefmt_from_civil(9999, 12, 31, 23, 59, 59));
	for (int64_t t = 1700000000; t < 1700000000 + 400LL * 86400; t += 86400 + 3601)
		same_time(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_headers_round_trip),
	    cmocka_unit_test(test_reader_refusals),
	    cmocka_unit_test(test_times_match_openssl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
