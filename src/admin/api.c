/*
 * api.c - routing the admin API's requests; see api.h.
 *
 *   GET  /api/v1/status                          any valid token
 *   POST /api/v1/certificates                    scope intake
 *   GET  /api/v1/certificates/<issuer>/<serial>  scope read
 *   POST /api/v1/revocations                     scope revoke
 *   POST /api/v1/revocations/by-key              scope revoke
 *
 * The route is found first (404, or 405 naming the method it takes), then
 * the caller (401, 403): the bearer token when the request has an
 * Authorization header, else the client certificate of a mutual TLS
 * connection (its [admin] client line, auth.h); then the endpoint runs.  A query string is refused
 * (400) but on a change, where ?wait=served[&timeout=S] holds a committed
 * change's answer until the public server serves it (admin/wait.h): a
 * client asking for something unknown must not get an answer that did not.
 */
#include "admin/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/auth.h"
#include "admin/endpoints.h"
#include "admin/reply.h"
#include "admin/wait.h"
#include "pki/issuer.h"
#include "pki/sigverify.h"

enum route {
	R_NONE,
	R_STATUS,
	R_CERTS,
	R_CERT,
	R_REVOKE,
	R_BYKEY,
};

struct route_def {
	enum route r;
	const char *method;
	unsigned need; /* TOKEN_SCOPE_* */
};

static const struct route_def defs[] = {
    [R_STATUS] = {R_STATUS, "GET", 0},
    [R_CERTS] = {R_CERTS, "POST", TOKEN_SCOPE_INTAKE},
    [R_CERT] = {R_CERT, "GET", TOKEN_SCOPE_READ},
    [R_REVOKE] = {R_REVOKE, "POST", TOKEN_SCOPE_REVOKE},
    [R_BYKEY] = {R_BYKEY, "POST", TOKEN_SCOPE_REVOKE},
};

static int
is(const char *p, size_t n, const char *s)
{
	return n == strlen(s) && memcmp(p, s, n) == 0;
}

/*
 * Which route path (after the prefix) is; for R_CERT, its issuer and serial
 * into the buffers (a part too long or empty is no route).
 */
static enum route
route_of(const char *p, size_t n, char *issuer, size_t ilen, char *serial, size_t slen)
{
	const char *a, *b;

	if (is(p, n, "status"))
		return R_STATUS;
	if (is(p, n, "certificates"))
		return R_CERTS;
	if (is(p, n, "revocations"))
		return R_REVOKE;
	if (is(p, n, "revocations/by-key"))
		return R_BYKEY;
	if (n <= 13 || memcmp(p, "certificates/", 13) != 0)
		return R_NONE;
	a = p + 13;
	b = memchr(a, '/', n - 13);
	if (b == NULL || b == a || (size_t)(b - a) >= ilen || b + 1 == p + n ||
	    (size_t)(p + n - b - 1) >= slen || memchr(b + 1, '/', (size_t)(p + n - b - 1)) != NULL)
		return R_NONE;
	snprintf(issuer, ilen, "%.*s", (int)(b - a), a);
	snprintf(serial, slen, "%.*s", (int)(p + n - b - 1), b + 1);
	return R_CERT;
}

/* ?wait=served: the committed change's answer becomes a wait (rs->wait) for it. */
static void
hold(struct admin_api *api, struct admin_response *rs, int timeout_s)
{
	/* The answer as the endpoint made it (rs->keep_json: every 200 is kept as JSON). */
	json_t *answer = json_incref(rs->json);
	struct admin_wait *w;
	struct err e;

	if (answer == NULL) {
		admin_response_free(rs);
		admin_reply_error(rs, 500, "recorded, but its answer does not parse to wait on");
		return;
	}
	if ((w = admin_wait_new(api, answer, timeout_s, admin_now_ms(), &e)) == NULL) {
		admin_response_free(rs);
		admin_reply_error(rs, 500, "recorded, but cannot wait for it to be served: %s",
		    e.msg);
		return;
	}
	admin_response_free(rs);
	rs->status = 0;
	rs->wait = w;
}

