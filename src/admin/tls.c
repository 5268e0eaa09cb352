/*
 * tls.c - the admin listener's TLS context and its client's name; see tls.h.
 */
#include "admin/tls.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "util/fsutil.h"

/* TLS 1.2: ECDHE (forward secrecy) with an AEAD only; 1.3's suites are all of that kind. */
#define ADMIN_TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"

/* Never a prompt: an encrypted key is refused (read unattended, at start). */
static int
no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/*
 * The key file's bytes into *data (*len), read with read(2) into one buffer
 * the caller cleanses: no stdio buffer or realloc'd copy of a key is left in
 * freed memory that the processes forked later would inherit.
 */
static int
read_key_file(const char *path, const uid_t *deny, size_t ndeny, uint8_t **data, size_t *len,
    struct err *e)
{
	struct stat st;
	size_t got = 0;
	uint8_t *p;
	int fd = fs_open_private(path, "[admin] tls_key", NULL, &st, e);

	if (fd < 0)
		return -1;
	for (size_t i = 0; i < ndeny; i++) {
		if (st.st_uid == deny[i]) {
			close(fd);
			return err_set(e, "[admin] tls_key %s is owned by uid %u, a user lancre's "
					  "processes run as (which could then read it): chown root it",
			    path, (unsigned)st.st_uid);
		}
	}
	if (st.st_size <= 0 || st.st_size > ADMIN_TLS_FILE_MAX) {
		close(fd);
		return err_set(e, "[admin] tls_key %s: %s", path,
		    st.st_size <= 0 ? "empty" : "larger than a key file");
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return err_set(e, "out of memory");
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			OPENSSL_cleanse(p, got);
			free(p);
			close(fd);
			return err_set(e, "[admin] tls_key %s: %s", path,
			    n < 0 ? strerror(errno) : "shorter than its size");
		}
		got += (size_t)n;
	}
	close(fd);
	p[got] = '\0';
	*data = p;
	*len = got;
	return 0;
}

static int
use_key(SSL_CTX *ctx, const char *path, const uid_t *deny, size_t ndeny, struct err *e)
{
	uint8_t *data = NULL;
	size_t len = 0;
	EVP_PKEY *k = NULL;
	BIO *bio;
	int encrypted;

	if (read_key_file(path, deny, ndeny, &data, &len, e) != 0)
		return -1;
	encrypted = strstr((const char *)data, "ENCRYPTED") != NULL;
	if ((bio = BIO_new_mem_buf(data, (int)len)) != NULL)
		k = PEM_read_bio_PrivateKey(bio, NULL, no_pass, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(data, len);
	free(data);
	if (k == NULL) {
		ERR_clear_error();
		if (encrypted)
			return err_set(e, "[admin] tls_key %s is encrypted: lancre reads it at start, "
					  "unattended; give it unencrypted (mode 0600, owned by root)",
			    path);
		return err_set(e, "[admin] tls_key %s is not a PEM private key", path);
	}
	if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), k) != 1) {
		EVP_PKEY_free(k);
		ERR_clear_error();
		return err_set(e, "[admin] tls_key %s is not the key of tls_cert's certificate",
		    path);
	}
	if (SSL_CTX_use_PrivateKey(ctx, k) != 1) {
		EVP_PKEY_free(k);
		return err_ossl(e, "[admin] tls_key %s", path);
	}
	EVP_PKEY_free(k);
	return 0;
}

