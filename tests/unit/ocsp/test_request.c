/* Unit tests for ocsp/request: GET decoding quirks and request parsing. */
#include "testutil.h"
#include "ocsp/request.h"

#include <openssl/ocsp.h>

static struct test_ca ca;
static unsigned char *req_der;
static int req_len;
static char b64[1024];

/* A real request for serial 00 ff 01 under ca, with SHA-1 or SHA-256. */
static unsigned char *
make_request(const EVP_MD *md, int *len)
{
	static const unsigned char sn[] = {0x02, 0x03, 0x00, 0xff, 0x01};
	const unsigned char *p = sn;
	ASN1_INTEGER *serial = d2i_ASN1_INTEGER(NULL, &p, sizeof(sn));
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_id_new(md, X509_get_subject_name(ca.cert),
	    X509_get0_pubkey_bitstr(ca.cert), serial);
	unsigned char *der = NULL;

	assert_non_null(id);
	assert_non_null(OCSP_request_add0_id(req, id));
	*len = i2d_OCSP_REQUEST(req, &der);
	assert_true(*len > 0);
	OCSP_REQUEST_free(req);
	ASN1_INTEGER_free(serial);
	return der;
}

static int
setup(void **state)
{
	(void)state;
	test_ca_make(&ca, "request test CA", NULL, MINT_P256);
	req_der = make_request(EVP_sha1(), &req_len);
	EVP_EncodeBlock((unsigned char *)b64, req_der, req_len);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	OPENSSL_free(req_der);
	test_ca_free(&ca);
	return 0;
}

static void
expect_same(const char *get)
{
	uint8_t out[OCSP_GET_DER_MAX];
	size_t len = 0;

	assert_int_equal(ocsp_request_from_get(get, strlen(get), out, &len), OCSP_REQUEST_OK);
	assert_int_equal(len, (size_t)req_len);
	assert_memory_equal(out, req_der, len);
}

/* Apply a character mapping to b64 into buf. */
static void
transform(char *buf, size_t cap, const char *(*map)(char c))
{
	size_t o = 0;

	for (const char *p = b64; *p != '\0'; p++) {
		const char *m = map(*p);
		size_t n = strlen(m);
		assert_true(o + n < cap);
		memcpy(buf + o, m, n);
		o += n;
	}
	buf[o] = '\0';
}

static const char *
urlencode_upper(char c)
{
	static char one[2];
	switch (c) {
	case '+':
		return "%2B";
	case '/':
		return "%2F";
	case '=':
		return "%3D";
	}
	one[0] = c;
	return one;
}

static const char *
urlencode_lower(char c)
{
	static char one[2];
	switch (c) {
	case '+':
		return "%2b";
	case '/':
		return "%2f";
	case '=':
		return "%3d";
	}
	one[0] = c;
	return one;
}

static const char *
base64url(char c)
{
	static char one[2];
	switch (c) {
	case '+':
		return "-";
	case '/':
		return "_";
	case '=':
		return "";
	}
	one[0] = c;
	return one;
}

static const char *
plus_as_space(char c)
{
	static char one[2];
	one[0] = c == '+' ? ' ' : c;
	return one;
}

static void
test_get_forms(void **state)
{
	char buf[4096];

	(void)state;
	expect_same(b64);
	transform(buf, sizeof(buf), urlencode_upper);
	expect_same(buf);
	transform(buf, sizeof(buf), urlencode_lower);
	expect_same(buf);
	transform(buf, sizeof(buf), base64url);
	expect_same(buf);
	transform(buf, sizeof(buf), plus_as_space);
	expect_same(buf);
	snprintf(buf, sizeof(buf), "//%s", b64);
	expect_same(buf);
}

static void
test_get_padding_and_spaces(void **state)
{
	/* "+" sent as a space, and "%20": both are '+'. "+/8=" decodes to fb ff. */
	uint8_t out[OCSP_GET_DER_MAX];
	size_t len;

	(void)state;
	assert_int_equal(ocsp_request_from_get(" /8=", 4, out, &len), OCSP_REQUEST_OK);
	assert_int_equal(len, 2);
	assert_int_equal(out[0], 0xfb);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(ocsp_request_from_get("%20/8", 5, out, &len), OCSP_REQUEST_OK);
	assert_int_equal(len, 2);
	assert_int_equal(ocsp_request_from_get("-_8", 3, out, &len), OCSP_REQUEST_OK);
	assert_int_equal(out[0], 0xfb);
	assert_int_equal(ocsp_request_from_get("QQ", 2, out, &len), OCSP_REQUEST_OK);
	assert_int_equal(len, 1);
	assert_int_equal(out[0], 'A');
}

static void
test_get_rejects(void **state)
{
	static const char *const bad[] = {"", "/", "A", "QQ=x", "QQ===", "Q!Q=", "%zz", "QQ%3", "\x80"};
	uint8_t out[OCSP_GET_DER_MAX];
	char big[OCSP_GET_PATH_MAX + 8];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ocsp_request_from_get(bad[i], strlen(bad[i]), out, &len),
		    OCSP_REQUEST_MALFORMED);
	memset(big, 'A', sizeof(big));
	assert_int_equal(ocsp_request_from_get(big, sizeof(big), out, &len), OCSP_REQUEST_MALFORMED);
}

static void
test_parse(void **state)
{
	struct ocsp_query q;
	struct ocsp_issuer_hashes h;
	struct err e;
	unsigned char *der256;
	int len256;

	(void)state;
	assert_int_equal(ocsp_issuer_hashes(ca.cert, &h, &e), 0);
	assert_int_equal(ocsp_request_parse(req_der, (size_t)req_len, &q), OCSP_REQUEST_OK);
	assert_int_equal(q.hash, OCSP_HASH_SHA1);
	assert_memory_equal(q.name_hash, h.name[0], 20);
	assert_memory_equal(q.key_hash, h.key[0], 20);
	assert_int_equal(q.serial_len, 3);
	assert_int_equal(q.serial[0], 0x00);
	assert_int_equal(q.serial[1], 0xff);

	der256 = make_request(EVP_sha256(), &len256);
	assert_int_equal(ocsp_request_parse(der256, (size_t)len256, &q), OCSP_REQUEST_OK);
	assert_int_equal(q.hash, OCSP_HASH_SHA256);
	assert_memory_equal(q.key_hash, h.key[1], 32);
	OPENSSL_free(der256);

	der256 = make_request(EVP_sha384(), &len256);
	assert_int_equal(ocsp_request_parse(der256, (size_t)len256, &q), OCSP_REQUEST_UNSUPPORTED);
	OPENSSL_free(der256);

	/* Truncated, trailing garbage, empty, and not a request at all. */
	assert_int_equal(ocsp_request_parse(req_der, (size_t)req_len - 1, &q), OCSP_REQUEST_MALFORMED);
	assert_int_equal(ocsp_request_parse(req_der, 0, &q), OCSP_REQUEST_MALFORMED);
	assert_int_equal(ocsp_request_parse((const uint8_t *)"\x30\x00", 2, &q),
	    OCSP_REQUEST_MALFORMED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_forms),
	    cmocka_unit_test(test_get_padding_and_spaces),
	    cmocka_unit_test(test_get_rejects),
	    cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
