/*
 * httpd.c - the admin API over libh2o; see httpd.h.  The connection
 * bookkeeping (a set per loop, drained at the stop, write stalls cut) is the
 * public server's (server/conns.h), for the same reasons.
 */
#include "admin/httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin/reply.h"
#include "admin/tls.h"
#include "admin/wait.h"
#include "server/conns.h"

#include <h2o/http2.h>

#define ADMIN_DRAIN_TICK_MS 10
#define ADMIN_DRAIN_FLUSH_MS 1000 /* after the held answers are given at the deadline */

/* Marks on each connection (server/conns.h's mark). */
#define MARK_OVER 1u  /* accepted beyond [admin] max_connections: every request gets 429 */
#define MARK_KNOWN 2u /* a request on it showed a valid token: never cut to make room */
#define MARK_CUT 4u   /* cut to make room for a newer one */

struct httpd {
	struct admin_api *api;
	h2o_globalconf_t config;
	h2o_context_t ctx;
	h2o_accept_ctx_t actx;
	struct conns conns;
	atomic_long open; /* connections now, within [admin] max_connections */
	atomic_long over; /* connections now beyond it, answered 429 */
	atomic_ulong stalled;
	h2o_socket_t *listener;
	h2o_timeout_t tick; /* ?wait=served: each held answer looks again at this pace */
	h2o_linklist_t held; /* of struct held: answers not given yet (the drain gives them) */
	int stopping;        /* draining: HTTP/1.1 answers close their connection */
	SSL_CTX *tls;       /* [admin] tls_cert: the accept ctx's; NULL: plain HTTP */
};

/*
 * The connection's SSL, to name its client: h2o 2.2 has no public way to it,
 * so this reads a prefix of h2o's private struct, checked.  Looked for in
 * Debian 12's libh2o-dev 2.2.5 (/usr/include/h2o/socket.h): struct
 * st_h2o_socket_ssl_t is declared there but not defined (h2o_socket_t.ssl is
 * an opaque pointer); the socket's SSL accessors (h2o_socket_get_ssl_protocol_
 * version, _session_reused, _cipher, _cipher_bits, _session_id,
 * h2o_socket_ssl_get_selected_protocol) return strings, none the SSL or the
 * peer's certificate; h2o_conn_callbacks_t has no certificate either; and
 * h2o_socket_ssl_handshake()'s callback, the only public hook of the
 * handshake, gets the socket, not the SSL.  An h2o_socket_get_ssl() is not in
 * 2.2.  OpenSSL's verify callback (tls.c) sees the SSL but nothing public
 * ties it to the socket that later carries the request.
 *
 * So: lib/common/socket.c's struct begins with the SSL_CTX it was made from,
 * then the SSL.  Its first member is read only, and the second used only
 * when the first is our own context, the SSL was made from it, and its BIO
 * (h2o's, whose data is the socket: setup_bio()) is this socket's: a layout
 * that changed fails these and names no client (a 403 for a certificate
 * alone, never another's name).  The build is pinned to the library version
 * the layout was read from: a new libh2o must be looked at again.
 */
#if H2O_LIBRARY_VERSION_MAJOR != 0 || H2O_LIBRARY_VERSION_MINOR != 13
#error "libh2o other than 0.13 (h2o 2.2): check struct st_h2o_socket_ssl_t's first members (tls_subject_of)"
#endif
struct h2o_ssl_prefix {
	SSL_CTX *ssl_ctx;
	SSL *ossl;
};

/* ALPN: HTTP/2, else HTTP/1.1 (h2o takes any protocol but h2 as HTTP/1.1). */
static const h2o_iovec_t alpn[] = {{H2O_STRLIT("h2")}, {H2O_STRLIT("http/1.1")}, {NULL, 0}};

/* A change's answer held until it is served (admin/wait.h); lives in the request's pool. */
struct held {
	h2o_timeout_entry_t te;
	h2o_linklist_t link; /* in h->held */
	struct httpd *h;
	h2o_req_t *req;
	struct admin_wait *wait;
};