int
admin_tls_crls_parse(const uint8_t *data, size_t len, STACK_OF(X509_CRL) **out, struct err *e)
{
	STACK_OF(X509_CRL) *sk = sk_X509_CRL_new_null();
	X509_CRL *crl;
	BIO *bio = NULL;

	*out = NULL;
	if (sk == NULL || len > ADMIN_TLS_CRL_MAX ||
	    (bio = BIO_new_mem_buf(data, (int)len)) == NULL) {
		sk_X509_CRL_free(sk);
		return err_set(e, len > ADMIN_TLS_CRL_MAX ? "larger than %d bytes" : "out of memory",
		    ADMIN_TLS_CRL_MAX);
	}
	/* PEM: one or more "X509 CRL" blocks (other blocks are skipped); else one DER CRL, whole. */
	if (memmem(data, len, "-----BEGIN X509 CRL-----", 24) != NULL) {
		while ((crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL)) != NULL) {
			if (sk_X509_CRL_push(sk, crl) <= 0) {
				X509_CRL_free(crl);
				break;
			}
		}
	} else {
		const unsigned char *p = data;
		if ((crl = d2i_X509_CRL(NULL, &p, (long)len)) != NULL &&
		    (p != data + len || sk_X509_CRL_push(sk, crl) <= 0))
			X509_CRL_free(crl);
	}
	BIO_free(bio);
	ERR_clear_error();
	if (sk_X509_CRL_num(sk) == 0) {
		sk_X509_CRL_free(sk);
		return err_set(e, "no CRL read (PEM \"X509 CRL\" blocks, or one DER CRL)");
	}
	*out = sk;
	return 0;
}

/* t as "2026-12-07 10:12:00 UTC" into buf. */
static void
time_text(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "?");
}

/* The CA certificate of cas whose subject is name, or NULL. */
static X509 *
ca_named(STACK_OF(X509_OBJECT) *cas, const X509_NAME *name)
{
	for (int i = 0; i < sk_X509_OBJECT_num(cas); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(cas, i));
		if (x != NULL && X509_NAME_cmp(X509_get_subject_name(x), name) == 0)
			return x;
	}
	return NULL;
}

/*
 * client_crl: each CRL current (thisUpdate past, nextUpdate to come), signed
 * by its issuer when that is in client_ca, and one from every CA certificate
 * of client_ca that is not self-signed (an intermediate, the anchor by itself:
 * without its CRL every client it issued would be refused); then into the
 * store, checked for every client (the leaf), and for the whole chain when a
 * self-signed client_ca certificate (a root) gave its own: its CRL revokes
 * intermediates, which are then checked too (each needs its CRL in the file).
 */
static int
use_client_crl(SSL_CTX *ctx, const char *path, struct err *e)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_OBJECT) *cas = X509_STORE_get0_objects(store);
	STACK_OF(X509_CRL) *crls = NULL;
	unsigned long flags = X509_V_FLAG_CRL_CHECK;
	char when[64], name[ADMIN_TLS_SUBJECT_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = -1;

	if (fs_read_all(path, ADMIN_TLS_CRL_MAX, &data, &len, e) != 0)
		return err_prefix(e, "[admin] client_crl");
	if (admin_tls_crls_parse(data, len, &crls, e) != 0) {
		free(data);
		return err_prefix(e, "[admin] client_crl %s", path);
	}
	free(data);
	for (int i = 0; i < sk_X509_CRL_num(crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(crls, i);
		const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
		X509 *by = ca_named(cas, X509_CRL_get_issuer(crl));
		EVP_PKEY *k;

		admin_tls_name_text(X509_CRL_get_issuer(crl), name, sizeof(name));
		if (X509_cmp_current_time(X509_CRL_get0_lastUpdate(crl)) >= 0) {
			time_text(X509_CRL_get0_lastUpdate(crl), when, sizeof(when));
			err_set(e, "[admin] client_crl %s: the CRL of %s is not valid before %s", path,
			    name, when);
			goto out;
		}
		if (next == NULL || X509_cmp_current_time(next) <= 0) {
			time_text(next, when, sizeof(when));
			err_set(e, "[admin] client_crl %s: the CRL of %s expired (nextUpdate %s): "
				   "every client would be refused; install a current one", path, name,
			    next != NULL ? when : "missing");
			goto out;
		}
		if (by != NULL && ((k = X509_get0_pubkey(by)) == NULL || X509_CRL_verify(crl, k) != 1)) {
			err_set(e, "[admin] client_crl %s: the CRL of %s is not signed by client_ca's "
				   "certificate of that name", path, name);
			goto out;
		}
		if (by != NULL && X509_check_issued(by, by) == X509_V_OK)
			flags |= X509_V_FLAG_CRL_CHECK_ALL; /* a root's own CRL: the whole chain */
		if (X509_STORE_add_crl(store, crl) != 1) {
			err_ossl(e, "[admin] client_crl %s", path);
			goto out;
		}
	}
	for (int i = 0; i < sk_X509_OBJECT_num(cas); i++) {
		X509 *ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(cas, i));
		int found = 0;

		if (ca == NULL || X509_check_issued(ca, ca) == X509_V_OK)
			continue;
		for (int j = 0; j < sk_X509_CRL_num(crls) && !found; j++)
			found = X509_NAME_cmp(X509_CRL_get_issuer(sk_X509_CRL_value(crls, j)),
				    X509_get_subject_name(ca)) == 0;
		if (!found) {
			admin_tls_name_text(X509_get_subject_name(ca), name, sizeof(name));
			err_set(e, "[admin] client_crl %s has no CRL of %s, a CA of client_ca: every "
				   "client certificate it issued would be refused", path, name);
			goto out;
		}
	}
	X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), flags);
	rc = 0;
