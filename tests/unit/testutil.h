/*
 * testutil.h - shared helpers for lancre's cmocka unit tests: temporary
 * directories (and the per-test one, test_dir) and freshly minted CA/leaf
 * fixtures.  Header-only so that each test binary stays a single file.
 */
#ifndef LANCRE_TESTUTIL_H
#define LANCRE_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "pki/mint.h"
#include "store/store.h"

#include <openssl/x509.h>

/* A fresh directory under $TMPDIR; removed by test_rmdir(). */
static inline void
test_mkdtemp(char *buf, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(buf, len, "%s/lancre-unit.XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(buf));
}

static inline void
test_rmdir(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * A test binary's temporary directory, for the files its tests write:
 * test_dir_setup and test_dir_teardown are cmocka fixtures (per test or per
 * group) that make and remove it; test_path names a file in it.
 */
static char test_dir[256] __attribute__((unused));

static inline int
test_dir_setup(void **state)
{
	(void)state;
	test_mkdtemp(test_dir, sizeof(test_dir));
	return 0;
}

static inline int
test_dir_teardown(void **state)
{
	(void)state;
	test_rmdir(test_dir);
	return 0;
}

/* A unit test f run in a fresh test_dir of its own. */
#define test_dir_unit_test(f) cmocka_unit_test_setup_teardown(f, test_dir_setup, test_dir_teardown)

/* test_dir/name into buf[len]. */
static inline void
test_path(char *buf, size_t len, const char *name)
{
	assert_true((size_t)snprintf(buf, len, "%s/%s", test_dir, name) < len);
}

struct test_ca {
	EVP_PKEY *key;
	X509 *cert;
};

/* A self-signed CA (issuer NULL) or an intermediate. */
static inline void
test_ca_make(struct test_ca *ca, const char *cn, const struct test_ca *issuer,
    enum mint_key_type type)
{
	struct err e;
	uint8_t serial[] = {0x01, 0x02};
	int64_t now = (int64_t)time(NULL);
	struct mint_cert m = {
	    .common_name = cn,
	    .serial = serial,
	    .serial_len = sizeof(serial),
	    .not_before = now - 86400,
	    .not_after = now + 365 * 86400,
	    .ca = 1,
	    .pathlen = -1,
	};

	ca->key = mint_key(type, &e);
	assert_non_null(ca->key);
	m.issuer = issuer ? issuer->cert : NULL;
	m.issuer_key = issuer ? issuer->key : ca->key;
	m.subject_key = ca->key;
	ca->cert = mint_certificate(&m, &e);
	assert_non_null(ca->cert);
}

static inline void
test_ca_free(struct test_ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
}

/* Record ca's certificate in s as issuer name, with key_ref ("": none) and shards; its id. */
static inline int64_t
test_issuer_add(struct store *s, const char *name, const struct test_ca *ca,
    const char *key_ref, int shards)
{
	struct issuer_record r = {0};
	struct store_issuer_keys k = {0};
	unsigned char *der = NULL;
	struct err e;

	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(k.key_ref, sizeof(k.key_ref), "%s", key_ref);
	r.cert_len = (size_t)i2d_X509(ca->cert, &der);
	r.cert_der = der;
	r.crl_shards = shards;
	assert_int_equal(store_issuer_add(s, &r, &k, &e), 0);
	OPENSSL_free(der);
	return r.id;
}

/*
 * Record issuer name in s with a placeholder certificate (an empty
 * SEQUENCE: for store tests that never parse it), key_ref keys/NAME.key and
 * 4 CRL shards; its id.
 */
static inline int64_t
test_issuer_stub(struct store *s, const char *name)
{
	struct issuer_record r = {0};
	struct store_issuer_keys k = {0};
	uint8_t der[] = {0x30, 0x00};
	struct err e;

	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(k.key_ref, sizeof(k.key_ref), "keys/%s.key", name);
	r.cert_der = der;
	r.cert_len = sizeof(der);
	r.crl_shards = 4;
	r.added_at = 1;
	assert_int_equal(store_issuer_add(s, &r, &k, &e), 0);
	assert_true(r.id > 0);
	return r.id;
}

/* A leaf under ca with the given serial bytes; returns its DER (caller frees). */
static inline unsigned char *
test_leaf_der(const struct test_ca *ca, const uint8_t *serial, size_t len, int *derlen)
{
	struct err e;
	int64_t now = (int64_t)time(NULL);
	struct mint_cert m = {
	    .common_name = "leaf.test",
	    .issuer = ca->cert,
	    .issuer_key = ca->key,
	    .subject_key = ca->key,
	    .serial = serial,
	    .serial_len = len,
	    .not_before = now - 3600,
	    .not_after = now + 86400,
	    .pathlen = -1,
	};
	X509 *x = mint_certificate(&m, &e);
	unsigned char *der = NULL;

	assert_non_null(x);
	*derlen = i2d_X509(x, &der);
	assert_true(*derlen > 0);
	X509_free(x);
	return der;
}

#endif
