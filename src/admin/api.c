/*
 * api.c - routing the admin API's requests; see api.h.
 *
 *   GET  /api/v1/status                          any valid token
 *   POST /api/v1/certificates                    scope intake
 *   GET  /api/v1/certificates/<issuer>/<serial>  scope read
 *   POST /api/v1/revocations                     scope revoke
 *
 * The route is found first (404, or 405 naming the method it takes), then
 * the token (401, 403), then the endpoint runs.  A query string is refused
 * (400) until one means something (?wait=served comes later): a client
 * asking to wait must not get an answer that did not.
 */
#include "admin/api.h"

#include <stdio.h>
#include <string.h>

#include "admin/auth.h"
#include "admin/endpoints.h"
#include "admin/reply.h"

enum route {
	R_NONE,
	R_STATUS,
	R_CERTS,
	R_CERT,
	R_REVOKE,
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

void
admin_api_handle(struct admin_api *api, const struct admin_request *rq,
    struct admin_response *rs)
{
	size_t plen = strlen(ADMIN_API_PREFIX);
	char issuer[STORE_ISSUER_NAME_MAX + 1], serial[3 * STORE_SERIAL_MAX + 3];
	struct admin_caller who;
	enum route r = R_NONE;
	struct err e;
	int status;

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
	if (rq->query != NULL) {
		admin_reply_error(rs, 400, "no query parameter is accepted yet");
		return;
	}
	if ((status = admin_auth(api->store, rq->authorization, rq->authorization_len,
		 defs[r].need, &who, &e)) != 0) {
		admin_reply_error(rs, status, "%s", e.msg);
		return;
	}
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
	case R_NONE:
		break;
	}
}
