/*
 * test_crl_stream.c - the streaming CRL checker (check/crl_stream.c) against
 * OpenSSL with the CRL held whole (crl_oracle.h): CRLs made by Python
 * cryptography and `openssl ca` (crls/, remade by crls/make.sh), by lancre's
 * own builder, and by OpenSSL's X509_CRL API with every key type lancre
 * signs with; then broken ones (truncated at every byte, trailing bytes,
 * wrong signatures, indefinite lengths, algorithm mismatch) and huge ones.
 * Every CRL is fed in chunks of 1, 7, 500 bytes and whole: the decision
 * (refused, good, revoked with date and reason) must be the same.  And the
 * memory bound: buffers stay a few KB however many entries pass.
 */
#include "testutil.h"

#include <openssl/pem.h>

#include "check/crl_oracle.h"
#include "crl/build.h"

#define CRLS_DIR "tests/unit/check/crls"

static const size_t chunks[] = {1, 7, 500, SIZE_MAX};

/* Stream and oracle agree on der for serial, at every chunk size; the oracle's outcome. */
static struct crl_outcome
agree(const uint8_t *der, size_t len, EVP_PKEY *key, const ASN1_INTEGER *serial)
{
	struct crl_outcome ref, got;

	crl_oracle_openssl(der, len, key, serial, &ref);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		crl_oracle_stream(der, len, chunks[i] > len ? (len ? len : 1) : chunks[i], key, serial, &got, NULL);
		if (!crl_outcome_same(&ref, &got))
			fail_msg("chunk %zu: openssl parsed %d verified %d found %d; stream parsed %d verified %d "
				 "found %d (%s)", chunks[i], ref.parsed, ref.verified, ref.found, got.parsed,
			    got.verified, got.found, got.why);
	}
	return ref;
}

static ASN1_INTEGER *
serial_of(int64_t v)
{
	ASN1_INTEGER *a = ASN1_INTEGER_new();

	assert_int_equal(ASN1_INTEGER_set_int64(a, v), 1);
	return a;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(1 << 20);

	assert_non_null(f);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

/* Python cryptography's and openssl ca's CRLs, every serial of crls/serials.txt. */
static void
test_other_tools(void **state)
{
	static const char *pairs[][2] = {{"py-p256", "py-p256"}, {"py-p256-empty", "py-p256"},
	    {"py-p384", "py-p384"}, {"py-rsa", "py-rsa"}, {"py-rsapss", "py-rsa"},
	    {"py-ed25519", "py-ed25519"}, {"ossl-rsa", "ossl-rsa"}};
	char path[256], line[128];
	int revoked = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		size_t len;
		uint8_t *der;
		BIO *b;
		X509 *ca;
		FILE *sf;
		struct crl_stream_info info = {0};
		struct crl_outcome o;
		ASN1_INTEGER *one = serial_of(3);

		snprintf(path, sizeof(path), CRLS_DIR "/%s.crl", pairs[i][0]);
		der = read_file(path, &len);
		snprintf(path, sizeof(path), CRLS_DIR "/%s.pem", pairs[i][1]);
		assert_non_null(b = BIO_new_file(path, "r"));
		assert_non_null(ca = PEM_read_bio_X509(b, NULL, NULL, NULL));
		BIO_free(b);
		assert_non_null(sf = fopen(CRLS_DIR "/serials.txt", "r"));
		while (fgets(line, sizeof(line), sf) != NULL) {
			ASN1_INTEGER *s = NULL;
			BIGNUM *bn = NULL;

			line[strcspn(line, "\n")] = '\0';
			assert_true(BN_hex2bn(&bn, line) > 0);
			s = BN_to_ASN1_INTEGER(bn, NULL);
			o = agree(der, len, X509_get0_pubkey(ca), s);
			assert_true(o.verified); /* the fixture itself is sound */
			revoked += o.found;
			ASN1_INTEGER_free(s);
			BN_free(bn);
		}
		fclose(sf);
		/* EdDSA and RSA-PSS need the whole CRL; the rest are digested as they pass. */
		crl_oracle_stream(der, len, 100, X509_get0_pubkey(ca), one, &o, &info);
		assert_int_equal(info.held_whole, strstr(pairs[i][0], "ed25519") || strstr(pairs[i][0], "pss"));
		ASN1_INTEGER_free(one);
		X509_free(ca);
		free(der);
	}
	assert_true(revoked > 40); /* lookups found entries, not only absences */
}

