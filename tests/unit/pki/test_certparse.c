/*
 * Unit tests for pki/certparse and pki/sigverify: every field the fast reader
 * returns is compared with what OpenSSL's full parse says, for each key type,
 * and what it does not handle is refused (so intake falls back to OpenSSL).
 */
#include "testutil.h"
#include "pki/cert.h"
#include "pki/certparse.h"
#include "pki/sigverify.h"
#include "pki/serial.h"

#include <openssl/x509v3.h>

static unsigned char *
leaf(const struct test_ca *ca, const uint8_t *serial, size_t slen, int64_t nb, int64_t na,
    const char *crl, int *len)
{
	struct err e;
	struct mint_cert m = {
	    .common_name = "fast.test",
	    .issuer = ca->cert,
	    .issuer_key = ca->key,
	    .subject_key = ca->key,
	    .serial = serial,
	    .serial_len = slen,
	    .not_before = nb,
	    .not_after = na,
	    .pathlen = -1,
	    .crl_url = crl,
	    .ocsp_url = "http://ocsp.test/",
	};
	X509 *x = mint_certificate(&m, &e);
	unsigned char *der = NULL;

	assert_non_null(x);
	*len = i2d_X509(x, &der);
	X509_free(x);
	return der;
}

static void
compare_with_openssl(const unsigned char *der, int len, const struct test_ca *ca)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, len);
	struct cert_parsed c;
	struct cert_record r;
	struct sigverify *sv = sigverify_new();
	unsigned char *issuer_der = NULL;
	int issuer_len;
	struct err e;
	uint8_t fp[32];

	assert_non_null(x);
	assert_non_null(sv);
	assert_int_equal(certparse(der, (size_t)len, &c), 0);
	assert_int_equal(cert_record_from_x509(x, der, (size_t)len, &r, &e), 0);
	assert_int_equal(c.serial_len, r.serial_len);
	assert_memory_equal(c.serial, r.serial, r.serial_len);
	assert_int_equal(c.not_before, r.not_before);
	assert_int_equal(c.not_after, r.not_after);
	issuer_len = i2d_X509_NAME(X509_get_issuer_name(x), &issuer_der);
	assert_int_equal(c.issuer_len, (size_t)issuer_len);
	assert_memory_equal(c.issuer, issuer_der, (size_t)issuer_len);
	assert_int_equal(c.is_ca, cert_is_ca(x));
	assert_int_equal(sigverify_check(sv, X509_get0_pubkey(ca->cert), c.sig_alg, c.tbs, c.tbs_len,
			     c.sig, c.sig_len),
	    1);
	assert_int_equal(X509_verify(x, X509_get0_pubkey(ca->cert)), 1);
	assert_int_equal(sigverify_sha256(sv, der, (size_t)len, fp), 0);
	assert_memory_equal(fp, r.fingerprint, 32);
	OPENSSL_free(issuer_der);
	sigverify_free(sv);
	X509_free(x);
}

static void
test_matches_openssl_for_each_key_type(void **state)
{
	static const enum mint_key_type types[] = {MINT_P256, MINT_P384, MINT_RSA2048, MINT_ED25519};
	static const uint8_t serials[][3] = {{0x05}, {0x00, 0x80, 0x01}, {0xfb}};
	static const size_t slens[] = {1, 3, 1};
	int64_t now = (int64_t)time(NULL);
	struct test_ca ca;
	unsigned char *der;
	int len;

	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		test_ca_make(&ca, "fast path CA", NULL, types[t]);
		for (size_t s = 0; s < 3; s++) {
			der = leaf(&ca, serials[s], slens[s], now - 100, now + 1000,
			    s == 1 ? "http://c.test/crl/e1/3.crl" : NULL, &len);
			compare_with_openssl(der, len, &ca);
			OPENSSL_free(der);
		}
		/* GeneralizedTime after 2049. */
		der = leaf(&ca, serials[0], 1, now, 2600000000LL, NULL, &len);
		compare_with_openssl(der, len, &ca);
		OPENSSL_free(der);
		/* The CA certificate itself: parsed, and flagged as a CA. */
		der = NULL;
		len = i2d_X509(ca.cert, &der);
		struct cert_parsed c;
		assert_int_equal(certparse(der, (size_t)len, &c), 0);
		assert_int_equal(c.is_ca, 1);
		OPENSSL_free(der);
		test_ca_free(&ca);
	}
}

