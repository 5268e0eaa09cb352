/*
 * tls.c - see tls.h.  The connection is made by hand (getaddrinfo, a
 * non-blocking connect bounded by poll, then blocking I/O with SO_RCVTIMEO
 * and SO_SNDTIMEO) so that every step has a time limit, and handed to
 * OpenSSL as a socket.  OpenSSL is told not to abort on a chain it cannot
 * verify (SSL_VERIFY_NONE) but still verifies it, with the host name, so the
 * result can be reported (SSL_get_verify_result).
 */
#include "check/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "util/num.h"

static int
tls_is_ip(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static int
tls_copy(char *dst, size_t len, const char *src, size_t n)
{
	if (n == 0 || n >= len)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int
check_tls_target_parse(const char *arg, struct check_tls_target *t, struct err *e)
{
	const char *host = arg, *port = NULL, *end;
	size_t hlen;
	int p;

	memset(t, 0, sizeof(*t));
	if (arg[0] == '[') { /* [IPV6] or [IPV6]:PORT */
		if ((end = strchr(arg, ']')) == NULL || (end[1] != '\0' && end[1] != ':'))
			return err_set(e, "%s: a '[' address must be closed by ']' and may be followed by :PORT", arg);
		host = arg + 1;
		hlen = (size_t)(end - host);
		port = end[1] == ':' ? end + 2 : NULL;
	} else if ((end = strchr(arg, ':')) != NULL && strchr(end + 1, ':') == NULL) {
		hlen = (size_t)(end - arg); /* HOST:PORT */
		port = end + 1;
	} else {
		hlen = strlen(arg); /* HOST, or a bare IPv6 address */
	}
	if (tls_copy(t->host, sizeof(t->host), host, hlen) != 0)
		return err_set(e, "%s: no host, or a host longer than %d bytes", arg, CHECK_TLS_HOST_MAX - 1);
	if (strspn(t->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%") != strlen(t->host))
		return err_set(e, "%s: not a host name or an IP address", arg);
	if (port != NULL && num_parse_int(port, 1, 65535, &p) != 0)
		return err_set(e, "%s: the port must be a number from 1 to 65535", arg);
	snprintf(t->port, sizeof(t->port), "%s", port != NULL ? port : CHECK_TLS_PORT);
	t->is_ip = tls_is_ip(t->host);
	return 0;
}

/* A connected socket to one of host's addresses, within the timeouts; -1 with e. */
static int
tls_connect(const struct check_tls_target *t, char *addr, size_t alen, struct err *e)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG}, *res, *ai;
	struct timeval io = {CHECK_TLS_IO_TIMEOUT_MS / 1000, (CHECK_TLS_IO_TIMEOUT_MS % 1000) * 1000};
	char host[NI_MAXHOST] = "", why[CHECK_TLS_WHY_MAX] = "no address";
	int fd = -1, rc, soerr = 0, err;
	socklen_t sl = sizeof(soerr);

	if ((rc = getaddrinfo(t->host, t->port, &hints, &res)) != 0)
		return err_set(e, "%s: cannot resolve: %s", t->host, gai_strerror(rc));
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		struct pollfd pfd;

		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)) < 0)
			continue;
		getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
		pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
		err = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ? 0 : errno;
		if (err == EINPROGRESS) {
			rc = poll(&pfd, 1, CHECK_TLS_CONNECT_TIMEOUT_MS);
			err = rc == 0 ? ETIMEDOUT : rc < 0 ? errno :
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ? errno : soerr;
		}
		if (err != 0) {
			snprintf(why, sizeof(why), "%s: %s", host, strerror(err));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err_set(e, "%s port %s: cannot connect: %s", t->host, t->port, why);
	/* From here the handshake's reads and writes are bounded one by one. */
	if (fcntl(fd, F_SETFL, 0) != 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &io, sizeof(io)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &io, sizeof(io)) != 0) {
		close(fd);
		return err_set(e, "%s: cannot set the socket's timeouts: %s", t->host, strerror(errno));
	}
	snprintf(addr, alen, "%s port %s", host, t->port);
	return fd;
}

/* The client context: TLS 1.2 at least, the trust store, no abort on a bad chain. */
static SSL_CTX *
tls_ctx(const char *cafile, struct err *e)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		SSL_CTX_free(ctx);
		err_ossl(e, "cannot make a TLS context");
		return NULL;
	}
	if (cafile != NULL ? SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1
			   : SSL_CTX_set_default_verify_paths(ctx) != 1) {
		SSL_CTX_free(ctx);
		err_ossl(e, "%s: cannot load trust anchors", cafile != NULL ? cafile : "the system's trust store");
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	return ctx;
}

