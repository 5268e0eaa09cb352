/*
 * Unit tests for admin/tls: the admin listener's TLS context from
 * [admin] tls_cert, tls_key and client_ca, each refusal one line naming
 * the file; and the RFC 2253 subject a client is named by.
 */
#include "testutil.h"
#include "admin/tls.h"
#include "util/fsutil.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
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

/* A CRL of ca (signed with key, ca's own when NULL), its times from now, written PEM or DER. */
static void
write_crl(const char *path, const struct test_ca *ca, EVP_PKEY *key, long last, long next,
    int der)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t1 = X509_time_adj_ex(NULL, 0, last, NULL), *t2 = X509_time_adj_ex(NULL, 0, next, NULL);
	FILE *f = fopen(path, "w");

	assert_non_null(crl);
	assert_non_null(f);
	assert_int_equal(X509_CRL_set_version(crl, 1), 1);
	assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)), 1);
	assert_int_equal(X509_CRL_set1_lastUpdate(crl, t1), 1);
	assert_int_equal(X509_CRL_set1_nextUpdate(crl, t2), 1);
	assert_true(X509_CRL_sign(crl, key != NULL ? key : ca->key, EVP_sha256()) > 0);
	assert_int_equal(der ? i2d_X509_CRL_fp(f, crl) : PEM_write_X509_CRL(f, crl), 1);
	fclose(f);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	X509_CRL_free(crl);
}

static void
set_crl(struct conf *c, const struct files *fs, const char *ca, const char *crl)
{
	set(c, fs->cert, fs->key, ca);
	snprintf(c->api_client_crl, sizeof(c->api_client_crl), "%s", crl);
}

