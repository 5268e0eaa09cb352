/*
 * Unit tests for pki/spki: the key a by-key revocation names, in each form
 * an operator may hold it, hashes to what intake records for a certificate
 * of that key (the fast reader's and the full parse's), and everything else
 * is refused with one line.
 */
#include "testutil.h"
#include "pki/cert.h"
#include "pki/certparse.h"
#include "pki/mint.h"
#include "pki/spki.h"

#include <ctype.h>

#include <openssl/encoder.h>
#include <openssl/pem.h>

struct keyed {
	EVP_PKEY *key;
	uint8_t want[STORE_SPKI_HASH_LEN]; /* SHA-256 of i2d_PUBKEY */
	unsigned char *cert_der;
	int cert_len;
};

static void
keyed_make(struct keyed *k, enum mint_key_type type)
{
	static const uint8_t serial[] = {0x3c, 0x01};
	unsigned char *spki = NULL;
	struct err e;
	int n;
	struct mint_cert m = {.common_name = "spki.test", .serial = serial,
	    .serial_len = sizeof(serial), .not_before = 1700000000, .not_after = 1900000000,
	    .pathlen = -1};
	X509 *x;

	k->key = mint_key(type, &e);
	assert_non_null(k->key);
	n = i2d_PUBKEY(k->key, &spki);
	assert_true(n > 0);
	assert_int_equal(EVP_Digest(spki, (size_t)n, k->want, NULL, EVP_sha256(), NULL), 1);
	OPENSSL_free(spki);
	m.issuer_key = m.subject_key = k->key;
	x = mint_certificate(&m, &e);
	assert_non_null(x);
	k->cert_der = NULL;
	k->cert_len = i2d_X509(x, &k->cert_der);
	assert_true(k->cert_len > 0);
	X509_free(x);
}

static void
keyed_free(struct keyed *k)
{
	EVP_PKEY_free(k->key);
	OPENSSL_free(k->cert_der);
}

/* What a BIO written by f holds, NUL-terminated (caller frees). */
static char *
bio_text(BIO *b, size_t *len)
{
	char *p, *out;
	long n = BIO_get_mem_data(b, &p);

	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

static void
hashes_to(const void *data, size_t len, const uint8_t want[STORE_SPKI_HASH_LEN])
{
	uint8_t got[STORE_SPKI_HASH_LEN];
	struct err e = {{0}};

	if (spki_hash_input(data, len, got, &e) != 0)
		fail_msg("refused: %s (%zu bytes)", e.msg, len);
	assert_memory_equal(got, want, STORE_SPKI_HASH_LEN);
}

static void
refused(const void *data, size_t len, const char *msg)
{
	uint8_t got[STORE_SPKI_HASH_LEN];
	struct err e;

	assert_int_equal(spki_hash_input(data, len, got, &e), -1);
	if (strstr(e.msg, msg) == NULL)
		fail_msg("got: %s\nwant: ...%s...", e.msg, msg);
	assert_null(strchr(e.msg, '\n'));
}

/* Each form of one key, and its certificate, hash alike: to what intake records. */
static void
test_forms_of_a_key(void **state)
{
	static const enum mint_key_type types[] = {MINT_P256, MINT_RSA2048, MINT_ED25519};
	struct cert_parsed c;
	uint8_t fast[STORE_SPKI_HASH_LEN];
	struct cert_record rec;
	const unsigned char *p;
	unsigned char *der;
	struct err e;
	size_t len;
	char *text;
	X509 *x;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct keyed k;
		BIO *b;

		keyed_make(&k, types[i]);
		/* The certificate: DER, PEM, the fast reader's bytes, the full parse's record. */
		hashes_to(k.cert_der, (size_t)k.cert_len, k.want);
		p = k.cert_der;
		assert_non_null(x = d2i_X509(NULL, &p, k.cert_len));
		assert_non_null(b = BIO_new(BIO_s_mem()));
		assert_int_equal(PEM_write_bio_X509(b, x), 1);
		text = bio_text(b, &len);
		hashes_to(text, len, k.want);
		free(text);
		assert_int_equal(certparse(k.cert_der, (size_t)k.cert_len, &c), 0);
		assert_int_equal(EVP_Digest(c.spki, c.spki_len, fast, NULL, EVP_sha256(), NULL), 1);
		assert_memory_equal(fast, k.want, STORE_SPKI_HASH_LEN);
		assert_int_equal(cert_record_from_x509(x, k.cert_der, (size_t)k.cert_len, &rec, &e), 0);
		assert_int_equal(rec.has_spki, 1);
		assert_memory_equal(rec.spki_sha256, k.want, STORE_SPKI_HASH_LEN);
		X509_free(x);
		/* The public key: PEM (with blank lines around), DER. */
		assert_non_null(b = BIO_new(BIO_s_mem()));
		BIO_puts(b, "\n \n");
		assert_int_equal(PEM_write_bio_PUBKEY(b, k.key), 1);
		BIO_puts(b, "\n");
		text = bio_text(b, &len);
		hashes_to(text, len, k.want);
		free(text);
		der = NULL;
		assert_true((n = i2d_PUBKEY(k.key, &der)) > 0);
		hashes_to(der, (size_t)n, k.want);
		OPENSSL_free(der);
		/* PKCS#1, for RSA: as a certificate carries it. */
		if (types[i] == MINT_RSA2048) {
			assert_non_null(b = BIO_new(BIO_s_mem()));
			OSSL_ENCODER_CTX *ec = OSSL_ENCODER_CTX_new_for_pkey(k.key,
			    EVP_PKEY_PUBLIC_KEY, "PEM", "type-specific", NULL);
			assert_non_null(ec);
			assert_int_equal(OSSL_ENCODER_to_bio(ec, b), 1);
			OSSL_ENCODER_CTX_free(ec);
			text = bio_text(b, &len);
			assert_non_null(strstr(text, "BEGIN RSA PUBLIC KEY"));
			hashes_to(text, len, k.want);
			free(text);
		}
		keyed_free(&k);
	}
}

