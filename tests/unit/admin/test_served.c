/*
 * Unit tests for admin/served: the OCSP request ?wait=served writes by hand,
 * byte for byte what OpenSSL writes for the same issuer and serial.
 */
#include "testutil.h"
#include "admin/served.h"

#include <openssl/ocsp.h>

/* OpenSSL's OCSPRequest for issuer and the serial's content bytes (one SHA-1 CertID). */
static int
openssl_request(X509 *issuer, const uint8_t *serial, size_t len, uint8_t **der)
{
	const uint8_t *p;
	uint8_t intder[2 + STORE_SERIAL_MAX];
	ASN1_INTEGER *sn;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id;
	int n;

	/* The serial as an INTEGER whose content is exactly these bytes. */
	intder[0] = 0x02;
	intder[1] = (uint8_t)len;
	memcpy(intder + 2, serial, len);
	p = intder;
	sn = d2i_ASN1_INTEGER(NULL, &p, (long)(2 + len));
	assert_non_null(sn);
	id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer),
	    X509_get0_pubkey_bitstr(issuer), sn);
	assert_non_null(id);
	assert_non_null(OCSP_request_add0_id(req, id));
	*der = NULL;
	n = i2d_OCSP_REQUEST(req, der);
	OCSP_REQUEST_free(req);
	ASN1_INTEGER_free(sn);
	return n;
}

static void
test_request_as_openssl_writes_it(void **state)
{
	static const uint8_t one[] = {0x01};
	static const uint8_t high[] = {0x00, 0x80};           /* a leading zero kept */
	static const uint8_t twenty[] = {0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	    16, 17, 18, 19};                                   /* the BRs' largest */
	const struct {
		const uint8_t *s;
		size_t len;
	} serials[] = {{one, sizeof(one)}, {high, sizeof(high)}, {twenty, sizeof(twenty)}};
	struct admin_served_issuer is;
	struct test_ca ca;
	uint8_t *cert = NULL, *want, got[ADMIN_SERVED_REQUEST_MAX];
	struct err e;
	int certlen, wantlen;

	(void)state;
	test_ca_make(&ca, "served test CA", NULL, MINT_P256);
	certlen = i2d_X509(ca.cert, &cert);
	assert_true(certlen > 0);
	assert_int_equal(admin_served_issuer_init(cert, (size_t)certlen, &is, &e), 0);
	for (size_t i = 0; i < sizeof(serials) / sizeof(serials[0]); i++) {
		struct admin_served_want w = {.issuer = &is, .serial = serials[i].s,
		    .serial_len = serials[i].len};
		size_t n = admin_served_request_der(&w, got);

		wantlen = openssl_request(ca.cert, serials[i].s, serials[i].len, &want);
		assert_int_equal(n, (size_t)wantlen);
		assert_memory_equal(got, want, n);
		OPENSSL_free(want);
	}
	/* A certificate that does not parse is refused, not hashed. */
	assert_int_equal(admin_served_issuer_init(cert, (size_t)certlen - 1, &is, &e), -1);
	assert_non_null(strstr(e.msg, "does not parse"));
	OPENSSL_free(cert);
	test_ca_free(&ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_as_openssl_writes_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
