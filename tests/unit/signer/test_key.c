/*
 * Unit tests for signer/key.c: PEM keys, encrypted ones with a passphrase
 * file (issue 15, issuer management item 4).
 */
#include "testutil.h"
#include "signer/key.h"

#include <openssl/pem.h>

static char dir[256];

static void
write_file(const char *name, const char *text)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* ca's key into dir/name, encrypted with AES-256 under pass when pass is not NULL. */
static void
write_key(const char *name, const struct test_ca *ca, const char *pass)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(f, ca->key, pass ? EVP_aes_256_cbc() : NULL, NULL, 0,
			     NULL, (void *)pass),
	    1);
	fclose(f);
}

/*
 * An encrypted key loads with its passphrase file (first line, without its
 * line end; relative to the data directory or absolute) and matches its
 * certificate; without the file, with a wrong or an empty passphrase, it is
 * refused saying why.  A plain key given a passphrase file loads as it is.
 */
static void
test_encrypted_pem_key(void **state)
{
	struct test_ca ca;
	struct conf c;
	struct err e;
	EVP_PKEY *k;
	char abs[400];

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	conf_defaults(&c);
	test_ca_make(&ca, "enc", NULL, MINT_P256);
	write_key("enc.key", &ca, "s3cret phrase");
	write_key("plain.key", &ca, NULL);
	write_file("pass", "s3cret phrase\r\nsecond line ignored\n");
	write_file("wrong", "not it\n");
	write_file("empty", "\n");

	assert_non_null(k = key_load("enc.key", "pass", &c, dir, &e));
	assert_int_equal(key_check_pair(k, ca.cert, &e), 0);
	EVP_PKEY_free(k);
	snprintf(abs, sizeof(abs), "%s/pass", dir);
	assert_non_null(k = key_load("enc.key", abs, &c, dir, &e));
	EVP_PKEY_free(k);
	assert_null(key_load("enc.key", NULL, &c, dir, &e));
	assert_non_null(strstr(e.msg, "encrypted PEM key"));
	assert_non_null(strstr(e.msg, "--passphrase-file"));
	assert_null(key_load("enc.key", "", &c, dir, &e));
	assert_null(key_load("enc.key", "wrong", &c, dir, &e));
	assert_non_null(strstr(e.msg, "wrong passphrase"));
	assert_null(key_load("enc.key", "empty", &c, dir, &e));
	assert_non_null(strstr(e.msg, "empty"));
	assert_null(key_load("enc.key", "missing", &c, dir, &e));
	assert_non_null(strstr(e.msg, "passphrase file"));
	assert_non_null(k = key_load("plain.key", "pass", &c, dir, &e));
	EVP_PKEY_free(k);
	assert_null(key_load("missing.key", NULL, &c, dir, &e));
	test_ca_free(&ca);
	test_rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encrypted_pem_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