static void
test_crldp_is_found(void **state)
{
	struct test_ca ca;
	struct cert_parsed c;
	const unsigned char *p;
	unsigned char *der;
	int len;
	uint8_t sn[] = {0x42};
	STACK_OF(DIST_POINT) *dps;

	(void)state;
	test_ca_make(&ca, "crldp CA", NULL, MINT_P256);
	der = leaf(&ca, sn, 1, 0, 1000000, "http://c.test/crl/e1/3.crl", &len);
	assert_int_equal(certparse(der, (size_t)len, &c), 0);
	assert_non_null(c.crldp);
	p = c.crldp;
	dps = d2i_CRL_DIST_POINTS(NULL, &p, (long)c.crldp_len);
	assert_non_null(dps);
	assert_int_equal(sk_DIST_POINT_num(dps), 1);
	CRL_DIST_POINTS_free(dps);
	OPENSSL_free(der);
	test_ca_free(&ca);
}

static void
test_refuses_what_it_does_not_handle(void **state)
{
	struct test_ca ca;
	struct cert_parsed c;
	unsigned char *der, *copy;
	int len;
	uint8_t sn[] = {0x42};
	struct sigverify *sv = sigverify_new();

	(void)state;
	test_ca_make(&ca, "refusal CA", NULL, MINT_P256);
	der = leaf(&ca, sn, 1, 0, 1000000, NULL, &len);
	assert_int_equal(certparse(der, (size_t)len - 1, &c), -1);  /* truncated */
	copy = malloc((size_t)len + 1);
	memcpy(copy, der, (size_t)len);
	copy[len] = 0;
	assert_int_equal(certparse(copy, (size_t)len + 1, &c), -1); /* trailing byte */
	/* A flipped bit in the signed part: parses, but the signature fails. */
	memcpy(copy, der, (size_t)len);
	assert_int_equal(certparse(copy, (size_t)len, &c), 0);
	copy[c.tbs - copy + c.tbs_len - 5] ^= 1;
	assert_int_equal(certparse(copy, (size_t)len, &c), 0);
	assert_int_equal(sigverify_check(sv, X509_get0_pubkey(ca.cert), c.sig_alg, c.tbs,
			     c.tbs_len, c.sig, c.sig_len),
	    0);
	/* The wrong key type for the algorithm never verifies. */
	assert_int_equal(certparse(der, (size_t)len, &c), 0);
	struct test_ca rsa;
	test_ca_make(&rsa, "rsa", NULL, MINT_RSA2048);
	assert_int_equal(sigverify_check(sv, X509_get0_pubkey(rsa.cert), c.sig_alg, c.tbs,
			     c.tbs_len, c.sig, c.sig_len),
	    0);
	test_ca_free(&rsa);
	free(copy);
	OPENSSL_free(der);
	sigverify_free(sv);
	test_ca_free(&ca);
	assert_int_equal(certparse((const uint8_t *)"\x30\x03\x02\x01\x00", 5, &c), -1);
}

/* A DER signature by key over msg with md (a digest the key's default need not be). */
static size_t
sign_with(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t len, uint8_t *sig)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t n = 1024;

	assert_non_null(c);
	assert_int_equal(EVP_DigestSignInit(c, NULL, md, NULL, key), 1);
	assert_int_equal(EVP_DigestSign(c, sig, &n, msg, len), 1);
	EVP_MD_CTX_free(c);
	return n;
}

/*
 * One sigverify checks many signatures with the contexts it keeps per key
 * and algorithm: each answer must be the one a fresh EVP_DigestVerify gives,
 * whatever came before it (another key, the same key with another digest,
 * a signature that failed, the wrong key type), and past SIGVERIFY_KEYS
 * pairs (the slow path).
 */