void
admin_api_handle(struct admin_api *api, const struct admin_request *rq,
    struct admin_response *rs)
{
	size_t plen = strlen(ADMIN_API_PREFIX);
	char issuer[STORE_ISSUER_NAME_MAX + 1], serial[3 * STORE_SERIAL_MAX + 3];
	struct admin_caller who;
	enum route r = R_NONE;
	struct err e;
	int status, timeout_s = 0;

	memset(rs, 0, sizeof(*rs));
	api->requests++;
	if (rq->path_len >= plen && memcmp(rq->path, ADMIN_API_PREFIX, plen) == 0)
		r = route_of(rq->path + plen, rq->path_len - plen, issuer, sizeof(issuer), serial,
		    sizeof(serial));
	if (r == R_NONE) {
		admin_reply_error(rs, 404, "no such endpoint (see docs/OPERATOR.md, \"The admin "
					   "API\")");
		return;
	}
	if (!is(rq->method, rq->method_len, defs[r].method)) {
		admin_reply_error(rs, 405, "this endpoint takes %s", defs[r].method);
		return;
	}
	if (rq->query != NULL && r != R_CERTS && r != R_REVOKE && r != R_BYKEY) {
		admin_reply_error(rs, 400, "no query parameter is accepted here");
		return;
	}
	if (rq->query != NULL && admin_wait_query(rq->query, rq->query_len, &timeout_s, &e) != 0) {
		admin_reply_error(rs, 400, "%s", e.msg);
		return;
	}
	/* A bearer token decides when there is one; else a client certificate, if any. */
	if (rq->authorization == NULL && rq->tls_subject != NULL)
		status = admin_auth_client(api->conf, rq->tls_subject, defs[r].need, &who, &e);
	else
		status = admin_auth(api->store, rq->authorization, rq->authorization_len,
		    defs[r].need, &who, &e);
	/* Known: a valid token, or a listed client certificate (who names it even on 403). */
	rs->authenticated = who.actor[0] != '\0';
	if (status != 0) {
		admin_reply_error(rs, status, "%s", e.msg);
		return;
	}
	rs->keep_json = timeout_s > 0;
	switch (r) {
	case R_STATUS:
		admin_ep_status(api, &who, rs);
		break;
	case R_CERTS:
		admin_ep_cert_add(api, rq, &who, rs);
		break;
	case R_CERT:
		admin_ep_cert_get(api, issuer, serial, rs);
		break;
	case R_REVOKE:
		admin_ep_revoke(api, rq, &who, rs);
		break;
	case R_BYKEY:
		admin_ep_bykey(api, rq, &who, rs);
		break;
	case R_NONE:
		break;
	}
	if (timeout_s > 0 && rs->status == 200)
		hold(api, rs, timeout_s);
}

const struct issuer_set *
admin_api_issuers(struct admin_api *api, struct err *e)
{
	struct issuer_set *set;
	int64_t seq;

	/* The counter first: a change after it makes the next request load again. */
	if (store_seq(api->store, STORE_SEQ_ISSUER, &seq, e) != 0)
		return NULL;
	if (api->issuers != NULL && api->issuers_seq == seq)
		return api->issuers;
	if ((set = calloc(1, sizeof(*set))) == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (issuer_set_load(api->store, set, e) != 0) {
		free(set);
		return NULL;
	}
	issuer_set_prepare_tables(set); /* kept until the issuers change: bundles pay it once */
	admin_api_dispose(api);
	api->issuers = set;
	api->issuers_seq = seq;
	api->verify = sigverify_new(); /* its keys are this set's: dropped with it */
	return set;
}

void
admin_api_dispose(struct admin_api *api)
{
	if (api->issuers != NULL) {
		issuer_set_free(api->issuers);
		free(api->issuers);
	}
	api->issuers = NULL;
	sigverify_free(api->verify);
	api->verify = NULL;
}
