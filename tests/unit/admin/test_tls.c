/*
 * Unit tests for admin/tls: the admin listener's TLS context from
 * [admin] tls_cert, tls_key and client_ca, each refusal one line naming
 * the file; and the RFC 2253 subject a client is named by.
 */
#include "testutil.h"
#include "admin/tls.h"

#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

struct files {
	char cert[300], key[300], other_key[300], enc_key[300], ca[300], empty[300];
	struct test_ca ca_, server, other;
};

static void
write_pem(const char *path, X509 *x, EVP_PKEY *k, const char *pass, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	if (x != NULL)
		assert_int_equal(PEM_write_X509(f, x), 1);
	if (k != NULL && pass == NULL)
		assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
	if (k != NULL && pass != NULL)
		assert_int_equal(PEM_write_PrivateKey(f, k, EVP_aes_256_cbc(),
				     (const unsigned char *)pass, (int)strlen(pass), NULL, NULL),
		    1);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
make_files(struct files *fs)
{
	test_ca_make(&fs->ca_, "Client CA", NULL, MINT_P256);
	test_ca_make(&fs->server, "admin.lancre.test", &fs->ca_, MINT_P256);
	test_ca_make(&fs->other, "other", NULL, MINT_P256);
	test_path(fs->cert, sizeof(fs->cert), "admin.pem");
	test_path(fs->key, sizeof(fs->key), "admin.key");
	test_path(fs->other_key, sizeof(fs->other_key), "other.key");
	test_path(fs->enc_key, sizeof(fs->enc_key), "enc.key");
	test_path(fs->ca, sizeof(fs->ca), "clients.pem");
	test_path(fs->empty, sizeof(fs->empty), "empty.pem");
	write_pem(fs->cert, fs->server.cert, NULL, NULL, 0644);
	write_pem(fs->key, NULL, fs->server.key, NULL, 0600);
	write_pem(fs->other_key, NULL, fs->other.key, NULL, 0600);
	write_pem(fs->enc_key, NULL, fs->server.key, "secret", 0600);
	write_pem(fs->ca, fs->ca_.cert, NULL, NULL, 0644);
	write_pem(fs->empty, NULL, NULL, NULL, 0644);
}

static void
free_files(struct files *fs)
{
	test_ca_free(&fs->ca_);
	test_ca_free(&fs->server);
	test_ca_free(&fs->other);
}

static void
set(struct conf *c, const char *cert, const char *key, const char *ca)
{
	conf_defaults(c);
	snprintf(c->api_tls_cert, sizeof(c->api_tls_cert), "%s", cert);
	snprintf(c->api_tls_key, sizeof(c->api_tls_key), "%s", key);
	snprintf(c->api_client_ca, sizeof(c->api_client_ca), "%s", ca);
}

/* Refused with a message holding want; nothing made. */
static void
refused(const struct conf *c, const uid_t *deny, size_t ndeny, const char *want)
{
	SSL_CTX *ctx = (SSL_CTX *)1;
	struct err e;

	assert_int_equal(admin_tls_ctx_new(c, deny, ndeny, &ctx, &e), -1);
	assert_null(ctx);
	if (strstr(e.msg, want) == NULL)
		fail_msg("'%s' lacks '%s'", e.msg, want);
	assert_null(strchr(e.msg, '\n'));
}

static void
test_ctx(void **state)
{
	struct files fs;
	struct conf c;
	struct err e;
	SSL_CTX *ctx;
	uid_t me = geteuid();
	char want[400];

	(void)state;
	make_files(&fs);
	/* No tls_cert: no TLS, no error. */
	conf_defaults(&c);
	assert_int_equal(admin_tls_ctx_new(&c, NULL, 0, &ctx, &e), 0);
	assert_null(ctx);
	/* Server TLS alone, then with client certificates asked for. */
	set(&c, fs.cert, fs.key, "");
	assert_int_equal(admin_tls_ctx_new(&c, NULL, 0, &ctx, &e), 0);
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	assert_int_equal(SSL_CTX_get_session_cache_mode(ctx), SSL_SESS_CACHE_OFF);
	SSL_CTX_free(ctx);
	set(&c, fs.cert, fs.key, fs.ca);
	assert_int_equal(admin_tls_ctx_new(&c, NULL, 0, &ctx, &e), 0);
	assert_int_equal(SSL_CTX_get_verify_mode(ctx),
	    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
	assert_int_equal(sk_X509_NAME_num(SSL_CTX_get_client_CA_list(ctx)), 1);
	SSL_CTX_free(ctx);

	/* The key file: its mode, its owner, its content. */
	assert_int_equal(chmod(fs.key, 0640), 0);
	set(&c, fs.cert, fs.key, "");
	snprintf(want, sizeof(want), "[admin] tls_key %s: group or others may read it (mode 0640): "
				     "chmod 600 it", fs.key);
	refused(&c, NULL, 0, want);
	assert_int_equal(chmod(fs.key, 0600), 0);
	snprintf(want, sizeof(want), "[admin] tls_key %s is owned by uid %u", fs.key, (unsigned)me);
	refused(&c, &me, 1, want);
	set(&c, fs.cert, fs.other_key, "");
	refused(&c, NULL, 0, "is not the key of tls_cert's certificate");
	set(&c, fs.cert, fs.enc_key, "");
	refused(&c, NULL, 0, "is encrypted: lancre reads it at start, unattended");
	set(&c, fs.cert, fs.cert, "");
	assert_int_equal(chmod(fs.cert, 0600), 0);
	refused(&c, NULL, 0, "is not a PEM private key");
	assert_int_equal(chmod(fs.cert, 0644), 0);
	set(&c, fs.cert, "/nonexistent/admin.key", "");
	refused(&c, NULL, 0, "[admin] tls_key /nonexistent/admin.key: No such file");
	/* The certificate and the client CA file. */
	set(&c, fs.empty, fs.key, "");
	refused(&c, NULL, 0, "[admin] tls_cert");
	set(&c, fs.cert, fs.key, fs.empty);
	refused(&c, NULL, 0, "[admin] client_ca");
	free_files(&fs);
}

static void
test_subject_text(void **state)
{
	X509_NAME *n = X509_NAME_new();
	char buf[64], tiny[8];

	(void)state;
	assert_non_null(n);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Example, Inc.", -1,
	    -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"issuance", -1, -1,
	    0);
	/* RFC 2253: the last RDN first, a ',' in a value escaped. */
	assert_int_equal(admin_tls_name_text(n, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "CN=issuance,O=Example\\, Inc.");
	assert_int_equal(admin_tls_name_text(n, tiny, sizeof(tiny)), -1);
	assert_string_equal(tiny, "");
	X509_NAME_free(n);
	/* No name at all: no subject. */
	n = X509_NAME_new();
	assert_int_equal(admin_tls_name_text(n, buf, sizeof(buf)), -1);
	X509_NAME_free(n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ctx),
	    cmocka_unit_test(test_subject_text),
	};
	return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
