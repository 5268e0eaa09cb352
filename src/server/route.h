/*
 * route.h - which published object a request names, from its Host and raw
 * path, in both URL forms of PRODUCT.md at once:
 *
 *   host form (domain from lancre.conf [urls] domain)
 *     <issuer>.o.<domain>  GET /<b64>, POST /, GET / (a short "this is OCSP" page)
 *     <issuer>.c.<domain>  GET /<n>.crl (shard n), GET / (full CRL), /<n>-delta.crl,
 *                          /delta.crl (deltas)
 *     <issuer>.i.<domain>  GET / (issuer certificate, DER)
 *     <domain>             GET / (about page)
 *   path form (any host)
 *     /ocsp/<b64>, POST /ocsp          /crl/<issuer>/<n>.crl, /crl/<issuer>.crl
 *     /crl/<issuer>.json               /issuer/<issuer> (DER), /issuer/<issuer>.pem
 *     /crl/<issuer>/<n>-delta.crl, /crl/<issuer>-delta.crl (deltas)
 *     /                                about page
 *
 * The path is the raw one (h2o's req->path), never normalised: an OCSP GET's
 * base64 may contain '/', '+', '%2F' and doubled slashes, all of which the
 * OCSP decoder must see as sent.  Routing is a pure function: no I/O.
 */
#ifndef LANCRE_SERVER_ROUTE_H
#define LANCRE_SERVER_ROUTE_H

#include <stddef.h>

#include "store/store.h"

enum route_kind {
	ROUTE_NOT_FOUND,
	ROUTE_OCSP,        /* GET with the request in ocsp/ocsp_len, or POST */
	ROUTE_OCSP_ROOT,   /* GET / on an OCSP host: say what this host is */
	ROUTE_CRL_SHARD,   /* issuer, shard */
	ROUTE_CRL_FULL,    /* issuer */
	ROUTE_CRL_LIST,    /* issuer: CCADB JSON list of shard URLs */
	ROUTE_CRL_DELTA,   /* issuer, shard (0: the full CRL's delta) */
	ROUTE_ISSUER_DER,  /* issuer */
	ROUTE_ISSUER_PEM,  /* issuer */
	ROUTE_ABOUT,       /* the about page */
	ROUTE_KINDS
};

struct route {
	enum route_kind kind;
	char issuer[STORE_ISSUER_NAME_MAX + 1]; /* "" when the route names none */
	int shard;
	const char *ocsp; /* the GET request part (points into the path) */
	size_t ocsp_len;
};

/*
 * Route a request.  host may include ":port"; domain is "" when host-form
 * URLs are not configured.  A query string is ignored, except inside an OCSP
 * GET, where '?' is not a base64 character and the decoder rejects it.
 */
void route_request(const char *host, size_t host_len, const char *path, size_t path_len,
    const char *domain, struct route *out);

#endif