/* SNI, the name to verify, and the staple request on ssl. */
static int
tls_setup(SSL *ssl, const struct check_tls_target *t, const char *servername, struct check_tls *out)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

	snprintf(out->name, sizeof(out->name), "%s", servername != NULL ? servername : t->host);
	if (!tls_is_ip(out->name)) /* RFC 6066 3: no IP address in SNI */
		snprintf(out->servername, sizeof(out->servername), "%s", out->name);
	if (out->servername[0] && SSL_set_tlsext_host_name(ssl, out->servername) != 1)
		return -1;
	if (SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp) != 1)
		return -1;
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return tls_is_ip(out->name) ? (X509_VERIFY_PARAM_set1_ip_asc(vp, out->name) == 1 ? 0 : -1)
				    : (X509_VERIFY_PARAM_set1_host(vp, out->name, 0) == 1 ? 0 : -1);
}

/* After the handshake: the certificates, the staple, the verification's result. */
static int
tls_collect(SSL *ssl, const char *cafile, struct check_tls *out, struct err *e)
{
	STACK_OF(X509) *sent = SSL_get_peer_cert_chain(ssl); /* the client's view starts with the leaf */
	const unsigned char *p = NULL;
	long n, vr;

	if ((out->leaf = SSL_get1_peer_certificate(ssl)) == NULL)
		return err_set(e, "%s: the server sent no certificate", out->address);
	if ((out->chain = sk_X509_new_null()) == NULL)
		return err_set(e, "out of memory");
	for (int i = 0; sent != NULL && i < sk_X509_num(sent); i++) {
		X509 *x = sk_X509_value(sent, i);

		if (X509_cmp(x, out->leaf) == 0)
			continue;
		if (!sk_X509_push(out->chain, x))
			return err_set(e, "out of memory");
		X509_up_ref(x);
	}
	if ((n = SSL_get_tlsext_status_ocsp_resp(ssl, &p)) > 0 && p != NULL) {
		if ((out->staple = malloc((size_t)n)) == NULL)
			return err_set(e, "out of memory");
		memcpy(out->staple, p, (size_t)n);
		out->staple_len = (size_t)n;
	}
	snprintf(out->protocol, sizeof(out->protocol), "%s", SSL_get_version(ssl));
	vr = SSL_get_verify_result(ssl);
	out->chain_verified = vr == X509_V_OK;
	if (out->chain_verified)
		snprintf(out->chain_why, sizeof(out->chain_why), "verified against %s, for %s",
		    cafile != NULL ? cafile : "the system's trust store", out->name);
	else
		snprintf(out->chain_why, sizeof(out->chain_why), "%s (against %s, for %s)",
		    X509_verify_cert_error_string(vr), cafile != NULL ? cafile : "the system's trust store",
		    out->name);
	return 0;
}

int
check_tls_fetch(const struct check_tls_target *t, const char *servername, const char *cafile,
    struct check_tls *out, struct err *e)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd, ret = -1;

	memset(out, 0, sizeof(*out));
	if ((fd = tls_connect(t, out->address, sizeof(out->address), e)) < 0)
		return -1;
	if ((ctx = tls_ctx(cafile, e)) == NULL)
		goto done;
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    tls_setup(ssl, t, servername, out) != 0) {
		err_ossl(e, "%s: cannot set up TLS", out->address);
		goto done;
	}
	if (SSL_connect(ssl) != 1) {
		unsigned long oe = ERR_peek_last_error();

		err_set(e, "%s: the TLS handshake failed: %s", out->address,
		    oe != 0 ? ERR_reason_error_string(oe) : errno == EAGAIN ? "timed out" : "the connection closed");
		goto done;
	}
	ret = tls_collect(ssl, cafile, out, e);
	(void)SSL_shutdown(ssl); /* one close_notify, not waiting for the server's */
done:
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return ret;
}

void
check_tls_free(struct check_tls *t)
{
	X509_free(t->leaf);
	sk_X509_pop_free(t->chain, X509_free);
	free(t->staple);
	t->leaf = NULL;
	t->chain = NULL;
	t->staple = NULL;
}
