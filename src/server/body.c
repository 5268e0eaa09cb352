/*
 * body.c - response bodies by reference; see body.h.
 */
#include "server/body.h"

#include <stdlib.h>
#include <string.h>

struct body {
	h2o_generator_t super;
	struct conns_body watch; /* in the loop's set while the body is in flight */
	struct conns *cs;
	const uint8_t *next; /* the first byte not yet handed to h2o */
	size_t left;
	struct shared_catalog *cat;
	void *owned;
};

/* Hand h2o the next slice; the last one ends the response. */
static void
body_next(struct body *b, h2o_req_t *req)
{
	size_t n = b->left < BODY_SLICE ? b->left : BODY_SLICE;
	h2o_iovec_t buf = h2o_iovec_init(b->next, n);

	b->next += n;
	b->left -= n;
	h2o_send(req, &buf, 1, b->left == 0 ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static void
body_proceed(h2o_generator_t *g, h2o_req_t *req)
{
	body_next(H2O_STRUCT_FROM_MEMBER(struct body, super, g), req);
}

/* The response was cut: nothing to do until the pool lets go of the body (body_dispose). */
static void
body_stop(h2o_generator_t *g, h2o_req_t *req)
{
	(void)g;
	(void)req;
}

/* Run when the request's pool is cleared, however the response ended. */
static void
body_dispose(void *p)
{
	struct body *b = p;

	conns_body_done(&b->watch);
	snapshot_catalog_release(b->cat);
	free(b->owned);
}

void
body_send(h2o_req_t *req, struct conns *cs, const struct body_src *src)
{
	static h2o_generator_t headers_only = {NULL, NULL};
	struct body *b;

	req->res.content_length = src->len;
	if (h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD"))) {
		/* What h2o_send_inline() does for HEAD, without copying the body first. */
		h2o_start_response(req, &headers_only);
		h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
		free(src->owned);
		return;
	}
	if (src->pooled) {
		h2o_iovec_t buf = h2o_iovec_init(src->p, src->len);
		h2o_start_response(req, &headers_only);
		h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
		return;
	}
	if (src->len <= BODY_INLINE_MAX || (src->cat == NULL && src->owned == NULL)) {
		h2o_send_inline(req, src->p, src->len);
		free(src->owned);
		return;
	}
	b = h2o_mem_alloc_shared(&req->pool, sizeof(*b), body_dispose); /* h2o aborts when out of memory */
	*b = (struct body){.super = {body_proceed, body_stop}, .cs = cs, .next = src->p,
	    .left = src->len, .cat = src->cat, .owned = src->owned};
	b->watch.req = req;
	if (b->cat != NULL)
		snapshot_catalog_hold(b->cat);
	conns_body_start(cs, &b->watch);
	h2o_start_response(req, &b->super);
	body_next(b, req);
}