out:
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	ERR_clear_error();
	return rc;
}

/*
 * A client certificate refused because a CRL of client_crl passed its
 * nextUpdate: said once through the context's notice (admin_tls_set_notice,
 * its app data: the process serving it owns the notice, so no state is kept
 * here and a new context, in a new process, says it again), then every
 * client is refused until the file is replaced (fail closed: OpenSSL's
 * answer, left as it is).
 */
void
admin_tls_set_notice(SSL_CTX *ctx, struct admin_tls_notice *n)
{
	atomic_store(&n->crl_expired_said, 0);
	SSL_CTX_set_app_data(ctx, n);
}

static int
verify_cb(int ok, X509_STORE_CTX *sctx)
{
	int err = X509_STORE_CTX_get_error(sctx);
	SSL *ssl;
	struct admin_tls_notice *n;
	X509_CRL *crl;
	char name[ADMIN_TLS_SUBJECT_MAX], msg[ADMIN_TLS_SUBJECT_MAX + 200];

	if (ok || err != X509_V_ERR_CRL_HAS_EXPIRED)
		return ok;
	ssl = X509_STORE_CTX_get_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	n = ssl != NULL ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
	if (n == NULL || n->fn == NULL || atomic_exchange(&n->crl_expired_said, 1) != 0)
		return ok;
	crl = X509_STORE_CTX_get0_current_crl(sctx);
	if (crl == NULL || admin_tls_name_text(X509_CRL_get_issuer(crl), name, sizeof(name)) != 0)
		snprintf(name, sizeof(name), "a CA");
	snprintf(msg, sizeof(msg), "[admin] client_crl: the CRL of %s passed its nextUpdate: "
				   "every client certificate is refused until a current one is "
				   "installed (then SIGHUP)", name);
	n->fn(n->arg, msg);
	return ok;
}

/*
 * client_ca: what a client certificate must chain to, and the names sent to
 * clients.  Each of its certificates is a trust anchor by itself
 * (X509_V_FLAG_PARTIAL_CHAIN): an intermediate alone admits the clients it
 * issued, not those of a sibling under the same root (whose chain would have
 * to reach the root, which is not in the file).
 */
static int
use_client_ca(SSL_CTX *ctx, const char *path, struct err *e)
{
	STACK_OF(X509_NAME) *names;

	if (SSL_CTX_load_verify_locations(ctx, path, NULL) != 1)
		return err_ossl(e, "[admin] client_ca %s: no PEM CA certificate read", path);
	X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx), X509_V_FLAG_PARTIAL_CHAIN);
	names = SSL_load_client_CA_file(path);
	if (names == NULL || sk_X509_NAME_num(names) == 0) {
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		ERR_clear_error();
		return err_set(e, "[admin] client_ca %s: no PEM CA certificate read", path);
	}
	SSL_CTX_set_client_CA_list(ctx, names); /* takes names */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	/* A client certificate, not a server's: with an extendedKeyUsage, clientAuth in it. */
	if (SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1)
		return err_ossl(e, "[admin] client_ca");
	return 0;
}

