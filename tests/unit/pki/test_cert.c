/* Unit tests for pki/cert: the reader's framing of PEM and DER input. */
#include "testutil.h"
#include "pki/cert.h"

#include <openssl/pem.h>
#include <openssl/pkcs7.h>

static struct test_ca ca;
static unsigned char *der1, *der2;
static int len1, len2;

static int
setup(void **state)
{
	static const uint8_t s1[] = {0x11}, s2[] = {0x00, 0x80};

	(void)state;
	test_ca_make(&ca, "reader test CA", NULL, MINT_P256);
	der1 = test_leaf_der(&ca, s1, sizeof(s1), &len1);
	der2 = test_leaf_der(&ca, s2, sizeof(s2), &len2);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	OPENSSL_free(der1);
	OPENSSL_free(der2);
	test_ca_free(&ca);
	return 0;
}

/*
 * Read everything, as intake does (on after an error, until 0); returns -1 if
 * any certificate could not be read (e: the last why), else 0.  *count: the
 * certificates read.  Each call must consume input, errors included.
 */
static int
read_all(const uint8_t *data, size_t len, size_t *count, struct err *e)
{
	struct cert_reader r;
	const uint8_t *der;
	size_t dlen, before, errors = 0;
	int rc;

	*count = 0;
	cert_reader_init(&r, data, len);
	for (;;) {
		size_t p7_before = r.p7_next;
		before = cert_reader_offset(&r);
		if ((rc = cert_reader_next(&r, &der, &dlen, e)) == 0)
			break;
		assert_true(cert_reader_offset(&r) > before || r.p7_next > p7_before);
		if (rc == 1) {
			(*count)++;
			assert_int_equal(der[0], 0x30);
		} else {
			errors++;
		}
		assert_int_equal(r.index, *count + errors);
	}
	cert_reader_free(&r);
	return errors ? -1 : 0;
}

static void
test_der_back_to_back(void **state)
{
	uint8_t buf[8192];
	size_t n;
	struct err e;

	(void)state;
	memcpy(buf, der1, (size_t)len1);
	memcpy(buf + len1, der2, (size_t)len2);
	assert_int_equal(read_all(buf, (size_t)(len1 + len2), &n, &e), 0);
	assert_int_equal(n, 2);
	/* Truncated: the first certificate is read, then an error. */
	assert_int_equal(read_all(buf, (size_t)(len1 + len2 - 1), &n, &e), -1);
	assert_int_equal(n, 1);
	assert_non_null(strstr(e.msg, "truncated"));
}