struct httpd_handler {
	h2o_handler_t super;
	struct httpd *h;
};

static const char *
reason_of(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	}
	return "Internal Server Error";
}

/* The peer's address as "127.0.0.1:5555" or "[::1]:5555", for the audit trail. */
static void
peer_of(h2o_req_t *req, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
	char ip[INET6_ADDRSTRLEN] = "?";

	snprintf(buf, len, "unknown");
	if (sl == 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, (unsigned)ntohs(a->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, (unsigned)ntohs(a->sin6_port));
	}
}

/* The verified client certificate's subject of req's connection into buf: 0, or -1. */
static int
tls_subject_of(const struct httpd *h, h2o_req_t *req, char *buf, size_t len)
{
	h2o_socket_t *sock;
	const struct h2o_ssl_prefix *p;

	buf[0] = '\0';
	if (h->tls == NULL || req->conn->callbacks->get_socket == NULL ||
	    (sock = req->conn->callbacks->get_socket(req->conn)) == NULL || sock->ssl == NULL)
		return -1;
	p = (const struct h2o_ssl_prefix *)(const void *)sock->ssl;
	if (p->ssl_ctx != h->tls || p->ossl == NULL || SSL_get_SSL_CTX(p->ossl) != h->tls ||
	    SSL_get_rbio(p->ossl) == NULL || BIO_get_data(SSL_get_rbio(p->ossl)) != sock)
		return -1;
	return admin_tls_peer_subject(p->ossl, buf, len);
}

static void
answer(struct httpd *h, h2o_req_t *req, struct admin_response *rs)
{
	req->res.status = rs->status;
	req->res.reason = reason_of(rs->status);
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
	    H2O_STRLIT("application/json"));
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
	    H2O_STRLIT("no-store"));
	if (rs->status == 401)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_WWW_AUTHENTICATE, NULL,
		    H2O_STRLIT("Bearer realm=\"lancre\""));
	if (rs->status == 429)
		h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
		    H2O_STRLIT(ADMIN_RETRY_AFTER_TEXT));
	/* An HTTP/1.1 connection that showed no valid token, or is over the limit, keeps no slot. */
	if (rs->status == 401 || rs->status == 429)
		req->http1_is_persistent = 0;
	/* Stopping: the client learns with this answer not to send another here. */
	if (h->stopping)
		req->http1_is_persistent = 0;
	req->res.content_length = rs->len;
	h2o_send_inline(req, rs->body, rs->len); /* copied into the request's pool */
}

/* The request's pool is cleared (answered, or the client went away): stop looking. */
static void
held_dispose(void *p)
{
	struct held *x = p;

	if (h2o_timeout_is_linked(&x->te))
		h2o_timeout_unlink(&x->te);
	if (h2o_linklist_is_linked(&x->link))
		h2o_linklist_unlink(&x->link);
	admin_wait_free(x->wait);
	x->wait = NULL;
}

static void
held_tick(h2o_timeout_entry_t *te)
{
	struct held *x = H2O_STRUCT_FROM_MEMBER(struct held, te, te);
	struct admin_response rs = {0};

	if (admin_wait_poll(x->h->api, x->wait, admin_now_ms(), &rs)) {
		h2o_linklist_unlink(&x->link);
		answer(x->h, x->req, &rs);
		admin_response_free(&rs);
		return;
	}
	h2o_timeout_link(x->h->ctx.loop, &x->h->tick, &x->te);
}

/* The request line's and headers' bytes, as HTTP/1.1 would send them. */
static size_t
head_size(const h2o_req_t *req)
{
	size_t n = req->method.len + req->path.len + req->authority.len + 16;

	for (size_t i = 0; i < req->headers.size; i++)
		n += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
	return n;
}

/*
 * What the limits refuse before the request is looked at: a connection over
 * [admin] max_connections (429), headers over ADMIN_HEADERS_MAX (431), a
 * body over [admin] max_body (413; h2o's own limit, twice that, answers
 * beyond it: see httpd.h).  0: none, go on.
 */