int
admin_tls_ctx_new(const struct conf *c, const uid_t *deny, size_t ndeny, SSL_CTX **out,
    struct err *e)
{
	SSL_CTX *ctx;

	*out = NULL;
	if (c->api_tls_cert[0] == '\0')
		return 0;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return err_ossl(e, "admin API: cannot make a TLS context");
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(ctx, ADMIN_TLS12_CIPHERS) != 1 ||
	    SSL_CTX_set_num_tickets(ctx, 0) != 1) {
		err_ossl(e, "admin API: cannot set up TLS");
		goto fail;
	}
	/* No resumption: each connection's certificate is verified in its own handshake.
	 * No renegotiation either: h2o 2.2 closes a connection that asks for one. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, c->api_tls_cert) != 1) {
		err_ossl(e, "[admin] tls_cert %s: no PEM certificate read", c->api_tls_cert);
		goto fail;
	}
	if (use_key(ctx, c->api_tls_key, deny, ndeny, e) != 0)
		goto fail;
	if (c->api_client_ca[0] != '\0' && use_client_ca(ctx, c->api_client_ca, e) != 0)
		goto fail;
	if (c->api_client_crl[0] != '\0' && use_client_crl(ctx, c->api_client_crl, e) != 0)
		goto fail;
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return -1;
}

/* 1 if every object (CA certificate, CRL) of a's store is in b's, as many of each. */
static int
same_store(X509_STORE *a, X509_STORE *b)
{
	STACK_OF(X509_OBJECT) *oa = X509_STORE_get0_objects(a), *ob = X509_STORE_get0_objects(b);

	if (sk_X509_OBJECT_num(oa) != sk_X509_OBJECT_num(ob))
		return 0;
	for (int i = 0; i < sk_X509_OBJECT_num(oa); i++) {
		if (X509_OBJECT_retrieve_match(ob, sk_X509_OBJECT_value(oa, i)) == NULL)
			return 0;
	}
	return 1;
}

int
admin_tls_ctx_same(SSL_CTX *a, SSL_CTX *b)
{
	STACK_OF(X509) *ca = NULL, *cb = NULL;
	X509 *xa = SSL_CTX_get0_certificate(a), *xb = SSL_CTX_get0_certificate(b);

	if (xa == NULL || xb == NULL || X509_cmp(xa, xb) != 0 ||
	    EVP_PKEY_eq(SSL_CTX_get0_privatekey(a), SSL_CTX_get0_privatekey(b)) != 1)
		return 0;
	SSL_CTX_get0_chain_certs(a, &ca);
	SSL_CTX_get0_chain_certs(b, &cb);
	if (sk_X509_num(ca) != sk_X509_num(cb))
		return 0;
	for (int i = 0; i < sk_X509_num(ca); i++) {
		if (X509_cmp(sk_X509_value(ca, i), sk_X509_value(cb, i)) != 0)
			return 0;
	}
	return SSL_CTX_get_verify_mode(a) == SSL_CTX_get_verify_mode(b) &&
	       X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(a)) ==
		   X509_VERIFY_PARAM_get_flags(SSL_CTX_get0_param(b)) &&
	       same_store(SSL_CTX_get_cert_store(a), SSL_CTX_get_cert_store(b));
}

int
admin_tls_name_text(const X509_NAME *name, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc = -1;

	buf[0] = '\0';
	if (b == NULL)
		return -1;
	/* RFC 2253: escaped, so the text is printable ASCII (no control character, no NUL). */
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) > 0 && (size_t)n < len) {
		memcpy(buf, p, (size_t)n);
		buf[n] = '\0';
		rc = strlen(buf) == (size_t)n ? 0 : -1;
	}
	BIO_free(b);
	if (rc != 0)
		buf[0] = '\0';
	return rc;
}

int
admin_tls_peer_subject(SSL *ssl, char *buf, size_t len)
{
	X509 *x = SSL_get0_peer_certificate(ssl);

	buf[0] = '\0';
	if (x == NULL || SSL_get_verify_result(ssl) != X509_V_OK)
		return -1;
	return admin_tls_name_text(X509_get_subject_name(x), buf, len);
}