/* A CRL of n entries (serials 1000 + i) made with OpenSSL's API; huge_at gets a huge_len extension. */
static uint8_t *
make_crl(EVP_PKEY *key, X509 *ca, const EVP_MD *md, int n, int huge_at, size_t huge_len, size_t *len)
{
	static const int reasons[] = {1, 2, 3, 4, 5, 6, 9, 0};
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	uint8_t *der = NULL;
	int l;

	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)), 1);
	ASN1_TIME_set(t, 1800000000);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_set(t, 1800000000 + 7 * 86400);
	X509_CRL_set1_nextUpdate(crl, t);
	for (int i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = serial_of(1000 + i);
		ASN1_ENUMERATED *e = ASN1_ENUMERATED_new();

		ASN1_TIME_set(t, 1800000000 - 60 * i);
		X509_REVOKED_set_serialNumber(r, s);
		X509_REVOKED_set_revocationDate(r, t);
		ASN1_ENUMERATED_set(e, reasons[i % 8]);
		if (reasons[i % 8])
			X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, e, 0, 0);
		if (i == huge_at) {
			ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
			ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.99999.1", 1);
			uint8_t *junk = calloc(1, huge_len);
			X509_EXTENSION *x;

			ASN1_OCTET_STRING_set(os, junk, (int)huge_len);
			x = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
			X509_REVOKED_add_ext(r, x, -1);
			X509_EXTENSION_free(x);
			ASN1_OBJECT_free(obj);
			ASN1_OCTET_STRING_free(os);
			free(junk);
		}
		X509_CRL_add0_revoked(crl, r);
		ASN1_INTEGER_free(s);
		ASN1_ENUMERATED_free(e);
	}
	assert_true(X509_CRL_sign(crl, key, md) > 0);
	l = i2d_X509_CRL(crl, &der);
	assert_true(l > 0);
	*len = (size_t)l;
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return der;
}

/* Every key type lancre signs with; entries found first, middle, last, and absent. */
static void
test_key_types(void **state)
{
	static const enum mint_key_type types[] = {MINT_P256, MINT_P384, MINT_RSA2048, MINT_ED25519};
	static const int64_t look[] = {1000, 1150, 1299, 999, 1300, 5};

	(void)state;
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		struct test_ca ca;
		size_t len;
		uint8_t *der;

		test_ca_make(&ca, "stream CA", NULL, types[t]);
		for (int n = 0; n <= 300; n += 150) {
			der = make_crl(ca.key, ca.cert, types[t] == MINT_ED25519 ? NULL : EVP_sha256(), n ? n : 0,
			    -1, 0, &len);
			for (size_t i = 0; i < sizeof(look) / sizeof(look[0]); i++) {
				ASN1_INTEGER *s = serial_of(look[i]);
				struct crl_outcome o = agree(der, len, ca.key, s);

				assert_true(o.verified);
				assert_int_equal(o.found, n == 300 ? look[i] >= 1000 && look[i] < 1300 : n == 150 &&
				    look[i] >= 1000 && look[i] < 1150);
				ASN1_INTEGER_free(s);
			}
			OPENSSL_free(der);
		}
		test_ca_free(&ca);
	}
}

