/*
 * tls.h - `lancre check HOST[:PORT]`: what a live TLS server presents, for
 * check_cert() to decide on.
 *
 * One TLS handshake with OpenSSL, as a client that asks for an OCSP staple
 * (status_request), then a close: the certificate, the chain sent after it
 * and the stapled response, if any, are all lancre check needs.  Bounded like
 * the HTTP fetches: a connect timeout per address and a timeout on the
 * handshake's reads and writes; TLS 1.2 at least.
 *
 * The chain is verified (against the system's trust store, or --cafile's
 * certificates) and the name checked, and both results are reported, not
 * enforced: the question is whether the certificate is revoked, which the
 * signatures of the issuer, OCSP and CRL answer whatever the roots; a private
 * CA (the demo's, a company's) is checked without configuring its root.  The
 * server's SNI is the host name given, or --servername (an IP address is never
 * sent as SNI, RFC 6066 3); the name checked is the same.
 */
#ifndef LANCRE_CHECK_TLS_H
#define LANCRE_CHECK_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "util/err.h"

#define CHECK_TLS_PORT "443"
#define CHECK_TLS_HOST_MAX 256            /* a DNS name is at most 253 bytes */
#define CHECK_TLS_PORT_MAX 6              /* "65535" and the NUL */
#define CHECK_TLS_CONNECT_TIMEOUT_MS 5000 /* per address */
#define CHECK_TLS_IO_TIMEOUT_MS 10000     /* each read and write of the handshake */
#define CHECK_TLS_WHY_MAX 256

/* HOST, HOST:PORT, [IPV6]:PORT or a bare IPv6 address. */
struct check_tls_target {
	char host[CHECK_TLS_HOST_MAX];
	char port[CHECK_TLS_PORT_MAX];
	int is_ip; /* host is an IPv4 or IPv6 literal */
};

/* What the server presented.  Owned: check_tls_free(). */
struct check_tls {
	X509 *leaf;
	STACK_OF(X509) *chain;    /* the certificates after the leaf, as sent */
	uint8_t *staple;          /* the stapled OCSP response (DER), or NULL */
	size_t staple_len;
	char address[CHECK_TLS_HOST_MAX + 16]; /* the address connected to */
	char protocol[16];        /* "TLSv1.3" */
	char servername[CHECK_TLS_HOST_MAX];   /* SNI sent, "" when none */
	char name[CHECK_TLS_HOST_MAX];         /* the name checked against the certificate */
	int chain_verified;       /* to a trusted root, with the name */
	char chain_why[CHECK_TLS_WHY_MAX];     /* why not, or what it was verified against */
};

/*
 * Parse a command-line HOST[:PORT]: 0, or -1 with a message for an empty
 * host, a bad or out-of-range port, an unclosed '[', a host too long.
 */
int check_tls_target_parse(const char *arg, struct check_tls_target *t, struct err *e);

/*
 * Connect to t, handshake with SNI servername (NULL: t->host unless it is an
 * IP address), asking for a staple; verify the chain against cafile (NULL:
 * the system's default paths).  0 with *out filled, or -1 and e (cannot
 * resolve, connect, or finish the handshake).  check_tls_free(out) either way.
 */
int check_tls_fetch(const struct check_tls_target *t, const char *servername, const char *cafile,
    struct check_tls *out, struct err *e);

void check_tls_free(struct check_tls *t);

#endif
