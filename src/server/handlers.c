/*
 * handlers.c - answering one request from the current snapshot.
 *
 * Every answer is built here from bytes that already exist: nothing is
 * signed, nothing is read from disk or the store on a loop.  The one
 * exception waits off the loop: an OCSP request a partial snapshot misses
 * (its responses still loading, snapshot.h) is suspended while a lookup
 * thread asks the store (lookup.h), and answered here, by the same code and
 * with the same bytes and headers, when the job comes back.  Cache headers follow RFC
 * 5019 6 for OCSP: max-age never past nextUpdate, Last-Modified = thisUpdate,
 * Expires = nextUpdate, an ETag from the bytes; If-None-Match and
 * If-Modified-Since give 304.
 */
#include "server/server_int.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "crl/list.h"
#include "ocsp/answer.h"
#include "ocsp/request.h"
#include "pki/serial.h"
#include "server/body.h"
#include "server/metrics.h"
#include "util/timefmt.h"

struct cache_info {
	uint64_t etag;
	int64_t last_modified; /* 0: none */
	int64_t expires;       /* 0: none */
	int64_t max_age;
	int must_revalidate; /* the OCSP form of Cache-Control */
};

/* Every response carries Content-Length: h2o 2.2 would otherwise chunk inline bodies. */
static void
send_bytes(h2o_req_t *req, const void *body, size_t len)
{
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

static enum metric_status
metric_of(int status)
{
	switch (status) {
	case 200:
		return M_200;
	case 304:
		return M_304;
	case 404:
		return M_404;
	case 405:
		return M_405;
	case 413:
		return M_413;
	case 431:
		return M_431;
	case 500:
		return M_500;
	}
	return M_400;
}

static void
count(struct server *sv, enum route_kind k, int status)
{
	atomic_fetch_add_explicit(&sv->requests[k][metric_of(status)], 1, memory_order_relaxed);
}

/* A header whose value lives as long as the request: a string literal, or pool memory. */
static void
add_header(h2o_req_t *req, const h2o_token_t *token, const char *value, size_t len)
{
	h2o_add_header(&req->pool, &req->res.headers, token, NULL, value, len);
}

/*
 * The cache headers of every answer are written straight into the request's
 * pool, without printf or gmtime_r: together they were 6% of the server's
 * CPU per OCSP answer (perf), gmtime_r() taking glibc's time zone lock.
 */
static void
add_http_date(h2o_req_t *req, const h2o_token_t *token, int64_t t)
{
	char *v = h2o_mem_alloc_pool(&req->pool, TIMEFMT_HTTP_LEN);

	timefmt_http(t, v);
	add_header(req, token, v, TIMEFMT_HTTP_LEN);
}

#define ETAG_LEN 18 /* a quoted 64-bit hex value */

static void
format_etag(uint64_t etag, char *out)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '"';
	for (int i = 0; i < 16; i++)
		out[1 + i] = hex[(etag >> (60 - 4 * i)) & 0xf];
	out[17] = '"';
}

/* "max-age=N" and the rest of Cache-Control; N below 0 is sent as 0. */
static void
add_cache_control(h2o_req_t *req, int64_t max_age, int must_revalidate)
{
	static const char head[] = "max-age=";
	static const char ocsp[] = ", public, no-transform, must-revalidate";
	static const char plain[] = ", public";
	const char *tail = must_revalidate ? ocsp : plain;
	size_t tail_len = must_revalidate ? sizeof(ocsp) - 1 : sizeof(plain) - 1;
	char digits[20], *v, *p;
	uint64_t n = max_age > 0 ? (uint64_t)max_age : 0;
	size_t nd = 0;

	do
		digits[nd++] = (char)('0' + n % 10);
	while ((n /= 10) != 0);
	p = v = h2o_mem_alloc_pool(&req->pool, sizeof(head) - 1 + nd + tail_len);
	memcpy(p, head, sizeof(head) - 1);
	p += sizeof(head) - 1;
	while (nd > 0)
		*p++ = digits[--nd];
	memcpy(p, tail, tail_len);
	p += tail_len;
	add_header(req, H2O_TOKEN_CACHE_CONTROL, v, (size_t)(p - v));
}