/* lancre's own builder: a shard with IDP, a delta, reasons. */
static void
test_lancre_builder(void **state)
{
	struct test_ca ca;
	struct crl_params p;
	struct crl_builder *b;
	const unsigned char *der;
	size_t len, count;
	struct err e;

	(void)state;
	test_ca_make(&ca, "lancre CA", NULL, MINT_P256);
	p = (struct crl_params){.issuer = ca.cert, .key = ca.key, .number = 41, .this_update = 1800000000,
	    .next_update = 1800000000 + 86400, .idp_url = "http://c.example/crl/e1/3.crl",
	    .delta_base = 40};
	assert_non_null(b = crl_builder_new(&p, &e));
	for (int i = 0; i < 200; i++) {
		struct cert_record c = {.serial = {0x40, (uint8_t)(i >> 8), (uint8_t)i}, .serial_len = 3,
		    .revoked_at = 1800000000 - i, .reason = i % 2 ? 1 : 4};

		assert_int_equal(crl_builder_add(b, &c, &e), 0);
	}
	assert_int_equal(crl_builder_finish(b, &der, &len, &count, &e), 0);
	for (int64_t v = 0x400000; v < 0x400000 + 210; v += 7) {
		ASN1_INTEGER *s = serial_of(v);
		struct crl_outcome o = agree(der, len, ca.key, s);

		assert_true(o.verified);
		assert_int_equal(o.found, v < 0x400000 + 200);
		ASN1_INTEGER_free(s);
	}
	crl_builder_free(b);
	test_ca_free(&ca);
}

/* Cut at every byte: both refuse; the stream says it is truncated. */
static void
test_truncated_and_trailing(void **state)
{
	struct test_ca ca;
	ASN1_INTEGER *s = serial_of(1003);
	struct crl_outcome o;
	size_t len;
	uint8_t *der, *more;

	(void)state;
	test_ca_make(&ca, "cut CA", NULL, MINT_P256);
	der = make_crl(ca.key, ca.cert, EVP_sha256(), 5, -1, 0, &len);
	for (size_t cut = 0; cut < len; cut++) {
		o = agree(der, cut, ca.key, s);
		assert_false(o.parsed);
	}
	crl_oracle_stream(der, len - 1, 3, ca.key, s, &o, NULL);
	assert_non_null(strstr(o.why, "truncated"));
	/* One byte or a whole second CRL after it. */
	more = malloc(2 * len);
	memcpy(more, der, len);
	memcpy(more + len, der, len);
	assert_false(agree(more, len + 1, ca.key, s).parsed);
	assert_false(agree(more, 2 * len, ca.key, s).parsed);
	crl_oracle_stream(more, len + 1, 1, ca.key, s, &o, NULL);
	assert_string_equal(o.why, "bytes after the end of the CRL");
	free(more);
	OPENSSL_free(der);
	ASN1_INTEGER_free(s);
	test_ca_free(&ca);
}

/* Another key, a changed entry, a changed signature, an outer algorithm that differs. */
static void
test_wrong_signature(void **state)
{
	struct test_ca ca, other;
	ASN1_INTEGER *s = serial_of(1001);
	struct crl_outcome o;
	size_t len, alg;
	uint8_t *der;

	(void)state;
	test_ca_make(&ca, "sig CA", NULL, MINT_P256);
	test_ca_make(&other, "sig CA", NULL, MINT_P256);
	der = make_crl(ca.key, ca.cert, EVP_sha256(), 3, -1, 0, &len);
	o = agree(der, len, other.key, s);
	assert_true(o.parsed && !o.verified);
	/* Entry 1000's serial becomes 1002's twin: still parses, no longer signed. */
	for (size_t i = 0; i + 4 < len; i++) {
		if (der[i] == 0x02 && der[i + 1] == 0x02 && der[i + 2] == 0x03 && der[i + 3] == 0xe8) {
			der[i + 3] = 0xe9;
			break;
		}
	}
	o = agree(der, len, ca.key, s);
	assert_true(o.parsed && !o.verified);
	OPENSSL_free(der);
	der = make_crl(ca.key, ca.cert, EVP_sha256(), 3, -1, 0, &len);
	der[len - 5] ^= 0x01; /* inside the signature */
	assert_false(agree(der, len, ca.key, s).verified);
	der[len - 5] ^= 0x01;
	/* ecdsa-with-SHA256 (…04 03 02) outside becomes …04 03 03 (SHA-384). */
	alg = len;
	for (size_t i = len - 90; i + 10 < len; i++) {
		if (memcmp(der + i, "\x06\x08\x2a\x86\x48\xce\x3d\x04\x03\x02", 10) == 0)
			alg = i + 9;
	}
	assert_true(alg < len);
	der[alg] = 0x03;
	o = agree(der, len, ca.key, s);
	assert_false(o.verified);
	crl_oracle_stream(der, len, 64, ca.key, s, &o, NULL);
	assert_string_equal(o.why, "the CRL's two signature algorithms differ");
	OPENSSL_free(der);
	ASN1_INTEGER_free(s);
	test_ca_free(&ca);
	test_ca_free(&other);
}

