/*
 * route.c - see route.h.
 */
#include "server/route.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A path segment (or host label) usable as an issuer name; see issuer_name_check(). */
static int
issuer_label(const char *s, size_t n, char *out)
{
	if (n == 0 || n > STORE_ISSUER_NAME_MAX || s[0] == '-' || s[n - 1] == '-')
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a'); /* host names are case-insensitive */
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return -1;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

static int shard_file(const char *s, size_t n);

/* "<n>-delta.crl": n as for shard_file(), or 0. */
static int
delta_file(const char *s, size_t n)
{
	char buf[24];

	if (n < 11 || n - 10 + 4 >= sizeof(buf) || memcmp(s + n - 10, "-delta.crl", 10) != 0)
		return 0;
	memcpy(buf, s, n - 10);
	memcpy(buf + (n - 10), ".crl", 4); /* (n - 10) first: buf + n alone may point past buf */
	return shard_file(buf, n - 6);
}

/* "<n>.crl" with n a positive decimal without leading zeros. */
static int
shard_file(const char *s, size_t n)
{
	char num[12];
	long v;

	if (n < 5 || n - 4 >= sizeof(num) || memcmp(s + n - 4, ".crl", 4) != 0 || s[0] < '1' ||
	    s[0] > '9')
		return 0;
	memcpy(num, s, n - 4);
	num[n - 4] = '\0';
	for (size_t i = 0; i < n - 4; i++) {
		if (num[i] < '0' || num[i] > '9')
			return 0;
	}
	v = strtol(num, NULL, 10);
	return v > 0 && v <= 1000000 ? (int)v : 0;
}

static int
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* The part of path before any query string. */
static size_t
path_only(const char *path, size_t len)
{
	const char *q = memchr(path, '?', len);

	return q != NULL ? (size_t)(q - path) : len;
}

/* Host form: <issuer>.<o|c|i>.<domain>.  Returns the service letter, or 0. */
static char
host_service(const char *host, size_t n, const char *domain, char *issuer)
{
	size_t dl = strlen(domain);
	const char *dot;

	if (dl == 0 || n <= dl + 3 || host[n - dl - 1] != '.' ||
	    strncasecmp(host + n - dl, domain, dl) != 0)
		return 0;
	n -= dl + 1; /* "<issuer>.<x>" */
	if (n < 3 || host[n - 2] != '.')
		return 0;
	dot = host + n - 2;
	if (issuer_label(host, (size_t)(dot - host), issuer) != 0)
		return 0;
	switch (host[n - 1]) {
	case 'o':
	case 'O':
		return 'o';
	case 'c':
	case 'C':
		return 'c';
	case 'i':
	case 'I':
		return 'i';
	}
	return 0;
}

static void
route_host(char svc, const char *path, size_t len, struct route *r)
{
	size_t plen = path_only(path, len);

	switch (svc) {
	case 'o':
		if (plen == 1) {
			r->kind = len == 1 ? ROUTE_OCSP_ROOT : ROUTE_OCSP;
		} else {
			r->kind = ROUTE_OCSP;
			r->ocsp = path + 1;
			r->ocsp_len = len - 1;
		}
		return;
	case 'c':
		if (plen == 1)
			r->kind = ROUTE_CRL_FULL;
		else if (plen == 10 && memcmp(path, "/delta.crl", 10) == 0)
			r->kind = ROUTE_CRL_DELTA; /* shard 0: the full CRL's delta */
		else if ((r->shard = delta_file(path + 1, plen - 1)) > 0)
			r->kind = ROUTE_CRL_DELTA;
		else if ((r->shard = shard_file(path + 1, plen - 1)) > 0)
			r->kind = ROUTE_CRL_SHARD;
		return;
	case 'i':
		if (plen == 1)
			r->kind = ROUTE_ISSUER_DER;
		return;
	}
}

static void
route_path(const char *path, size_t len, struct route *r)
{
	size_t plen = path_only(path, len);
	const char *seg, *slash;
	size_t n;

	if (plen == 1) {
		r->kind = ROUTE_ABOUT;
	} else if (len >= 5 && memcmp(path, "/ocsp", 5) == 0 && (len == 5 || path[5] == '/')) {
		r->kind = ROUTE_OCSP;
		if (len > 6) {
			r->ocsp = path + 6;
			r->ocsp_len = len - 6;
		}
	} else if (plen > 5 && memcmp(path, "/crl/", 5) == 0) {
		seg = path + 5;
		n = plen - 5;
		slash = memchr(seg, '/', n);
		if (slash != NULL) {
			size_t rest = n - (size_t)(slash - seg) - 1;
			if (issuer_label(seg, (size_t)(slash - seg), r->issuer) != 0)
				;
			else if ((r->shard = delta_file(slash + 1, rest)) > 0)
				r->kind = ROUTE_CRL_DELTA;
			else if ((r->shard = shard_file(slash + 1, rest)) > 0)
				r->kind = ROUTE_CRL_SHARD;
		} else if (ends_with(seg, n, "-delta.crl") &&
			   issuer_label(seg, n - 10, r->issuer) == 0) {
			r->kind = ROUTE_CRL_DELTA;
		} else if (ends_with(seg, n, ".crl") && issuer_label(seg, n - 4, r->issuer) == 0) {
			r->kind = ROUTE_CRL_FULL;
		} else if (ends_with(seg, n, ".json") && issuer_label(seg, n - 5, r->issuer) == 0) {
			r->kind = ROUTE_CRL_LIST;
		}
	} else if (plen > 8 && memcmp(path, "/issuer/", 8) == 0) {
		seg = path + 8;
		n = plen - 8;
		if (ends_with(seg, n, ".pem") && issuer_label(seg, n - 4, r->issuer) == 0)
			r->kind = ROUTE_ISSUER_PEM;
		else if (ends_with(seg, n, ".der") && issuer_label(seg, n - 4, r->issuer) == 0)
			r->kind = ROUTE_ISSUER_DER;
		else if (issuer_label(seg, n, r->issuer) == 0)
			r->kind = ROUTE_ISSUER_DER;
	}
	if (r->kind == ROUTE_NOT_FOUND)
		r->issuer[0] = '\0';
}

void
route_request(const char *host, size_t host_len, const char *path, size_t path_len,
    const char *domain, struct route *out)
{
	char issuer[STORE_ISSUER_NAME_MAX + 1];
	const char *colon;
	size_t dl = strlen(domain);
	char svc;

	memset(out, 0, sizeof(*out));
	if (path_len == 0 || path[0] != '/')
		return;
	/* Strip ":port" (not from an IPv6 literal, whose port follows ']'). */
	colon = host != NULL ? memrchr(host, ':', host_len) : NULL;
	if (colon != NULL && memchr(colon, ']', host_len - (size_t)(colon - host)) == NULL &&
	    (host[0] != '[' || (colon > host && colon[-1] == ']')))
		host_len = (size_t)(colon - host);
	svc = host != NULL ? host_service(host, host_len, domain, issuer) : 0;
	if (svc != 0) {
		memcpy(out->issuer, issuer, sizeof(issuer));
		route_host(svc, path, path_len, out);
		if (out->kind == ROUTE_NOT_FOUND)
			out->issuer[0] = '\0';
		return;
	}
	if (dl > 0 && host != NULL && host_len == dl && strncasecmp(host, domain, dl) == 0 &&
	    path_only(path, path_len) == 1) {
		out->kind = ROUTE_ABOUT;
		return;
	}
	route_path(path, path_len, out);
}