static int
is_method(const h2o_req_t *req, const char *m)
{
	return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

/* 1 when the client's copy is current: If-None-Match first, then If-Modified-Since. */
static int
not_modified(const h2o_req_t *req, const struct cache_info *ci, const char *etag,
    size_t etag_len)
{
	ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_IF_NONE_MATCH, -1);
	struct tm tm;

	if (i >= 0) {
		h2o_iovec_t v = req->headers.entries[i].value;
		return h2o_memis(v.base, v.len, H2O_STRLIT("*")) ||
		       h2o_strstr(v.base, v.len, etag, etag_len) != SIZE_MAX;
	}
	i = h2o_find_header(&req->headers, H2O_TOKEN_IF_MODIFIED_SINCE, -1);
	if (i >= 0 && ci->last_modified != 0) {
		h2o_iovec_t v = req->headers.entries[i].value;
		if (h2o_time_parse_rfc1123(v.base, v.len, &tm) == 0)
			return timefmt_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
				   tm.tm_hour, tm.tm_min, tm.tm_sec) >= ci->last_modified;
	}
	return 0;
}

/*
 * Send a 200 (or 304) with body and the cache headers of ci; ctype is a string
 * literal.  Big bodies go by reference (body.h); body->owned is taken over.
 */
static void
send_body(struct server *sv, h2o_req_t *req, enum route_kind k, const char *ctype,
    const struct body_src *body, const struct cache_info *ci)
{
	char *etag = h2o_mem_alloc_pool(&req->pool, ETAG_LEN);

	format_etag(ci->etag, etag);
	add_cache_control(req, ci->max_age, ci->must_revalidate);
	if (ci->etag != 0)
		add_header(req, H2O_TOKEN_ETAG, etag, ETAG_LEN);
	if (ci->last_modified != 0)
		add_http_date(req, H2O_TOKEN_LAST_MODIFIED, ci->last_modified);
	if (ci->expires != 0)
		add_http_date(req, H2O_TOKEN_EXPIRES, ci->expires);
	if (not_modified(req, ci, etag, ETAG_LEN)) {
		req->res.status = 304;
		req->res.reason = "Not Modified";
		count(sv, k, 304);
		/* No Content-Length: RFC 9110 8.6 allows only the 200's length, and h2o would
		 * then wait for that many bytes; h2o sends a 304 without a body either way. */
		req->res.content_length = SIZE_MAX;
		h2o_send_inline(req, NULL, 0);
		free(body->owned);
		return;
	}
	req->res.status = 200;
	req->res.reason = "OK";
	add_header(req, H2O_TOKEN_CONTENT_TYPE, ctype, strlen(ctype));
	count(sv, k, 200);
	body_send(req, server_loop_conns(req), body);
}

/* A short text answer, not counted in the metrics (the admin listener's). */
static int
send_plain(h2o_req_t *req, int status, const char *reason, const char *body)
{
	req->res.status = status;
	req->res.reason = reason;
	add_header(req, H2O_TOKEN_CONTENT_TYPE, H2O_STRLIT("text/plain; charset=utf-8"));
	add_header(req, H2O_TOKEN_CACHE_CONTROL, H2O_STRLIT("max-age=60, public"));
	send_bytes(req, body, strlen(body));
	return 0;
}

static int
send_status(struct server *sv, h2o_req_t *req, enum route_kind k, int status, const char *reason,
    const char *body)
{
	count(sv, k, status);
	return send_plain(req, status, reason, body);
}

static int
method_not_allowed(struct server *sv, h2o_req_t *req, enum route_kind k, const char *allow)
{
	add_header(req, H2O_TOKEN_ALLOW, allow, strlen(allow));
	return send_status(sv, req, k, 405, "Method Not Allowed", "method not allowed\n");
}

/* The configured cache-tag header (e.g. Edge-Cache-Tag: <serial hex>), for CDN purges. */
static void
add_cache_tag(h2o_req_t *req, const struct conf *c, const struct ocsp_answer *a)
{
	char hex[SERIAL_HEX_MAX];
	size_t n = strlen(c->cache_tag_header);

	if (n == 0 || a->serial_len == 0)
		return;
	serial_to_hex(a->serial, a->serial_len, hex, sizeof(hex));
	h2o_add_header_by_str(&req->pool, &req->res.headers, c->cache_tag_header, n, 0, NULL,
	    h2o_strdup(&req->pool, hex, 2 * a->serial_len).base, 2 * a->serial_len);
}