static int
refused(struct httpd *h, h2o_req_t *req, const unsigned *mark, struct admin_response *rs)
{
	const struct conf *c = h->api->conf;
	size_t n;

	if (mark != NULL && (*mark & MARK_OVER) != 0) {
		admin_reply_json(rs, 429, json_pack("{s:s, s:i}", "error",
		    "too many connections to the admin API ([admin] max_connections): try again "
		    "after the Retry-After seconds", "retry_after", ADMIN_RETRY_AFTER_S));
		return 1;
	}
	if ((n = head_size(req)) > ADMIN_HEADERS_MAX) {
		admin_reply_error(rs, 431, "the request line and headers are %zu bytes, more than "
		    "%d", n, ADMIN_HEADERS_MAX);
		return 1;
	}
	if (req->entity.base != NULL && req->entity.len > (size_t)c->api_max_body) {
		admin_reply_error(rs, 413, "the body is %zu bytes, more than [admin] max_body (%lld)",
		    req->entity.len, (long long)c->api_max_body);
		return 1;
	}
	return 0;
}

static int
on_req(h2o_handler_t *self, h2o_req_t *req)
{
	struct httpd *h = ((struct httpd_handler *)self)->h;
	unsigned *mark = conns_mark_of_req(req);
	struct admin_request rq = {0};
	struct admin_response rs = {0};
	char peer[64], subject[ADMIN_TLS_SUBJECT_MAX];
	ssize_t i;

	conns_request_seen(req);
	if (refused(h, req, mark, &rs)) {
		answer(h, req, &rs);
		admin_response_free(&rs);
		return 0;
	}
	peer_of(req, peer, sizeof(peer));
	if (tls_subject_of(h, req, subject, sizeof(subject)) == 0)
		rq.tls_subject = subject;
	rq.method = req->method.base;
	rq.method_len = req->method.len;
	rq.path = req->path_normalized.base;
	rq.path_len = req->path_normalized.len;
	if (req->query_at != SIZE_MAX) {
		rq.query = req->path.base + req->query_at + 1;
		rq.query_len = req->path.len - req->query_at - 1;
	}
	if ((i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1)) != -1) {
		rq.authorization = req->headers.entries[i].value.base;
		rq.authorization_len = req->headers.entries[i].value.len;
	}
	rq.body = (const uint8_t *)req->entity.base;
	rq.body_len = req->entity.base != NULL ? req->entity.len : 0;
	rq.peer = peer;
	admin_api_handle(h->api, &rq, &rs);
	if (rs.authenticated && mark != NULL)
		*mark |= MARK_KNOWN;
	if (rs.wait != NULL) { /* looked at again on the loop's timer: other requests go on */
		struct held *x = h2o_mem_alloc_shared(&req->pool, sizeof(*x), held_dispose);
		memset(x, 0, sizeof(*x));
		x->h = h;
		x->req = req;
		x->wait = rs.wait;
		x->te.cb = held_tick;
		rs.wait = NULL;
		h2o_linklist_insert(&h->held, &x->link);
		h2o_timeout_link(h->ctx.loop, &h->tick, &x->te);
		return 0;
	}
	answer(h, req, &rs);
	admin_response_free(&rs);
	return 0;
}

static void
on_accept(h2o_socket_t *listener, const char *err)
{
	struct httpd *h = listener->data;
	h2o_socket_t *sock;

	if (err != NULL)
		return;
	while ((sock = h2o_evloop_socket_accept(listener)) != NULL) {
		atomic_long *counter = &h->open;
		unsigned mark = 0;

		/*
		 * Full: room is made by cutting the oldest connection that never showed
		 * a valid token (a client sending its request slowly: h2o reads the
		 * whole body before the token can be looked at), once it has had
		 * ADMIN_EVICT_MIN_MS; else the newcomer is let in to be answered 429,
		 * up to ADMIN_OVER_MAX of them.
		 */
		if (atomic_load(&h->open) >= h->api->conf->api_max_connections &&
		    !conns_cut_oldest(&h->conns, MARK_KNOWN | MARK_OVER | MARK_CUT, MARK_CUT,
			ADMIN_EVICT_MIN_MS)) {
			counter = &h->over;
			mark = MARK_OVER;
		}
		if ((mark == MARK_OVER && atomic_load(&h->over) >= ADMIN_OVER_MAX) ||
		    conns_add(&h->conns, sock, counter, mark) != 0) {
			h2o_socket_close(sock);
			continue;
		}
		atomic_fetch_add(counter, 1);
		h2o_accept(&h->actx, sock);
	}
}

