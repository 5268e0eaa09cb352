/*
 * httpd.h - the admin API's HTTP server: one libh2o event loop on one
 * listening socket, HTTP/1.1 (keep-alive) and HTTP/2 over cleartext (prior
 * knowledge), as the public server speaks them (server/server.c), or both
 * over TLS ([admin] tls_cert: ALPN h2, else HTTP/1.1), each request handed
 * to admin/api.h whole.
 *
 * Limits, each answered in JSON where h2o 2.2 lets us:
 *  - [admin] max_connections open at once.  Beyond it, room is made by
 *    cutting the oldest connection that has never shown a valid token and is
 *    at least ADMIN_EVICT_MIN_MS old (a client that sends its request slowly
 *    holds a slot no longer than that once the API is full: see the body
 *    below); else the newcomer is let in and each of its requests answered
 *    429 with Retry-After (up to ADMIN_OVER_MAX of those; more are closed at
 *    once).  An HTTP/1.1 connection answered 401 or 429 is closed after the
 *    answer.
 *  - Request line and headers over ADMIN_HEADERS_MAX: 431.  Beyond h2o's
 *    own limit, far above (H2O_MAX_REQLEN, about 400 KiB, or more than 100
 *    headers), h2o answers 400 in text over HTTP/1.1 and drops the
 *    connection over HTTP/2.
 *  - A body over [admin] max_body: 413.  h2o reads the whole body before
 *    the handler runs (2.2 has no hook between the headers and the body,
 *    so neither the token nor the size can be looked at sooner), and its
 *    own limit, set to twice max_body, answers a larger one itself: in text
 *    and closing the connection over HTTP/1.1, by dropping the connection over
 *    HTTP/2.
 *  - Time: slow senders are cut after [server] request_timeout (the whole
 *    request, HTTP/1.1), idle HTTP/2 connections after [server]
 *    h2_idle_timeout.
 * A stop (SIGTERM, also when `lancre run` replaces this process on SIGHUP
 * while a new one accepts on the same socket) stops accepting and lets every
 * request already begun finish: a connection is closed once it is quiet (no
 * request being read, no answer owed or held, no HTTP/2 stream); a
 * ?wait=served answer still held at ADMIN_DRAIN_MS is given then, 504 if not
 * served yet (committed, nothing undone, its client told rather than cut).
 * The caller binds the socket, drops its user and enters the sandbox before
 * calling.
 */
#ifndef LANCRE_ADMIN_HTTPD_H
#define LANCRE_ADMIN_HTTPD_H

#include <signal.h>

#include <openssl/ssl.h>

#include "admin/api.h"
#include "admin/wait.h"
#include "util/err.h"

#define ADMIN_LOOP_WAKE_MS 100
/* The default ?wait=served timeout and a margin: such a wait begun before the stop ends in it. */
#define ADMIN_DRAIN_MS (ADMIN_WAIT_DEFAULT_S * 1000 + 2000)
#define ADMIN_DRAIN_GRACE_MS 2000 /* a connection with no request yet: its handshake and request */
#define ADMIN_HEADERS_MAX 16384  /* request line and headers, bytes */
#define ADMIN_EVICT_MIN_MS 500   /* a connection may be cut to make room once this old */
#define ADMIN_OVER_MAX 16        /* connections answered 429 at once */
#define ADMIN_RETRY_AFTER_S 1
#define ADMIN_STR_(x) #x
#define ADMIN_STR(x) ADMIN_STR_(x)
#define ADMIN_RETRY_AFTER_TEXT ADMIN_STR(ADMIN_RETRY_AFTER_S) /* the header's, from the number */

/*
 * Serve api on the listening socket fd (taken over: closed by the time this
 * returns) until *stop; over TLS with tls (admin/tls.h; NULL: plain HTTP),
 * each request then carrying its client certificate's subject, if any.  on_start (may be NULL) is called once the loop
 * accepts.  Returns 0, or -1 on a setup error.
 */
int admin_httpd_run(struct admin_api *api, int fd, SSL_CTX *tls, volatile sig_atomic_t *stop,
    void (*on_start)(void *arg), void *arg, struct err *e);

#endif