/*
 * The answer a to an OCSP request, with its cache headers (RFC 5019 6).
 * pooled: a's bytes lie in req's pool (a hit of the bounded cache), sent
 * as they are instead of copied again.
 */
static int
reply_ocsp_from(struct server *sv, const struct snapshot *snap, h2o_req_t *req,
    const struct ocsp_answer *ans, int pooled)
{
	int64_t now = (int64_t)time(NULL);
	struct ocsp_answer a = *ans;
	struct cache_info ci = {0};

	atomic_fetch_add_explicit(&sv->ocsp_outcomes[a.outcome], 1, memory_order_relaxed);
	if (a.outcome != OCSP_OUT_RESPONSE) {
		/* RFC 6960 error responses are successful HTTP exchanges, but never cached. */
		add_header(req, H2O_TOKEN_CACHE_CONTROL,
		    H2O_STRLIT("max-age=" SERVER_OCSP_ERROR_MAX_AGE_STR ", public, no-transform"));
		add_header(req, H2O_TOKEN_CONTENT_TYPE, H2O_STRLIT("application/ocsp-response"));
		req->res.status = 200;
		req->res.reason = "OK";
		count(sv, ROUTE_OCSP, 200);
		send_bytes(req, a.der, a.len);
		return 0;
	}
	ci.etag = a.etag;
	ci.last_modified = a.this_update;
	ci.expires = a.next_update;
	ci.max_age = a.next_update - now;
	if (snap->conf.ocsp_max_age > 0 && ci.max_age > snap->conf.ocsp_max_age)
		ci.max_age = snap->conf.ocsp_max_age;
	ci.must_revalidate = 1;
	add_cache_tag(req, &snap->conf, &a);
	/* Copied: a few hundred bytes, cheaper than a reference (and the index has no count). */
	send_body(sv, req, ROUTE_OCSP, "application/ocsp-response",
	    &(struct body_src){.p = a.der, .len = a.len, .pooled = pooled}, &ci);
	return 0;
}