static void
setup_config(struct httpd *h)
{
	const struct conf *c = h->api->conf;
	h2o_hostconf_t *host;
	h2o_pathconf_t *path;
	struct httpd_handler *hd;

	h2o_config_init(&h->config);
	h->config.server_name = h2o_iovec_init(H2O_STRLIT("lancre"));
	/* Ours is max_body (refused(): a JSON 413); h2o's, beyond it, answers in text. */
	h->config.max_request_entity_size = 2 * (size_t)c->api_max_body;
	h->config.http1.req_timeout = (uint64_t)c->request_timeout * 1000;
	h->config.http2.idle_timeout = (uint64_t)c->h2_idle_timeout * 1000;
	h->config.http2.max_concurrent_requests_per_connection = (size_t)c->h2_max_streams;
	host = h2o_config_register_host(&h->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	path = h2o_config_register_path(host, "/", 0);
	hd = (struct httpd_handler *)h2o_create_handler(path, sizeof(*hd));
	hd->super.on_req = on_req;
	hd->h = h;
}

/*
 * An HTTP/2 stream, in any state (its request arriving, held, or its answer
 * given and not all written): its connection is not quiet.  h2o writes an
 * HTTP/2 answer on the loop's next turn (the zero timeout): until then the
 * socket is not writing and owes no body we know of, yet the answer's DATA
 * is only in the stream.  Closed then (a read EOF), h2o writes what its
 * connection buffer holds, the HEADERS, and drops the DATA (lib/http2/
 * connection.c: close_connection waits for a pending write, do_emit_writereq
 * pushes no DATA once closing): a 200 without its body.  The stream is gone
 * only once its last DATA is written.  What the connection read while it
 * had a stream was that stream's (its body, WINDOW_UPDATE...): a new request
 * is what it reads after (conns_request_seen).
 */
static int
keep_stream(h2o_req_t *req, void *arg)
{
	(void)arg;
	conns_request_seen(req);
	conns_keep(req);
	return 0;
}

/* The connections the drain's next close leaves (conns_keep): held answers, HTTP/2 streams. */
static void
keep_busy(struct httpd *h)
{
	for (h2o_linklist_t *l = h->held.next; l != &h->held; l = l->next)
		conns_keep(H2O_STRUCT_FROM_MEMBER(struct held, link, l)->req);
	H2O_HTTP2_CALLBACKS.foreach_request(&h->ctx, keep_stream, NULL);
}

/* The drain's deadline: every held answer given now, served (200) or not yet (504). */
static void
give_held(struct httpd *h)
{
	while (!h2o_linklist_is_empty(&h->held)) {
		struct held *x = H2O_STRUCT_FROM_MEMBER(struct held, link, h->held.next);
		struct admin_response rs = {0};
		int64_t now = admin_now_ms();

		h2o_linklist_unlink(&x->link);
		if (h2o_timeout_is_linked(&x->te))
			h2o_timeout_unlink(&x->te);
		if (!admin_wait_poll(h->api, x->wait, now, &rs))
			admin_wait_stop(x->wait, now, &rs);
		answer(h, x->req, &rs);
		admin_response_free(&rs);
	}
}

/*
 * The stop (SIGTERM: lancre run stops, or replaces this process on SIGHUP,
 * a new one already accepting on the same socket): nothing begun is cut.
 * GOAWAY over HTTP/2, `Connection: close` on the HTTP/1.1 answers; a
 * connection is closed once quiet (conns_close_quiet: no request being
 * read, no answer owed or held, no HTTP/2 stream: keep_busy); the held ones
 * (?wait=served) go on being looked at until served or ADMIN_DRAIN_MS, when
 * each is given its answer, 504 with what is not served yet if need be (the
 * change is committed: its client learns it rather than seeing the
 * connection cut); the rest are cut ADMIN_DRAIN_FLUSH_MS later.
 *
 * h2o's own HTTP/2 close is kept from running (conns_request_shutdown):
 * HTTP/2 connections are closed here, as HTTP/1.1 ones, once quiet
 * (keep_busy).
 */
static int
drain(struct httpd *h, h2o_evloop_t *loop)
{
	uint64_t deadline = h2o_now(loop) + ADMIN_DRAIN_MS, flushed;

	h->stopping = 1;
	conns_request_shutdown(&h->ctx);
	h2o_evloop_run(loop, 0);
	while (h->conns.n > 0 && h2o_now(loop) < deadline) {
		keep_busy(h);
		conns_close_quiet(&h->conns, ADMIN_DRAIN_GRACE_MS);
		h2o_evloop_run(loop, ADMIN_DRAIN_TICK_MS);
	}
	give_held(h);
	flushed = h2o_now(loop) + ADMIN_DRAIN_FLUSH_MS;
	while (h->conns.n > 0 && h2o_now(loop) < flushed) {
		keep_busy(h); /* the answers just given: HTTP/2 writes them on the next turn */
		conns_close_quiet(&h->conns, 0);
		h2o_evloop_run(loop, ADMIN_DRAIN_TICK_MS);
	}
	if (h->conns.n > 0) {
		conns_close_all(&h->conns);
		for (int i = 0; i < 10 && h->conns.n > 0; i++)
			h2o_evloop_run(loop, ADMIN_DRAIN_TICK_MS);
	}
	h2o_evloop_run(loop, 0);
	return h->conns.n > 0 ? -1 : 0;
}

int
admin_httpd_run(struct admin_api *api, int fd, SSL_CTX *tls, volatile sig_atomic_t *stop,
    void (*on_start)(void *arg), void *arg, struct err *e)
{
	static struct httpd h; /* h2o keeps pointers into its config for the process lifetime */
	h2o_evloop_t *loop;

	(void)e;
	memset(&h, 0, sizeof(h));
	h.api = api;
	h2o_linklist_init_anchor(&h.held);
	setup_config(&h);
	loop = h2o_evloop_create();
	conns_init(&h.conns, loop, &h.stalled);
	h.conns.write_timeout_ms = (uint64_t)api->conf->write_timeout * 1000;
	h2o_context_init(&h.ctx, loop, &h.config);
	h2o_timeout_init(loop, &h.tick, ADMIN_WAIT_TICK_MS);
	h.actx.ctx = &h.ctx;
	h.actx.hosts = h.config.hosts;
	if (tls != NULL) { /* h2o does the handshake on accept, then HTTP/2 or HTTP/1.1 */
		h.tls = tls;
		h.actx.ssl_ctx = tls;
		h2o_ssl_register_alpn_protocols(tls, alpn);
	}
	h.listener = h2o_evloop_socket_create(loop, fd, H2O_SOCKET_FLAG_DONT_READ);
	h.listener->data = &h;
	h2o_socket_read_start(h.listener, on_accept);
	if (on_start != NULL)
		on_start(arg);
	while (!*stop)
		h2o_evloop_run(loop, ADMIN_LOOP_WAKE_MS);
	h2o_socket_read_stop(h.listener);
	h2o_socket_close(h.listener);
	if (drain(&h, loop) != 0)
		return 0; /* a connection h2o would not close: leave the loop to the OS (server.c) */
	conns_dispose(&h.conns);
	h2o_timeout_dispose(loop, &h.tick);
	h2o_context_dispose(&h.ctx);
	h2o_evloop_destroy(loop);
	h2o_config_dispose(&h.config);
	return 0;
}