static void
test_pem_bundle_with_other_blocks(void **state)
{
	BIO *b = BIO_new(BIO_s_mem());
	const unsigned char *p1 = der1, *p2 = der2;
	X509 *x1 = d2i_X509(NULL, &p1, len1), *x2 = d2i_X509(NULL, &p2, len2);
	char *data;
	long len;
	size_t n;
	struct err e;

	(void)state;
	BIO_puts(b, "subject=junk before the first block\n");
	PEM_write_bio_X509(b, x1);
	PEM_write_bio_PrivateKey(b, ca.key, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_X509(b, x2);
	len = BIO_get_mem_data(b, &data);
	assert_int_equal(read_all((const uint8_t *)data, (size_t)len, &n, &e), 0);
	assert_int_equal(n, 2);
	BIO_free(b);
	X509_free(x1);
	X509_free(x2);
}

static void
test_pem_errors(void **state)
{
	static const char no_end[] = "-----BEGIN CERTIFICATE-----\nMIIB\n";
	static const char bad_b64[] =
	    "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
	size_t n;
	struct err e;

	(void)state;
	assert_int_equal(read_all((const uint8_t *)no_end, strlen(no_end), &n, &e), -1);
	assert_non_null(strstr(e.msg, "END"));
	assert_int_equal(read_all((const uint8_t *)bad_b64, strlen(bad_b64), &n, &e), -1);
	assert_non_null(strstr(e.msg, "base64"));
}

/*
 * Item 2 of issue 15: after a damaged block the reader goes on with the next
 * one; a block without its END line ends at the next BEGIN, and the
 * certificate after it is read whole.
 */
static void
test_pem_goes_on_after_a_damaged_block(void **state)
{
	BIO *b = BIO_new(BIO_s_mem());
	const unsigned char *p1 = der1;
	X509 *x1 = d2i_X509(NULL, &p1, len1);
	char *data;
	long len;
	size_t n;
	struct err e;

	(void)state;
	BIO_puts(b, "-----BEGIN CERTIFICATE-----\n!!!!notbase64!!!!\n-----END CERTIFICATE-----\n");
	PEM_write_bio_X509(b, x1);
	BIO_puts(b, "-----BEGIN CERTIFICATE-----\nMIIBkTCB\n"); /* no END line */
	PEM_write_bio_X509(b, x1);
	BIO_puts(b, "-----BEGIN PRIVATE KEY-----\nMIIB\n"); /* a key without END: skipped */
	PEM_write_bio_X509(b, x1);
	len = BIO_get_mem_data(b, &data);
	assert_int_equal(read_all((const uint8_t *)data, (size_t)len, &n, &e), -1);
	assert_int_equal(n, 3);
	BIO_free(b);
	X509_free(x1);
}

/* A PKCS#7 bundle (DER, then inside PEM text) stands for its certificates, bytes unchanged. */
static void
test_pkcs7_bundle(void **state)
{
	const unsigned char *p1 = der1, *p2 = der2;
	X509 *x1 = d2i_X509(NULL, &p1, len1), *x2 = d2i_X509(NULL, &p2, len2);
	PKCS7 *p7 = PKCS7_new();
	BIO *b = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	struct cert_reader r;
	const uint8_t *got;
	char *text;
	size_t n, glen;
	long tlen;
	int len;
	struct err e;

	(void)state;
	assert_int_equal(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	assert_int_equal(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	assert_int_equal(PKCS7_add_certificate(p7, x1), 1);
	assert_int_equal(PKCS7_add_certificate(p7, x2), 1);
	len = i2d_PKCS7(p7, &der);
	assert_true(len > 0);
	cert_reader_init(&r, der, (size_t)len);
	assert_int_equal(cert_reader_next(&r, &got, &glen, &e), 1);
	assert_int_equal(glen, len1);
	assert_memory_equal(got, der1, glen);
	assert_int_equal(cert_reader_next(&r, &got, &glen, &e), 1);
	assert_memory_equal(got, der2, glen);
	assert_int_equal(r.index, 2);
	assert_int_equal(cert_reader_next(&r, &got, &glen, &e), 0);
	cert_reader_free(&r);
	BIO_puts(b, "a PEM PKCS7 block between two certificates\n");
	PEM_write_bio_X509(b, x1);
	PEM_write_bio_PKCS7(b, p7);
	PEM_write_bio_X509(b, x2);
	tlen = BIO_get_mem_data(b, &text);
	assert_int_equal(read_all((const uint8_t *)text, (size_t)tlen, &n, &e), 0);
	assert_int_equal(n, 4);
	OPENSSL_free(der);
	BIO_free(b);
	PKCS7_free(p7);
	X509_free(x1);
	X509_free(x2);
}

static void
test_garbage_and_empty(void **state)
{
	static const uint8_t junk[] = {0x02, 0x01, 0x00, 0xff};
	size_t n;
	struct err e;

	(void)state;
	assert_int_equal(read_all(junk, sizeof(junk), &n, &e), -1);
	assert_int_equal(n, 0);
	assert_int_equal(read_all((const uint8_t *)"", 0, &n, &e), 0);
	assert_int_equal(n, 0);
}

static void
test_record_from_x509(void **state)
{
	const unsigned char *p = der2;
	X509 *x = d2i_X509(NULL, &p, len2);
	struct cert_record r;
	struct err e;

	(void)state;
	assert_int_equal(cert_record_from_x509(x, der2, (size_t)len2, &r, &e), 0);
	assert_int_equal(r.serial_len, 2);
	assert_int_equal(r.serial[0], 0x00);
	assert_int_equal(r.serial[1], 0x80);
	assert_true(r.not_after - r.not_before == 86400 + 3600);
	assert_int_equal(cert_is_ca(x), 0);
	assert_int_equal(cert_is_ca(ca.cert), 1);
	X509_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_der_back_to_back),
	    cmocka_unit_test(test_pem_bundle_with_other_blocks),
	    cmocka_unit_test(test_pem_errors),
	    cmocka_unit_test(test_pem_goes_on_after_a_damaged_block),
	    cmocka_unit_test(test_pkcs7_bundle),
	    cmocka_unit_test(test_garbage_and_empty),
	    cmocka_unit_test(test_record_from_x509),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