static int
reply_ocsp(struct server *sv, const struct snapshot *snap, h2o_req_t *req,
    const struct ocsp_answer *ans)
{
	return reply_ocsp_from(sv, snap, req, ans, 0);
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* route_and_answer's return for a request suspended until its lookup comes back. */
#define HANDLE_SUSPENDED 1

enum miss_outcome { MISS_SENT, MISS_SUSPENDED, MISS_TRY_LATER };

/* ocsp_cache_get's buffer for a hit: the request's pool, sent from there (body.h). */
static void *
pool_alloc(void *pool, size_t len)
{
	return h2o_mem_alloc_pool(pool, len ? len : 1);
}

/*
 * A miss of a partial snapshot, or any request while the snapshot is behind
 * a lookup's answer (handle_ocsp): answered from the bounded cache (a response
 * held, or the store known to hold none), else suspended while the store is
 * asked, else (the lookups are full: *a is made tryLater) left to the
 * caller.
 */
static enum miss_outcome
answer_miss(struct server *sv, const struct snapshot *snap, h2o_req_t *req,
    const struct ocsp_miss *miss, struct ocsp_answer *a, int64_t now, int64_t start_ns)
{
	struct ocsp_cache_key k = {miss->issuer_id, miss->q.hash, miss->q.serial,
	    miss->q.serial_len};
	enum ocsp_cache_got got = OCSP_CACHE_UNRESERVED;
	struct ocsp_entry en;

	if (sv->cache != NULL)
		got = ocsp_cache_get(sv->cache, &k, now, pool_alloc, &req->pool, &en);
	if (got == OCSP_CACHE_HIT || got == OCSP_CACHE_ABSENT) {
		ocsp_answer_entry(got == OCSP_CACHE_HIT ? &en : NULL, now, a);
		reply_ocsp_from(sv, snap, req, a, got == OCSP_CACHE_HIT);
		return MISS_SENT;
	}
	if (lookup_submit(sv->lookup, server_loop_port(req), req, miss, a, snap->catalog,
		got == OCSP_CACHE_MISS ? sv->cache : NULL, start_ns) == 0)
		return MISS_SUSPENDED;
	if (got == OCSP_CACHE_MISS)
		ocsp_cache_release(sv->cache, &k); /* the reservation the miss made */
	ocsp_answer_fail(a, OCSP_OUT_TRY_LATER);
	return MISS_TRY_LATER;
}

/*
 * An OCSP request, answered from the view; one a partial snapshot misses
 * (snapshot.h) is answered from the bounded cache ([server] cache), or
 * suspended and asked of the store (lookup.h), or answered tryLater when the
 * lookups are full.
 */
static int
handle_ocsp(struct server *sv, const struct snapshot *snap, h2o_req_t *req,
    const struct route *r, int64_t start_ns)
{
	int64_t now = (int64_t)time(NULL);
	/* Older than an answer a lookup gave (lookup.h): every request to the store, until a reload. */
	int behind = !snap->partial && snap->ocsp_seq < lookup_served_seq(sv->lookup);
	struct ocsp_miss miss = {.always = behind}, *mp = snap->partial || behind ? &miss : NULL;
	struct ocsp_answer a;

	if (is_method(req, "POST")) {
		ocsp_answer_der_miss(&snap->view, (const uint8_t *)req->entity.base, req->entity.len,
		    now, &a, mp);
	} else if (is_method(req, "GET") || is_method(req, "HEAD")) {
		if (r->ocsp == NULL)
			return send_status(sv, req, ROUTE_OCSP, 400, "Bad Request",
			    "an OCSP GET needs the request in the path\n");
		ocsp_answer_get_miss(&snap->view, r->ocsp, r->ocsp_len, now, &a, mp);
	} else {
		return method_not_allowed(sv, req, ROUTE_OCSP, "GET, HEAD, POST");
	}
	if (miss.issuer_id != 0) {
		switch (answer_miss(sv, snap, req, &miss, &a, now, start_ns)) {
		case MISS_SENT:
			return 0;
		case MISS_SUSPENDED:
			return HANDLE_SUSPENDED;
		case MISS_TRY_LATER:
			break;
		}
	}
	return reply_ocsp(sv, snap, req, &a);
}

static int
handle_issuer(struct server *sv, const struct snapshot *snap, h2o_req_t *req,
    const struct route *r)
{
	const struct snapshot_issuer *si = snapshot_issuer(snap, r->issuer);
	struct cache_info ci = {0};

	if (si == NULL)
		return send_status(sv, req, r->kind, 404, "Not Found", "no such issuer\n");
	ci.etag = si->etag + (r->kind == ROUTE_ISSUER_PEM);
	ci.last_modified = si->last_modified;
	ci.max_age = SERVER_ISSUER_MAX_AGE;
	if (r->kind == ROUTE_ISSUER_PEM)
		send_body(sv, req, r->kind, "application/x-pem-file",
		    &(struct body_src){.p = si->pem, .len = si->pem_len, .cat = snap->catalog}, &ci);
	else
		send_body(sv, req, r->kind, "application/pkix-cert",
		    &(struct body_src){.p = si->der, .len = si->der_len, .cat = snap->catalog}, &ci);
	return 0;
}

static int
handle_crl(struct server *sv, const struct snapshot *snap, h2o_req_t *req, const struct route *r)
{
	const struct snapshot_crl *c = snapshot_crl(snap, r->issuer,
	    r->kind == ROUTE_CRL_FULL ? 0 : crl_key(r->shard, r->kind == ROUTE_CRL_DELTA));
	int64_t now = (int64_t)time(NULL);
	struct cache_info ci = {0};

	if (c == NULL)
		return send_status(sv, req, r->kind, 404, "Not Found", "no such CRL\n");
	ci.etag = c->etag;
	ci.last_modified = c->this_update;
	ci.expires = c->next_update;
	/* A CRL is re-signed within [crl] delay of a revocation: let caches keep it no longer. */
	ci.max_age = c->next_update - now;
	if (ci.max_age > snap->conf.crl_delay)
		ci.max_age = snap->conf.crl_delay;
	if (ci.max_age < 0)
		ci.max_age = 0;
	send_body(sv, req, r->kind, "application/pkix-crl",
	    &(struct body_src){.p = c->der, .len = c->der_len, .cat = snap->catalog}, &ci);
	return 0;
}

static int
handle_crl_list(struct server *sv, const struct snapshot *snap, h2o_req_t *req,
    const struct route *r)
{
	const struct snapshot_issuer *si = snapshot_issuer(snap, r->issuer);
	struct cache_info ci = {.max_age = 3600};
	size_t len;
	char *json;

	if (si == NULL)
		return send_status(sv, req, r->kind, 404, "Not Found", "no such issuer\n");
	json = crl_list_json(&snap->conf, si->name, si->crl_shards, &len);
	if (json == NULL)
		return send_status(sv, req, r->kind, 500, "Internal Server Error", "out of memory\n");
	ci.etag = si->etag ^ (uint64_t)si->crl_shards;
	send_body(sv, req, r->kind, "application/json",
	    &(struct body_src){.p = json, .len = len, .owned = json}, &ci);
	return 0;
}

/* The about page (about.h): built with the snapshot, in the visitor's language. */
static int
handle_about(struct server *sv, const struct snapshot *snap, h2o_req_t *req, enum route_kind k)
{
	struct cache_info ci = {.max_age = SERVER_ABOUT_MAX_AGE};
	ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT_LANGUAGE, -1);
	h2o_iovec_t al = i >= 0 ? req->headers.entries[i].value : h2o_iovec_init(NULL, 0);
	const char *q = req->query_at != SIZE_MAX ? req->path.base + req->query_at + 1 : NULL;
	size_t ql = q != NULL ? req->path.len - req->query_at - 1 : 0;
	const struct about_page *pg = about_choose(snap->about, q, ql, al.base, al.len);

	ci.etag = pg->etag;
	add_header(req, H2O_TOKEN_CONTENT_LANGUAGE, pg->tag, strlen(pg->tag));
	add_header(req, H2O_TOKEN_VARY, H2O_STRLIT("Accept-Language"));
	/* A few tens of KB: copied into the response (body.h), the snapshot may go. */
	send_body(sv, req, k, "text/html; charset=utf-8",
	    &(struct body_src){.p = pg->html, .len = pg->len}, &ci);
	return 0;
}

