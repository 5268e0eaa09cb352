/*
 * tls.h - TLS on the admin listener ([admin] tls_cert, tls_key, client_ca)
 * and the client certificate as the caller.
 *
 * The context is made at start by the process that binds the listener
 * (`lancre run`'s, before its users change; `lancre admin`'s), so the admin
 * process ([admin] user) never needs to, and cannot, open the key.  The
 * supervisor keeps the context for the admin processes it restarts; the
 * server and signer children free their copy at once (OpenSSL clears a
 * freed private key).  On SIGHUP, `lancre run`'s supervisor makes a new one
 * from the same files and, if it differs, replaces the admin process
 * (cli/serving.c says why a restart and not a hand-over).
 *
 * TLS 1.2 and 1.3 only, forward-secret AEAD suites for 1.2, no session
 * resumption (no cache, no tickets: every connection is a full handshake,
 * its client certificate verified; the admin API is not a busy site).
 * With client_ca, a client certificate chaining to it is required in the
 * handshake (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, purpose
 * sslclient): a connection without one, or with one from another CA, never
 * reaches HTTP.  Its subject, in RFC 2253's one-line form, is the caller's
 * name ("tls:SUBJECT" in the audit trail) and its scopes are those of its
 * [admin] client line (auth.h).
 */
#ifndef LANCRE_ADMIN_TLS_H
#define LANCRE_ADMIN_TLS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/ssl.h>

#include "conf/conf.h"
#include "util/err.h"

#define ADMIN_TLS_FILE_MAX (1 << 20) /* a PEM key file */
#define ADMIN_TLS_SUBJECT_MAX CONF_STR_MAX
#define ADMIN_TLS_CRL_MAX (16 << 20) /* [admin] client_crl */

/*
 * The context for c's [admin] TLS settings into *out (NULL when tls_cert is
 * empty: plain HTTP).  The key file must not be readable by group or others,
 * nor owned by one of deny[0..ndeny) (the users the admin and public
 * processes run as, when started as root).  0, or -1 with e naming the file.
 */
int admin_tls_ctx_new(const struct conf *c, const uid_t *deny, size_t ndeny, SSL_CTX **out,
    struct err *e);

/*
 * 1 if a and b (admin_tls_ctx_new's) hold the same certificate and chain,
 * key, client CAs, CRLs and checks; else 0 (a SIGHUP that changed none of
 * the files replaces nothing).
 */
int admin_tls_ctx_same(SSL_CTX *a, SSL_CTX *b);

/*
 * The CRLs of a client_crl file's bytes into *out (to be freed with
 * sk_X509_CRL_pop_free): PEM "X509 CRL" blocks, one or more, or one DER CRL
 * that is the whole file.  0, or -1 with e saying why (no CRL read).
 */
int admin_tls_crls_parse(const uint8_t *data, size_t len, STACK_OF(X509_CRL) **out,
    struct err *e);

/*
 * Where the one line goes when a CRL of client_crl is found past its
 * nextUpdate in a handshake (every client is refused from then on: fail
 * closed): fn(arg, msg), once per notice.  Owned by the admin process that
 * serves the context (its app data, SSL_CTX_set_app_data: h2o's own slots
 * are other indexes), for as long as it serves it.
 */
struct admin_tls_notice {
	void (*fn)(void *arg, const char *msg);
	void *arg;
	atomic_int crl_expired_said;
};

/* Give ctx's handshakes n (set before serving; n outlives them). */
void admin_tls_set_notice(SSL_CTX *ctx, struct admin_tls_notice *n);

/*
 * The subject of ssl's verified client certificate, RFC 2253 (as `openssl
 * x509 -noout -subject -nameopt RFC2253` prints it), into buf.  0, or -1
 * when there is none, it was not verified, or it does not fit.
 */
int admin_tls_peer_subject(SSL *ssl, char *buf, size_t len);

/* The subject of name, RFC 2253, into buf: 0, or -1 if it does not fit. */
int admin_tls_name_text(const X509_NAME *name, char *buf, size_t len);

#endif
