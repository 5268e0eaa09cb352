/*
 * api.h - the admin API's requests and answers, apart from HTTP.
 *
 * httpd.c turns each HTTP request (HTTP/1.1 or h2, libh2o) into a struct
 * admin_request and sends back the struct admin_response this module makes:
 * the routes, the bearer-token check and the JSON answers live here, where
 * unit tests reach them without a socket.  Every answer is JSON, errors
 * included: {"error": "one line"}.  Requests are handled one at a time, on
 * the admin process's one event loop: a change is one store transaction,
 * and the API is for a CA's issuance host, not for the world.
 */
#ifndef LANCRE_ADMIN_API_H
#define LANCRE_ADMIN_API_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "store/store.h"

#define ADMIN_API_PREFIX "/api/v1/"

struct issuer_set;

struct admin_api {
	struct store *store; /* read-write */
	const struct conf *conf;
	const char *dir;     /* the data directory */
	const char *public_listen; /* HOST:PORT of the public server, asked by ?wait=served */
	int64_t started;
	int threads; /* the workers that check a bundle (cli_cpus(), set once); 0: 1 */
	unsigned long requests, changes; /* since start, for /api/v1/status */
	/*
	 * The issuers as intake checks against them, read again only when
	 * STORE_SEQ_ISSUER moves (admin_api_issuers): parsing every issuer's
	 * certificate and key was a third of a one-certificate request's CPU.
	 * Freed by admin_api_dispose.
	 */
	struct issuer_set *issuers;
	int64_t issuers_seq;
	/*
	 * Signature checks against those issuers' keys (pki/sigverify.h), set up
	 * with the set and dropped with it: each request set one up (16% of a
	 * one-certificate request's CPU).  NULL: each check the slow way.
	 */
	struct sigverify *verify;
};

struct admin_request {
	const char *method, *path; /* path: normalised, without the query */
	size_t method_len, path_len;
	const char *query; /* after '?', or NULL */
	size_t query_len;
	const char *authorization; /* the header's value, or NULL */
	size_t authorization_len;
	const uint8_t *body;
	size_t body_len;
	const char *peer; /* "127.0.0.1:5555", "[::1]:5555" */
	/* The verified client certificate's subject (RFC 2253, admin/tls.h), or NULL. */
	const char *tls_subject;
};

struct admin_wait;

struct admin_response {
	int status;
	char *body; /* JSON, malloc'd (admin_response_free) */
	size_t len;
	/* ?wait=served: no answer yet (status 0, no body); poll it (admin/wait.h) for one. */
	struct admin_wait *wait;
	/* The request's token was valid (its scope may still have been short: 403). */
	int authenticated;
	/*
	 * ?wait=served: set before the endpoint runs, a 200's JSON is kept in json
	 * as it is (admin_reply_json), not written out as text, for the wait to
	 * start from: a list of 100,000 was written (30 MB) and parsed back.
	 */
	int keep_json;
	struct json_t *json;
};

/* Answer rq into *rs (always set, status 500 if even that failed; or a wait, see above). */
void admin_api_handle(struct admin_api *api, const struct admin_request *rq,
    struct admin_response *rs);

void admin_response_free(struct admin_response *rs);

/* The issuers now (api->issuers, loaded again when they changed), or NULL with e. */
const struct issuer_set *admin_api_issuers(struct admin_api *api, struct err *e);

/* What api holds beyond its caller's fields (the issuers, their verifier). */
void admin_api_dispose(struct admin_api *api);

#endif