/*
 * BER's indefinite length on the outer SEQUENCE (30 80 ... 00 00): OpenSSL
 * reads it, the signature still verifies (it covers tbsCertList only); DER
 * forbids it and the stream refuses it, at its header, with the reason.
 */
static void
test_indefinite_length(void **state)
{
	struct test_ca ca;
	ASN1_INTEGER *s = serial_of(1001);
	struct crl_outcome ref, got;
	size_t len, hl;
	uint8_t *der, *ber;

	(void)state;
	test_ca_make(&ca, "ber CA", NULL, MINT_P256);
	der = make_crl(ca.key, ca.cert, EVP_sha256(), 3, -1, 0, &len);
	hl = der[1] < 0x80 ? 2 : 2 + (der[1] & 0x7f);
	ber = malloc(len - hl + 4);
	ber[0] = 0x30;
	ber[1] = 0x80;
	memcpy(ber + 2, der + hl, len - hl);
	ber[len - hl + 2] = ber[len - hl + 3] = 0;
	crl_oracle_openssl(ber, len - hl + 4, ca.key, s, &ref);
	crl_oracle_stream(ber, len - hl + 4, 5, ca.key, s, &got, NULL);
	assert_false(got.parsed);
	assert_string_equal(got.why, "not DER: an indefinite length (BER)");
	print_message("OpenSSL with the outer SEQUENCE in indefinite length: parsed %d, verified %d\n",
	    ref.parsed, ref.verified);
	free(ber);
	OPENSSL_free(der);
	ASN1_INTEGER_free(s);
	test_ca_free(&ca);
}

/*
 * A 200 KB extension on another entry passes without being held; on the
 * wanted entry it is over CRL_STREAM_ENTRY_MAX and the stream refuses it
 * (OpenSSL, holding everything, accepts it: the price of the bound).
 */
static void
test_huge_entries(void **state)
{
	struct test_ca ca;
	struct crl_stream_info info = {0};
	struct crl_outcome o;
	ASN1_INTEGER *s = serial_of(1005), *huge = serial_of(1002);
	size_t len;
	uint8_t *der;

	(void)state;
	test_ca_make(&ca, "huge CA", NULL, MINT_P256);
	der = make_crl(ca.key, ca.cert, EVP_sha256(), 10, 2, 200 * 1024, &len);
	o = agree(der, len, ca.key, s);
	assert_true(o.verified && o.found);
	crl_oracle_stream(der, len, 4096, ca.key, s, &o, &info);
	assert_true(info.peak < 8192);
	crl_oracle_stream(der, len, 4096, ca.key, huge, &o, NULL);
	assert_false(o.parsed);
	assert_string_equal(o.why, "the certificate's entry is larger than 64 KB");
	crl_oracle_openssl(der, len, ca.key, huge, &o);
	assert_true(o.verified && o.found);
	OPENSSL_free(der);
	ASN1_INTEGER_free(s);
	ASN1_INTEGER_free(huge);
	test_ca_free(&ca);
}