static void
refused_s(const char *text, const char *msg)
{
	refused(text, strlen(text), msg);
}

/* Anything but one public key or certificate: refused, saying what it was. */
static void
test_refused(void **state)
{
	struct keyed k;
	uint8_t big[SPKI_INPUT_MAX + 1];
	char *pub, *priv, *two;
	size_t publen, privlen;
	BIO *b;

	(void)state;
	keyed_make(&k, MINT_P256);
	assert_non_null(b = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_PUBKEY(b, k.key), 1);
	pub = bio_text(b, &publen);
	assert_non_null(b = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_PrivateKey(b, k.key, NULL, NULL, 0, NULL, NULL), 1);
	priv = bio_text(b, &privlen);
	refused(priv, privlen, "a private key: give its public key");
	assert_non_null(two = malloc(2 * publen + 1));
	memcpy(two, pub, publen);
	memcpy(two + publen, pub, publen + 1);
	refused(two, 2 * publen, "more than one PEM block (PUBLIC KEY, then PUBLIC KEY)");
	refused("", 0, "empty");
	refused(" \n", 2, "empty");
	refused("hello", 5, "neither a public key nor a certificate");
	refused("\x30\x03\x02\x01\x01", 5, "neither a public key nor a certificate");
	refused(k.cert_der, (size_t)k.cert_len - 1, "neither a public key nor a certificate");
	refused_s("-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n",
	    "a PEM X509 CRL block");
	refused_s("-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
	    "a PUBLIC KEY block that does not decode");
	refused_s("-----BEGIN CERTIFICATE-----\nMAA=\n", "PEM that does not decode");
	refused_s("-----BEGIN \x01\x02-----\nMAA=\n-----END \x01\x02-----\n", "a PEM ? block");
	memset(big, ' ', sizeof(big));
	refused(big, sizeof(big), "more than any key or certificate");
	free(pub);
	free(priv);
	free(two);
	keyed_free(&k);
}

static void
test_hex(void **state)
{
	uint8_t h[STORE_SPKI_HASH_LEN], back[STORE_SPKI_HASH_LEN];
	char hex[SPKI_HEX_LEN + 1], upper[SPKI_HEX_LEN + 1];
	struct err e;

	(void)state;
	for (int i = 0; i < STORE_SPKI_HASH_LEN; i++)
		h[i] = (uint8_t)(i * 37 + 5);
	spki_hex(h, hex);
	assert_int_equal(strlen(hex), SPKI_HEX_LEN);
	assert_int_equal(spki_parse_hex(hex, back, &e), 0);
	assert_memory_equal(h, back, sizeof(h));
	for (int i = 0; i <= SPKI_HEX_LEN; i++)
		upper[i] = (char)toupper((unsigned char)hex[i]);
	assert_int_equal(spki_parse_hex(upper, back, &e), 0);
	assert_memory_equal(h, back, sizeof(h));
	upper[5] = 'g';
	assert_int_equal(spki_parse_hex(upper, back, &e), -1);
	assert_int_equal(spki_parse_hex("abcd", back, &e), -1);
	assert_non_null(strstr(e.msg, "64 hex digits"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forms_of_a_key),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