static void
observe(struct server *sv, int64_t ns)
{
	static const double bounds[] = SERVER_LATENCY_BUCKETS;
	size_t b = 0;

	while (b < sizeof(bounds) / sizeof(bounds[0]) && (double)ns / 1e9 > bounds[b])
		b++;
	atomic_fetch_add_explicit(&sv->latency[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sv->latency_sum_ns, (unsigned long)ns, memory_order_relaxed);
}

static int route_and_answer(struct server *sv, h2o_req_t *req, int64_t start_ns);

/*
 * The request line and headers, in bytes, as HTTP/1.1 would send them
 * ("Name: value\r\n").  h2o itself accepts up to H2O_MAX_REQLEN (400 KB, a
 * compile-time constant of the library); [server] max_header_size is the
 * operator's limit, checked here for HTTP/1.1 and HTTP/2 alike.
 */
static size_t
header_size(const h2o_req_t *req)
{
	size_t n = req->method.len + req->path.len + 12;

	for (size_t i = 0; i < req->headers.size; i++)
		n += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
	return n;
}

int
handle_public(h2o_handler_t *self, h2o_req_t *req)
{
	struct server *sv = ((struct server_handler *)self)->sv;
	int64_t start = mono_ns();
	int rc = route_and_answer(sv, req, start);

	if (rc == HANDLE_SUSPENDED)
		return 0; /* observed when answered (handle_lookup_done) */
	observe(sv, mono_ns() - start);
	return rc;
}

void
handle_lookup_done(void *arg, h2o_req_t *req, const struct lookup_job *job, int late)
{
	struct server *sv = arg;
	/* The loop holds the current snapshot until it goes round (server.h). */
	const struct snapshot *snap = atomic_load_explicit(&sv->current, memory_order_acquire);
	struct ocsp_answer a = job->answer;

	/* The store is away, or too slow (the job is still out: its word is not read). */
	if (late || job->found < 0)
		ocsp_answer_fail(&a, OCSP_OUT_TRY_LATER); /* clients retry */
	else
		ocsp_answer_entry(job->found ? &job->entry : NULL, (int64_t)time(NULL), &a);
	reply_ocsp(sv, snap, req, &a);
	observe(sv, mono_ns() - job->started_ns);
}

static int
route_and_answer(struct server *sv, h2o_req_t *req, int64_t start_ns)
{
	const struct snapshot *snap = atomic_load_explicit(&sv->current, memory_order_acquire);
	struct route r;

	route_request(req->authority.base, req->authority.len, req->path.base, req->path.len,
	    snap->conf.domain, &r);
	if (header_size(req) > (size_t)snap->conf.max_header_size)
		return send_status(sv, req, r.kind, 431, "Request Header Fields Too Large",
		    "request header fields too large\n");
	if (r.kind == ROUTE_OCSP_ROOT && is_method(req, "POST"))
		r.kind = ROUTE_OCSP; /* POST / on an OCSP host is a request */
	if (r.kind == ROUTE_OCSP)
		return handle_ocsp(sv, snap, req, &r, start_ns);
	if (!is_method(req, "GET") && !is_method(req, "HEAD"))
		return method_not_allowed(sv, req, r.kind, "GET, HEAD");
	switch (r.kind) {
	case ROUTE_ISSUER_DER:
	case ROUTE_ISSUER_PEM:
		return handle_issuer(sv, snap, req, &r);
	case ROUTE_ABOUT:
		return handle_about(sv, snap, req, r.kind);
	case ROUTE_OCSP_ROOT:
		return send_status(sv, req, r.kind, 200, "OK",
		    "This is an OCSP responder: it answers certificate status requests.\n");
	case ROUTE_CRL_SHARD:
	case ROUTE_CRL_FULL:
	case ROUTE_CRL_DELTA:
		return handle_crl(sv, snap, req, &r);
	case ROUTE_CRL_LIST:
		return handle_crl_list(sv, snap, req, &r);
	default:
		return send_status(sv, req, r.kind, 404, "Not Found", "not found\n");
	}
}

static int
handle_metrics(struct server *sv, h2o_req_t *req)
{
	const struct snapshot *snap = atomic_load_explicit(&sv->current, memory_order_acquire);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return send_plain(req, 500, "Internal Server Error", "out of memory\n");
	metrics_write(f, sv, snap, (int64_t)time(NULL));
	fclose(f);
	req->res.status = 200;
	req->res.reason = "OK";
	add_header(req, H2O_TOKEN_CONTENT_TYPE, H2O_STRLIT("text/plain; version=0.0.4"));
	send_bytes(req, buf, len);
	free(buf);
	return 0;
}

/*
 * NULL when the node is fit to serve; else why not: the snapshot
 * (snapshot_unhealthy), or, while it misses responses it then asks the
 * store for (partial), its base failing to load (builder.h) or the store
 * failing those lookups (lookup.h).
 */
static const char *
server_unhealthy(struct server *sv, const struct snapshot *snap, int64_t now)
{
	const char *why = snapshot_unhealthy(snap, now);
	struct lookup_stats ls;
	unsigned long total;
	int failures;

	if (why != NULL || !snap->partial)
		return why;
	builder_failures(sv->builder, &failures, &total);
	if (failures > 0 && sv->cache == NULL)
		return "loading the responses failed (retrying; requests are looked up meanwhile)";
	lookup_counts(sv->lookup, &ls);
	if (ls.failing)
		return "lookups in the store are failing (what is not loaded is answered tryLater)";
	return NULL;
}

/* 503 with the reason while the node is unfit to serve (server_unhealthy). */
static int
handle_healthz(struct server *sv, h2o_req_t *req)
{
	const struct snapshot *snap = atomic_load_explicit(&sv->current, memory_order_acquire);
	const char *why = server_unhealthy(sv, snap, (int64_t)time(NULL));
	char msg[160];

	if (why == NULL)
		return send_plain(req, 200, "OK", "ok\n");
	snprintf(msg, sizeof(msg), "unhealthy: %s\n", why);
	return send_plain(req, 503, "Service Unavailable", msg);
}

int
handle_admin(h2o_handler_t *self, h2o_req_t *req)
{
	struct server *sv = ((struct server_handler *)self)->sv;

	if (h2o_memis(req->path.base, req->path.len, H2O_STRLIT("/healthz")))
		return handle_healthz(sv, req);
	if (h2o_memis(req->path.base, req->path.len, H2O_STRLIT("/metrics")))
		return handle_metrics(sv, req);
	return send_plain(req, 404, "Not Found", "not found\n");
}
