/* Unit tests for ocsp/request: GET decoding quirks and request parsing. */
#include "testutil.h"
#include "ocsp/request.h"
#include "pki/serial.h"

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

/* ocsp_request_to_get writes what clients send, which ocsp_request_from_get reads back. */
static void
test_to_get(void **state)
{
	char buf[4096], small[8], out_text[4096];
	uint8_t der[64], out[OCSP_GET_DER_MAX];
	size_t len;

	(void)state;
	transform(buf, sizeof(buf), urlencode_upper);
	assert_int_equal(ocsp_request_to_get(req_der, (size_t)req_len, small, sizeof(small)), -1);
	assert_int_equal(ocsp_request_to_get(req_der, (size_t)req_len, out_text, sizeof(out_text)),
	    (int)strlen(buf));
	assert_string_equal(out_text, buf);
	expect_same(out_text);
	/* Every byte value and length of padding, through both. */
	for (size_t n = 1; n <= sizeof(der); n++) {
		for (size_t i = 0; i < n; i++)
			der[i] = (uint8_t)(n * 37 + i * 101 + 0xf8);
		assert_true(ocsp_request_to_get(der, n, buf, sizeof(buf)) > 0);
		assert_null(strpbrk(buf, "+/="));
		assert_int_equal(ocsp_request_from_get(buf, strlen(buf), out, &len), OCSP_REQUEST_OK);
		assert_int_equal(len, n);
		assert_memory_equal(out, der, n);
	}
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

/* The two parsers agree: same result, and the same query when it is OK. */
static void
agree(const uint8_t *der, size_t len)
{
	assert_true(ocsp_request_parsers_agree(der, len));
}

enum req_extra {
	REQ_PLAIN,
	REQ_NONCE,      /* what openssl ocsp sends by default */
	REQ_TWO,        /* two CertIDs */
	REQ_ONE_EXT,    /* a singleRequestExtensions nonce */
	REQ_REQUESTOR,  /* requestorName */
};

static unsigned char *
request_with(const EVP_MD *md, const uint8_t *sn, size_t sn_len, enum req_extra extra, int *len)
{
	ASN1_INTEGER *serial = serial_to_asn1(sn, sn_len);
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_ONEREQ *one;
	unsigned char *der = NULL;

	assert_non_null(serial);
	one = OCSP_request_add0_id(req, OCSP_cert_id_new(md, X509_get_subject_name(ca.cert),
					    X509_get0_pubkey_bitstr(ca.cert), serial));
	assert_non_null(one);
	if (extra == REQ_NONCE)
		assert_int_equal(OCSP_request_add1_nonce(req, NULL, -1), 1);
	if (extra == REQ_TWO)
		assert_non_null(OCSP_request_add0_id(req, OCSP_cert_id_new(md,
		    X509_get_subject_name(ca.cert), X509_get0_pubkey_bitstr(ca.cert), serial)));
	if (extra == REQ_ONE_EXT) {
		ASN1_OCTET_STRING *empty = ASN1_OCTET_STRING_new();
		X509_EXTENSION *x = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce, 0,
		    empty);
		assert_int_equal(OCSP_ONEREQ_add_ext(one, x, -1), 1);
		X509_EXTENSION_free(x);
		ASN1_OCTET_STRING_free(empty);
	}
	if (extra == REQ_REQUESTOR)
		assert_int_equal(OCSP_request_set1_name(req, X509_get_subject_name(ca.cert)), 1);
	*len = i2d_OCSP_REQUEST(req, &der);
	assert_true(*len > 0);
	OCSP_REQUEST_free(req);
	ASN1_INTEGER_free(serial);
	return der;
}

/*
 * The hand-read common shape (ocsp_request_parse_fast) takes what clients
 * send, leaves the rest to OpenSSL, and never disagrees with it: on real
 * requests of every form, and on every truncation and every one-byte change
 * of them.
 */
static void
test_fast_path_agrees_with_openssl(void **state)
{
	static const uint8_t s1[] = {0x01}, s2[] = {0x00, 0x80}, s3[] = {0xfe, 0x01},
			     s20[20] = {0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const struct {
		const uint8_t *sn;
		size_t len;
	} serials[] = {{s1, 1}, {s2, 2}, {s3, 2}, {s20, 20}};
	const EVP_MD *mds[] = {EVP_sha1(), EVP_sha256(), EVP_sha384()};
	struct ocsp_query q;
	unsigned char *der;
	int len;

	(void)state;
	for (size_t m = 0; m < 3; m++) {
		for (size_t i = 0; i < sizeof(serials) / sizeof(serials[0]); i++) {
			for (int x = REQ_PLAIN; x <= REQ_REQUESTOR; x++) {
				der = request_with(mds[m], serials[i].sn, serials[i].len, x, &len);
				/* Clients' forms take the fast path; the rest go to OpenSSL. */
				assert_int_equal(ocsp_request_parse_fast(der, (size_t)len, &q),
				    m < 2 && (x == REQ_PLAIN || x == REQ_NONCE));
				agree(der, (size_t)len);
				if (m == 0 && x == REQ_NONCE) {
					for (int k = 0; k < len; k++) {
						agree(der, (size_t)k);
						for (int bit = 0; bit < 8; bit++) {
							der[k] ^= (uint8_t)(1 << bit);
							agree(der, (size_t)len);
							der[k] ^= (uint8_t)(1 << bit);
						}
					}
				}
				OPENSSL_free(der);
			}
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_forms),
	    cmocka_unit_test(test_to_get),
	    cmocka_unit_test(test_get_padding_and_spaces),
	    cmocka_unit_test(test_get_rejects),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_fast_path_agrees_with_openssl),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
