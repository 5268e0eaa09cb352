/*
 * Unit tests for server/about_example.c: the about page's example request is
 * a whole OCSP GET URL that lancre's own decoder reads back as a request for
 * serial 01 of the issuer it was made for (its SHA-1 name and key hashes),
 * on the issuer's host or under the base URL.
 */
#include "testutil.h"
#include "ocsp/certid.h"
#include "ocsp/request.h"
#include "server/about_example.h"

/* The CertID in url, whose request part starts after prefix. */
static void
decode(const char *url, const char *prefix, struct ocsp_query *q)
{
	uint8_t der[OCSP_GET_DER_MAX];
	size_t len = 0, pl = strlen(prefix);

	assert_int_equal(strncmp(url, prefix, pl), 0);
	assert_null(strpbrk(url + pl, "+/=\xe2")); /* %-encoded as clients send it, no "..." */
	assert_int_equal(
	    ocsp_request_from_get(url + pl, strlen(url + pl), der, &len), OCSP_REQUEST_OK);
	assert_int_equal(ocsp_request_parse(der, len, q), OCSP_REQUEST_OK);
	assert_int_equal(q->hash, OCSP_HASH_SHA1);
	assert_int_equal(q->serial_len, 1);
	assert_int_equal(q->serial[0], 0x01);
}

static void
test_issuer(void **state)
{
	struct conf c = {0};
	struct test_ca ca;
	struct ocsp_issuer_hashes h;
	struct ocsp_query q;
	struct err e;
	char *url;

	(void)state;
	test_ca_make(&ca, "example CA", NULL, MINT_P256);
	assert_int_equal(ocsp_issuer_hashes(ca.cert, &h, &e), 0);
	snprintf(c.domain, sizeof(c.domain), "pki.example");
	snprintf(c.base_url, sizeof(c.base_url), "http://127.0.0.1:8080");
	assert_non_null(url = about_example_ocsp_url(&c, "e1", ca.cert));
	decode(url, "http://e1.o.pki.example/", &q);
	assert_memory_equal(q.name_hash, h.name[0], 20);
	assert_memory_equal(q.key_hash, h.key[0], 20);
	free(url);
	c.domain[0] = '\0'; /* path style, under the base URL */
	assert_non_null(url = about_example_ocsp_url(&c, "e1", ca.cert));
	decode(url, "http://127.0.0.1:8080/ocsp/", &q);
	assert_memory_equal(q.key_hash, h.key[0], 20);
	free(url);
	test_ca_free(&ca);
}

/* Before there is an issuer: still a whole request (for a made-up one). */
static void
test_no_issuer(void **state)
{
	struct conf c = {0};
	struct ocsp_query q;
	char *url;

	(void)state;
	snprintf(c.domain, sizeof(c.domain), "pki.example");
	assert_non_null(url = about_example_ocsp_url(&c, NULL, NULL));
	decode(url, "http://ca.o.pki.example/", &q);
	free(url);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_issuer),
	    cmocka_unit_test(test_no_issuer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
