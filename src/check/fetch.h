/*
 * fetch.h - the HTTP GETs and POSTs `lancre check` makes, with libcurl.
 *
 * Everything a check fetches comes from URLs inside a certificate someone
 * else wrote, so every fetch is bounded: a connect timeout, a total timeout,
 * a size cap per kind of object (an OCSP response, a certificate, a CRL), at
 * most CHECK_FETCH_REDIRECTS redirects, and only http and https, for the
 * first URL and every redirect (no file://, no gopher://).  A body larger
 * than its cap is abandoned as soon as it passes the cap, not after.
 *
 * check_fetch() keeps the body; check_fetch_stream() hands it to a sink as it
 * arrives and keeps nothing (CRLs: crl_stream.h), so memory does not grow
 * with the body.  Either way only a 200 answer's body is delivered: an error
 * page is never parsed.
 */
#ifndef LANCRE_CHECK_FETCH_H
#define LANCRE_CHECK_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CHECK_FETCH_OCSP_MAX (64 * 1024)          /* an OCSP response */
#define CHECK_FETCH_CERT_MAX (64 * 1024)          /* an issuer certificate */
#define CHECK_FETCH_CRL_MAX (100L * 1024 * 1024)  /* a CRL */
#define CHECK_FETCH_REDIRECTS 3
#define CHECK_FETCH_CONNECT_TIMEOUT_MS 5000L
#define CHECK_FETCH_TIMEOUT_MS 20000L             /* OCSP and certificates */
#define CHECK_FETCH_CRL_TIMEOUT_MS 120000L        /* 100 MB on a slow link */

struct check_fetch {
	uint8_t *body; /* malloc'd; check_fetch_free() */
	size_t len;
	long http_status;     /* 0 when no HTTP answer came */
	int redirects;
	/* The final answer's Cache-Control (cache.h): max-age in seconds or -1 when
	 * none; no_store 1 for no-store or no-cache. */
	long max_age;
	int no_store;
};

/*
 * GET url (post == NULL) or POST post (post_len bytes, with content_type),
 * keeping at most max bytes of body.  0 with a 200 answer in *out, else -1
 * and e says why (timeout, refused, over the cap, HTTP status); *out holds
 * what is known (http_status) either way and must be freed.
 */
int check_fetch(const char *url, const uint8_t *post, size_t post_len, const char *content_type,
    size_t max, long timeout_ms, struct check_fetch *out, struct err *e);

void check_fetch_free(struct check_fetch *f); /* accepts a zeroed struct */

/*
 * A sink for check_fetch_stream: 0 to go on, -1 to stop the fetch, with
 * the reason in e (the fetch then fails with that reason).
 */
typedef int (*check_fetch_sink)(void *arg, const uint8_t *data, size_t len, struct err *e);

/*
 * GET url, giving the body of a 200 answer to sink as it arrives, at most
 * max bytes in all; out->len counts them and out->body stays NULL.  0 when
 * the whole body was delivered, else -1 and e says why.
 */
int check_fetch_stream(const char *url, size_t max, long timeout_ms, check_fetch_sink sink,
    void *arg, struct check_fetch *out, struct err *e);

#endif