static void
test_client_crl(void **state)
{
	struct files fs;
	struct test_ca inter, other_inter;
	struct conf c;
	struct err e;
	SSL_CTX *ctx;
	char crl[300], der[300], both[300], inter_pem[300], want[600];
	unsigned long flags;
	uint8_t *data;
	size_t len;
	STACK_OF(X509_CRL) *sk;

	(void)state;
	make_files(&fs);
	test_ca_make(&inter, "Client intermediate", &fs.ca_, MINT_P256);
	test_ca_make(&other_inter, "Client intermediate", NULL, MINT_P256); /* same name, other key */
	test_path(crl, sizeof(crl), "clients.crl");
	test_path(der, sizeof(der), "clients.der");
	test_path(both, sizeof(both), "both.crl");
	test_path(inter_pem, sizeof(inter_pem), "inter.pem");
	write_pem(inter_pem, inter.cert, NULL, NULL, 0644);

	/* client_ca alone: each certificate an anchor by itself, no CRL checked. */
	set(&c, fs.cert, fs.key, fs.ca);
	assert_int_equal(admin_tls_ctx_new(&c, NULL, 0, &ctx, &e), 0);
	flags = X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(ctx));
	assert_true(flags & X509_V_FLAG_PARTIAL_CHAIN);
	assert_false(flags & X509_V_FLAG_CRL_CHECK);
	SSL_CTX_free(ctx);
	/* An intermediate with its CRL (DER): the leaf checked, not the chain. */
	write_crl(der, &inter, NULL, -60, 3600, 1);
	set_crl(&c, &fs, inter_pem, der);
	assert_int_equal(admin_tls_ctx_new(&c, NULL, 0, &ctx, &e), 0);
	flags = X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(ctx));
	assert_true(flags & X509_V_FLAG_CRL_CHECK);
	assert_false(flags & X509_V_FLAG_CRL_CHECK_ALL);
	SSL_CTX_free(ctx);
	/* A root with its own CRL: the whole chain. */
	write_crl(crl, &fs.ca_, NULL, -60, 3600, 0);
	set_crl(&c, &fs, fs.ca, crl);
	assert_int_equal(admin_tls_ctx_new(&c, NULL, 0, &ctx, &e), 0);
	flags = X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(ctx));
	assert_true((flags & (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)) ==
		    (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL));
	SSL_CTX_free(ctx);

	/* Two PEM CRLs in one file parse as two; the DER one as one; junk and a DER with
	 * bytes after it as none. */
	{
		FILE *f = fopen(both, "w"), *g;
		char line[256];
		assert_non_null(f);
		assert_non_null(g = fopen(crl, "r"));
		while (fgets(line, sizeof(line), g) != NULL)
			fputs(line, f);
		fclose(g);
		write_crl(inter_pem, &inter, NULL, -60, 3600, 0); /* briefly: inter's CRL, PEM */
		assert_non_null(g = fopen(inter_pem, "r"));
		while (fgets(line, sizeof(line), g) != NULL)
			fputs(line, f);
		fclose(g);
		fclose(f);
		write_pem(inter_pem, inter.cert, NULL, NULL, 0644);
	}
	assert_int_equal(fs_read_all(both, ADMIN_TLS_CRL_MAX, &data, &len, &e), 0);
	assert_int_equal(admin_tls_crls_parse(data, len, &sk, &e), 0);
	assert_int_equal(sk_X509_CRL_num(sk), 2);
	sk_X509_CRL_pop_free(sk, X509_CRL_free);
	free(data);
	assert_int_equal(fs_read_all(der, ADMIN_TLS_CRL_MAX, &data, &len, &e), 0);
	assert_int_equal(admin_tls_crls_parse(data, len, &sk, &e), 0);
	assert_int_equal(sk_X509_CRL_num(sk), 1);
	sk_X509_CRL_pop_free(sk, X509_CRL_free);
	assert_int_equal(admin_tls_crls_parse(data, len - 1, &sk, &e), -1);
	data = realloc(data, len + 1);
	data[len] = 0;
	assert_int_equal(admin_tls_crls_parse(data, len + 1, &sk, &e), -1);
	assert_null(sk);
	assert_non_null(strstr(e.msg, "no CRL read"));
	free(data);
	assert_int_equal(admin_tls_crls_parse((const uint8_t *)"junk", 4, &sk, &e), -1);
	assert_int_equal(admin_tls_crls_parse((const uint8_t *)"", 0, &sk, &e), -1);

	/* admin_tls_ctx_same: the same files make the same context; a new CRL does not. */
	{
		SSL_CTX *a, *b;
		write_crl(crl, &fs.ca_, NULL, -60, 3600, 0);
		set_crl(&c, &fs, fs.ca, crl);
		assert_int_equal(admin_tls_ctx_new(&c, NULL, 0, &a, &e), 0);
		assert_int_equal(admin_tls_ctx_new(&c, NULL, 0, &b, &e), 0);
		assert_int_equal(admin_tls_ctx_same(a, b), 1);
		SSL_CTX_free(b);
		write_crl(crl, &fs.ca_, NULL, -120, 3600, 0);
		assert_int_equal(admin_tls_ctx_new(&c, NULL, 0, &b, &e), 0);
		assert_int_equal(admin_tls_ctx_same(a, b), 0);
		SSL_CTX_free(b);
		set(&c, fs.cert, fs.key, fs.ca); /* no client_crl */
		assert_int_equal(admin_tls_ctx_new(&c, NULL, 0, &b, &e), 0);
		assert_int_equal(admin_tls_ctx_same(a, b), 0);
		SSL_CTX_free(b);
		SSL_CTX_free(a);
	}

	/* Refusals, each one line naming the file. */
	set_crl(&c, &fs, fs.ca, "/nonexistent/clients.crl");
	refused(&c, NULL, 0, "[admin] client_crl: cannot open /nonexistent/clients.crl");
	set_crl(&c, &fs, fs.ca, fs.empty);
	snprintf(want, sizeof(want), "[admin] client_crl %s: no CRL read", fs.empty);
	refused(&c, NULL, 0, want);
	write_crl(crl, &fs.ca_, NULL, -7200, -3600, 0);
	set_crl(&c, &fs, fs.ca, crl);
	snprintf(want, sizeof(want), "[admin] client_crl %s: the CRL of CN=Client CA expired "
				     "(nextUpdate ", crl);
	refused(&c, NULL, 0, want);
	write_crl(crl, &fs.ca_, NULL, 3600, 7200, 0);
	refused(&c, NULL, 0, "the CRL of CN=Client CA is not valid before ");
	write_crl(crl, &inter, other_inter.key, -60, 3600, 0);
	set_crl(&c, &fs, inter_pem, crl);
	refused(&c, NULL, 0, "the CRL of CN=Client intermediate is not signed by client_ca's");
	write_crl(crl, &fs.ca_, NULL, -60, 3600, 0); /* the root's, not the intermediate's */
	snprintf(want, sizeof(want), "[admin] client_crl %s has no CRL of CN=Client intermediate, a "
				     "CA of client_ca", crl);
	refused(&c, NULL, 0, want);
	test_ca_free(&inter);
	test_ca_free(&other_inter);
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
	    cmocka_unit_test(test_client_crl),
	    cmocka_unit_test(test_subject_text),
	};
	return cmocka_run_group_tests(tests, test_dir_setup, test_dir_teardown);
}