/* 20,000 entries: buffers stay the same few KB as for 3. */
static void
test_bounded_memory(void **state)
{
	struct test_ca ca;
	struct crl_stream_info small = {0}, big = {0};
	struct crl_outcome o;
	ASN1_INTEGER *s = serial_of(20999);
	size_t len;
	uint8_t *der;

	(void)state;
	test_ca_make(&ca, "big CA", NULL, MINT_P256);
	der = make_crl(ca.key, ca.cert, EVP_sha256(), 20000, -1, 0, &len);
	crl_oracle_stream(der, len, 16384, ca.key, s, &o, &big);
	assert_true(o.parsed && o.verified && o.found);
	assert_int_equal(big.entries, 20000);
	OPENSSL_free(der);
	der = make_crl(ca.key, ca.cert, EVP_sha256(), 3, -1, 0, &len);
	crl_oracle_stream(der, len, 16384, ca.key, s, &o, &small);
	print_message("buffers: %zu bytes for 3 entries, %zu for 20000\n", small.peak, big.peak);
	assert_true(big.peak <= 4096);
	assert_true(big.peak <= small.peak + 512);
	OPENSSL_free(der);
	ASN1_INTEGER_free(s);
	test_ca_free(&ca);
}

/* An outer length over the cap is refused at its header, before the body. */
static void
test_declared_too_big(void **state)
{
	static const uint8_t head[] = {0x30, 0x84, 0x06, 0x40, 0x00, 0x01, 0x30};
	ASN1_INTEGER *s = serial_of(1);
	struct crl_stream *st = crl_stream_new(s, 100 * 1024 * 1024);

	(void)state;
	assert_int_equal(crl_stream_feed(st, head, 6), -1);
	assert_string_equal(crl_stream_why(st), "the CRL says it is 104857607 bytes, more than 104857600");
	crl_stream_free(st);
	ASN1_INTEGER_free(s);
}

/*
 * der re-signed by key after entry i's serial is set to the magnitude c (n
 * bytes, kept as they are by i2d: a leading 00 stays), negative when neg.
 */
static uint8_t *
resign_serial(const uint8_t *der, size_t len, EVP_PKEY *key, int i, const uint8_t *c, int n, int neg,
    size_t *out)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	X509_REVOKED *r;
	uint8_t *res = NULL;
	int l;

	assert_non_null(crl);
	r = sk_X509_REVOKED_value(X509_CRL_get_REVOKED(crl), i);
	assert_int_equal(ASN1_STRING_set((ASN1_STRING *)X509_REVOKED_get0_serialNumber(r), c, n), 1);
	if (neg)
		((ASN1_STRING *)X509_REVOKED_get0_serialNumber(r))->type = V_ASN1_NEG_INTEGER;
	assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
	l = i2d_X509_CRL(crl, &res);
	assert_true(l > 0);
	*out = (size_t)l;
	X509_CRL_free(crl);
	return res;
}

/*
 * A serial with a redundant leading 00 or FF octet is not DER: OpenSSL
 * refuses the CRL, and so must the stream, for the wanted serial padded
 * (which would not match it byte for byte: GOOD, fail-open) as for any other
 * entry's; an empty INTEGER too.
 */