static void
test_sigverify_keys_and_algorithms_interleaved(void **state)
{
	static const uint8_t msg[] = "a TBSCertificate", other[] = "another one";
	struct test_ca ec, ec2, rsa;
	struct sigverify *sv = sigverify_new();
	EVP_PKEY *extra[SIGVERIFY_KEYS];
	uint8_t s256[1024], s384[1024], s512[1024], r256[1024], r384[1024], e2[1024], x[1024];
	size_t l256, l384, l512, lr256, lr384, le2, lx;

/* sigverify_check of m (an array) with key under alg: want (1 verifies, 0 not). */
#define CHECK(key, alg, m, sig, len, want)                                                     \
	assert_int_equal(sigverify_check(sv, key, alg, m, sizeof(m), sig, len), want)

	(void)state;
	assert_non_null(sv);
	test_ca_make(&ec, "ec", NULL, MINT_P256);
	test_ca_make(&ec2, "ec2", NULL, MINT_P256);
	test_ca_make(&rsa, "rsa", NULL, MINT_RSA2048);
	l256 = sign_with(ec.key, EVP_sha256(), msg, sizeof(msg), s256);
	l384 = sign_with(ec.key, EVP_sha384(), msg, sizeof(msg), s384);
	l512 = sign_with(ec.key, EVP_sha512(), msg, sizeof(msg), s512);
	lr256 = sign_with(rsa.key, EVP_sha256(), msg, sizeof(msg), r256);
	lr384 = sign_with(rsa.key, EVP_sha384(), msg, sizeof(msg), r384);
	le2 = sign_with(ec2.key, EVP_sha256(), msg, sizeof(msg), e2);
	EVP_PKEY *pec = X509_get0_pubkey(ec.cert), *pec2 = X509_get0_pubkey(ec2.cert),
		 *prsa = X509_get0_pubkey(rsa.cert);
	for (int round = 0; round < 3; round++) {
		/* Each digest with its own algorithm only: the context is per algorithm. */
		CHECK(pec, CERT_SIG_ECDSA_SHA256, msg, s256, l256, 1);
		CHECK(pec, CERT_SIG_ECDSA_SHA384, msg, s256, l256, 0);
		CHECK(pec, CERT_SIG_ECDSA_SHA384, msg, s384, l384, 1);
		CHECK(pec, CERT_SIG_ECDSA_SHA512, msg, s512, l512, 1);
		CHECK(pec, CERT_SIG_ECDSA_SHA256, msg, s384, l384, 0);
		/* Another key: its own signature, not the first key's. */
		CHECK(pec2, CERT_SIG_ECDSA_SHA256, msg, e2, le2, 1);
		CHECK(pec2, CERT_SIG_ECDSA_SHA256, msg, s256, l256, 0);
		CHECK(pec, CERT_SIG_ECDSA_SHA256, msg, e2, le2, 0);
		/* Other bytes, a truncated signature, then the good one again. */
		CHECK(pec, CERT_SIG_ECDSA_SHA256, other, s256, l256, 0);
		CHECK(pec, CERT_SIG_ECDSA_SHA256, msg, s256, l256 - 1, 0);
		CHECK(pec, CERT_SIG_ECDSA_SHA256, msg, s256, l256, 1);
		/* RSA (PKCS#1 v1.5): the digest in the DigestInfo must be the algorithm's. */
		CHECK(prsa, CERT_SIG_RSA_SHA256, msg, r256, lr256, 1);
		CHECK(prsa, CERT_SIG_RSA_SHA384, msg, r256, lr256, 0);
		CHECK(prsa, CERT_SIG_RSA_SHA384, msg, r384, lr384, 1);
		/* The wrong key type for the algorithm, either way round. */
		CHECK(prsa, CERT_SIG_ECDSA_SHA256, msg, s256, l256, 0);
		CHECK(pec, CERT_SIG_RSA_SHA256, msg, r256, lr256, 0);
		CHECK(pec, CERT_SIG_ED25519, msg, s256, l256, 0);
	}
	/* More pairs than it keeps: the rest through the slow path, the same answers. */
	for (int i = 0; i < SIGVERIFY_KEYS; i++) {
		extra[i] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		assert_non_null(extra[i]);
		lx = sign_with(extra[i], EVP_sha256(), other, sizeof(other), x);
		CHECK(extra[i], CERT_SIG_ECDSA_SHA256, other, x, lx, 1);
		CHECK(extra[i], CERT_SIG_ECDSA_SHA256, msg, x, lx, 0);
		CHECK(pec, CERT_SIG_ECDSA_SHA256, msg, s256, l256, 1);
	}
	/* The context holds its keys: freed by the caller first, still checked right. */
	for (int i = 0; i < SIGVERIFY_KEYS; i++)
		EVP_PKEY_free(extra[i]);
	CHECK(pec2, CERT_SIG_ECDSA_SHA256, msg, e2, le2, 1);
	sigverify_free(sv);
	test_ca_free(&ec);
	test_ca_free(&ec2);
	test_ca_free(&rsa);
#undef CHECK
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_matches_openssl_for_each_key_type),
	    cmocka_unit_test(test_crldp_is_found),
	    cmocka_unit_test(test_refuses_what_it_does_not_handle),
	    cmocka_unit_test(test_sigverify_keys_and_algorithms_interleaved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
