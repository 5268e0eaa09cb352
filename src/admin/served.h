/*
 * served.h - what the public server really answers now, asked over
 * loopback: ?wait=served (api.c) holds a change's answer until the public
 * listener answers the new status of every certificate of the request (and,
 * for a revocation, serves a CRL that lists it).
 *
 * Why ask the server rather than the store: the store saying "signed" is
 * not the server serving it (it reloads on its own tick, from its own
 * handle, maybe a replica), and a client told "served" will act on it (tell
 * a subscriber, delete a key).  The store is only a hint, to spare fetching
 * a large CRL that cannot list the serial yet.
 *
 * The asking is cheap enough for a list of 100,000 (issue 19's mass
 * revocation): one keep-alive HTTP/1.1 connection to the public listener,
 * OCSP requests pipelined on it many at a time (each one's DER made from
 * the issuer's hashes computed once, not from its certificate parsed each
 * time), and a CRL fetched with If-None-Match, so that one already read
 * costs a 304 and no parse.  Each read or write waits at most
 * ADMIN_SERVED_IO_MS.
 */
#ifndef LANCRE_ADMIN_SERVED_H
#define LANCRE_ADMIN_SERVED_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "store/store.h"
#include "util/err.h"

#define ADMIN_SERVED_IO_MS 1000
#define ADMIN_SERVED_CRL_MAX (256u << 20) /* a CRL bigger than this is not fetched */
#define ADMIN_SERVED_OCSP_MAX (64u << 10) /* nor an OCSP answer bigger than this */
#define ADMIN_SERVED_HEAD_MAX 16384       /* an answer's status line and headers */
#define ADMIN_SERVED_ETAG_MAX 128

/* Where the public listener is, from "HOST:PORT" ([::]:P and 0.0.0.0:P: loopback). */
struct admin_public {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned short port;
};

int admin_public_parse(const char *listen, struct admin_public *out, struct err *e);

/*
 * A keep-alive connection to the public listener, opened on first use and
 * again after an error closed it; the caller closes it when done (a wait
 * holds none between two looks: the server's idle timeout would cut it).
 */
struct admin_public_conn {
	const struct admin_public *p;
	int fd;       /* -1: not connected */
	uint8_t *buf; /* received and not yet used: buf[off..len) */
	size_t off, len, cap;
};

void admin_public_conn_init(struct admin_public_conn *c, const struct admin_public *p);
void admin_public_conn_close(struct admin_public_conn *c); /* and frees its buffer */

/* An issuer's half of an OCSP CertID (RFC 6960 4.1.1, SHA-1), computed once. */
struct admin_served_issuer {
	uint8_t name_hash[20], key_hash[20];
};

/* From the issuer's certificate (DER): 0, or -1 with e. */
int admin_served_issuer_init(const uint8_t *der, size_t len, struct admin_served_issuer *out,
    struct err *e);

/* What a certificate should be served as. */
struct admin_served_want {
	const struct admin_served_issuer *issuer;
	const uint8_t *serial;
	size_t serial_len;
	int revoked;        /* 0: good */
	int reason;         /* when revoked */
	int64_t revoked_at; /* when revoked */
};

/*
 * The OCSP GET request for w's certificate (one SHA-1 CertID, no nonce, as a
 * browser sends it), DER into out: its length.  Written by hand, because it
 * is made for every waiting certificate on every look; test_served checks it
 * byte for byte against OpenSSL's i2d_OCSP_REQUEST.
 */
#define ADMIN_SERVED_REQUEST_MAX (9 + 3 + 3 + 11 + 22 + 22 + 2 + STORE_SERIAL_MAX)
size_t admin_served_request_der(const struct admin_served_want *w,
    uint8_t out[ADMIN_SERVED_REQUEST_MAX]);

/*
 * Ask the public server for the OCSP status of w[0..n), the n requests
 * pipelined on c: served[i] is set to 1 where the answer says w[i] (and
 * left alone elsewhere: unauthorized, the old status, not answered yet).
 * Returns how many it set, or -1 with e when the exchange failed (c is
 * closed; the answers read before the failure are set all the same).
 */
int admin_served_ocsp_many(struct admin_public_conn *c, const struct admin_served_want *w,
    size_t n, int *served, struct err *e);

/*
 * The CRL at path (e.g. /crl/e1/1.crl) as the public server serves it,
 * unless it is still the one whose ETag is in etag (a 304): 1 with the CRL
 * in *out (X509_CRL_free it) and its ETag copied into etag; 0 nothing new
 * (the same CRL, or none published yet); -1 error (e; c closed).
 */
int admin_served_crl_fetch(struct admin_public_conn *c, const char *path,
    char etag[ADMIN_SERVED_ETAG_MAX], X509_CRL **out, struct err *e);

/* Does crl list w's serial with w's reason and date?  1 yes, 0 no. */
int admin_served_crl_lists(X509_CRL *crl, const struct admin_served_want *w);

/*
 * One HTTP/1.1 answer's head, parsed from the start of buf (len bytes, the
 * public listener's bytes; fuzzed: tests/fuzz/fuzz_admin_http.c).
 */
struct admin_http_head {
	int status;
	size_t head_len;       /* the status line and headers, the blank line included */
	size_t content_length; /* 0 when absent (a 304, a 204) */
	int has_length;
	int close; /* Connection: close: the server ends the connection after it */
	char etag[ADMIN_SERVED_ETAG_MAX]; /* "" when absent or too long */
};

/*
 * 1 with *h filled, 0 when buf holds no whole head yet, -1 when it is not
 * an HTTP/1.x answer this client can read (a head over ADMIN_SERVED_HEAD_MAX,
 * a chunked body, no Content-Length on an answer that has a body).
 */
int admin_http_head_parse(const uint8_t *buf, size_t len, struct admin_http_head *h);

#endif