static void
test_padded_serial(void **state)
{
	/* 02 03 00 03 e8 (1000), and 02 02 ff 80 (-128: the magnitude 00 80 in two's complement). */
	static const uint8_t pad_1000[] = {0x00, 0x03, 0xe8}, pad_ff[] = {0x00, 0x80};
	/* CertificateList, tbsCertList (v2, ecdsa-with-SHA256, empty issuer, thisUpdate), one entry: 02 00. */
	static const uint8_t empty[] = {0x30, 0x7f, 0x30, 0x26, 0x02, 0x01, 0x01, 0x30, 0x0a, 0x06, 0x08, 0x2a,
	    0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x30, 0x00, 0x17, 0x0d, '3', '0', '0', '1', '0', '1', '0',
	    '0', '0', '0', '0', '0', 'Z', 0x30, 0x04, 0x30, 0x02, 0x02, 0x00};
	struct test_ca ca;
	ASN1_INTEGER *s = serial_of(1000);
	struct crl_outcome o;
	struct crl_stream *st;
	size_t len, plen;
	uint8_t *der, *padded;

	(void)state;
	test_ca_make(&ca, "pad CA", NULL, MINT_P256);
	der = make_crl(ca.key, ca.cert, EVP_sha256(), 3, -1, 0, &len);
	for (int i = 0; i < 3; i++) {
		padded = resign_serial(der, len, ca.key, i, pad_1000, (int)sizeof(pad_1000), 0, &plen);
		o = agree(padded, plen, ca.key, s);
		assert_false(o.parsed);
		crl_oracle_stream(padded, plen, 7, ca.key, s, &o, NULL);
		assert_string_equal(o.why, "not DER: a CRL entry's serial is not a minimal INTEGER");
		OPENSSL_free(padded);
	}
	padded = resign_serial(der, len, ca.key, 1, pad_ff, (int)sizeof(pad_ff), 1, &plen);
	assert_non_null(memmem(padded, plen, "\x02\x02\xff\x80", 4));
	assert_false(agree(padded, plen, ca.key, s).parsed);
	OPENSSL_free(padded);
	st = crl_stream_new(s, 1 << 20);
	assert_int_equal(crl_stream_feed(st, empty, sizeof(empty)), -1);
	assert_string_equal(crl_stream_why(st), "not DER: a CRL entry's serial is not a minimal INTEGER");
	crl_stream_free(st);
	OPENSSL_free(der);
	ASN1_INTEGER_free(s);
	test_ca_free(&ca);
}

/*
 * An inner header that crosses its parent's end (the CertificateList holds
 * 3 bytes, tbsCertList's header takes 4) is a framing error at that header,
 * not a CRL that never ends.
 */
static void
test_header_past_parent(void **state)
{
	static const uint8_t crl[] = {0x30, 0x03, 0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x01};
	ASN1_INTEGER *s = serial_of(1);
	struct crl_stream *st;

	(void)state;
	for (size_t chunk = 1; chunk <= sizeof(crl); chunk += sizeof(crl) - 1) {
		st = crl_stream_new(s, 1 << 20);
		for (size_t i = 0; i < sizeof(crl); i += chunk) {
			if (crl_stream_feed(st, crl + i, chunk < sizeof(crl) - i ? chunk : sizeof(crl) - i) != 0)
				break;
		}
		assert_int_equal(crl_stream_end(st), -1);
		assert_string_equal(crl_stream_why(st), "an element runs past the end of the one holding it");
		crl_stream_free(st);
	}
	ASN1_INTEGER_free(s);
}

/* tag, one-byte length, n bytes at v: what the hand-made CRLs below are built of. */
static size_t
tlv(uint8_t *out, uint8_t tag, const uint8_t *v, size_t n)
{
	assert_true(n < 0x80);
	memmove(out + 2, v, n); /* first: v may be out */
	out[0] = tag;
	out[1] = (uint8_t)n;
	return n + 2;
}

/*
 * A CRL (unsigned: refused before the signature matters) with a UTCTime of
 * tlen bytes as thisUpdate (where 0) or as the entry's revocationDate (where 1).
 */
static size_t
crl_with_time(uint8_t *out, size_t tlen, int where)
{
	static const uint8_t head[] = {0x02, 0x01, 0x01, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
	    0x3d, 0x04, 0x03, 0x02, 0x30, 0x00};
	uint8_t t[64], good[16], entry[64], tbs[127];
	size_t n = 0, tl, gl, el;

	memset(t, '0', tlen - 1);
	t[tlen - 1] = 'Z';
	tl = tlv(t, 0x17, t, tlen);
	memcpy(good, "300101000000Z", 13);
	gl = tlv(good, 0x17, good, 13);
	memcpy(tbs, head, sizeof(head));
	n = sizeof(head);
	memcpy(tbs + n, where == 0 ? t : good, where == 0 ? tl : gl);
	n += where == 0 ? tl : gl;
	el = tlv(entry, 0x02, (const uint8_t *)"\x01", 1);
	memcpy(entry + el, where == 1 ? t : good, where == 1 ? tl : gl);
	el = tlv(entry, 0x30, entry, el + (where == 1 ? tl : gl));
	el = tlv(entry, 0x30, entry, el);
	memcpy(tbs + n, entry, el);
	n = tlv(tbs, 0x30, tbs, n + el);
	return tlv(out, 0x30, tbs, n);
}

/*
 * A UTCTime of 40 bytes, as thisUpdate or as the wanted entry's date:
 * d2i_X509_CRL reads it (it checks a time's text only when asked), the
 * stream refuses it for what it is, not as "over 64 KB" (fuzz_crl_stream
 * found that message); with 13-byte times the same bytes are read up to
 * where the signature algorithm should follow.
 */
static void
test_long_time(void **state)
{
	ASN1_INTEGER *s = serial_of(1);
	struct crl_stream *st;
	uint8_t crl[256];
	size_t n;

	(void)state;
	for (int where = 0; where < 2; where++) {
		for (size_t tlen = 13; tlen <= 40; tlen += 27) {
			n = crl_with_time(crl, tlen, where);
			st = crl_stream_new(s, 1 << 20);
			assert_int_equal(crl_stream_feed(st, crl, n), -1);
			assert_string_equal(crl_stream_why(st), tlen == 13 ?
			    "the CertificateList does not hold tbsCertList, algorithm and signature" :
			    "a time in the CRL is longer than a UTCTime or GeneralizedTime can be");
			crl_stream_free(st);
		}
	}
	ASN1_INTEGER_free(s);
}

/*
 * md4WithRSAEncryption: OpenSSL 3 names the digest but its default provider
 * does not offer it.  The stream reads the CRL as OpenSSL does (it used to
 * refuse it, "the digest failed": fuzz_crl_stream), finds the entry, and the
 * signature does not verify, for both.
 */
static void
test_unavailable_digest(void **state)
{
	static const uint8_t sha256rsa[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b};
	struct test_ca ca;
	struct crl_outcome ref, got;
	ASN1_INTEGER *s = serial_of(1001);
	size_t len, patched = 0;
	uint8_t *der, *p;

	(void)state;
	test_ca_make(&ca, "md4 CA", NULL, MINT_RSA2048);
	der = make_crl(ca.key, ca.cert, EVP_sha256(), 3, -1, 0, &len);
	for (p = der; (p = memmem(p, len - (size_t)(p - der), sha256rsa, sizeof(sha256rsa))) != NULL; patched++)
		p[sizeof(sha256rsa) - 1] = 0x03; /* 1.2.840.113549.1.1.3 */
	assert_int_equal(patched, 2);
	crl_oracle_openssl(der, len, ca.key, s, &ref);
	assert_true(ref.parsed && ref.found && !ref.verified);
	for (size_t chunk = 1; chunk <= len; chunk = chunk * 7 + 1) {
		crl_oracle_stream(der, len, chunk, ca.key, s, &got, NULL);
		assert_true(got.parsed && got.found && !got.verified);
		assert_int_equal(got.date, ref.date);
	}
	OPENSSL_free(der);
	ASN1_INTEGER_free(s);
	test_ca_free(&ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_other_tools),
	    cmocka_unit_test(test_key_types),
	    cmocka_unit_test(test_lancre_builder),
	    cmocka_unit_test(test_truncated_and_trailing),
	    cmocka_unit_test(test_wrong_signature),
	    cmocka_unit_test(test_indefinite_length),
	    cmocka_unit_test(test_huge_entries),
	    cmocka_unit_test(test_bounded_memory),
	    cmocka_unit_test(test_declared_too_big),
	    cmocka_unit_test(test_padded_serial),
	    cmocka_unit_test(test_header_past_parent),
	    cmocka_unit_test(test_long_time),
	    cmocka_unit_test(test_unavailable_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
