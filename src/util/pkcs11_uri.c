/*
 * pkcs11_uri.c - see pkcs11_uri.h.
 *
 * RFC 7512 puts pin-value in the query ("?a=b&pin-value=1234"); some tools
 * accept it among the path attributes (";pin-value=1234") too, so both are
 * looked at: the path's attributes are separated by ';', the query's (after
 * the first '?') by '&', and one is the PIN when its name is pin-value, in
 * any case.  Empty attributes are dropped on the way.
 */
#include "util/pkcs11_uri.h"

#include <string.h>
#include <strings.h>

#define PKCS11_URI_SCHEME "pkcs11:"
#define PKCS11_PIN_NAME "pin-value"

static int
is_pin(const char *attr, size_t len)
{
	size_t n = strlen(PKCS11_PIN_NAME);

	return len >= n && strncasecmp(attr, PKCS11_PIN_NAME, n) == 0 &&
	       (len == n || attr[n] == '=');
}

/* The attributes of p[0..len), separated by sep, but pin-value, appended to out at o. */
static size_t
copy_attrs(const char *p, size_t len, char sep, char *out, size_t o, int *removed)
{
	const char *end = p + len;
	int first = 1;

	while (p < end) {
		const char *q = memchr(p, sep, (size_t)(end - p));
		size_t n = q != NULL ? (size_t)(q - p) : (size_t)(end - p);

		if (is_pin(p, n)) {
			(*removed)++;
		} else if (n > 0) {
			if (!first)
				out[o++] = sep;
			memcpy(out + o, p, n);
			o += n;
			first = 0;
		}
		p += n + (q != NULL);
	}
	return o;
}

int
pkcs11_uri_strip_pin(const char *uri, char *out, size_t len)
{
	size_t scheme = strlen(PKCS11_URI_SCHEME), total = strlen(uri), o, q;
	const char *query;
	int removed = 0;

	if (total >= len)
		return -1;
	if (strncasecmp(uri, PKCS11_URI_SCHEME, scheme) != 0) {
		memcpy(out, uri, total + 1);
		return 0;
	}
	memcpy(out, uri, scheme);
	query = strchr(uri + scheme, '?');
	o = copy_attrs(uri + scheme, (size_t)((query != NULL ? query : uri + total) - uri) - scheme,
	    ';', out, scheme, &removed);
	if (query != NULL) {
		out[o] = '?';
		q = copy_attrs(query + 1, strlen(query + 1), '&', out, o + 1, &removed);
		o = q > o + 1 ? q : o; /* no '?' before an empty query */
	}
	out[o] = '\0';
	return removed;
}

int
pkcs11_uri_has_pin(const char *uri)
{
	char buf[4096];

	if (strlen(uri) >= sizeof(buf))
		return strcasestr(uri, PKCS11_PIN_NAME) != NULL; /* too long to parse: be safe */
	return pkcs11_uri_strip_pin(uri, buf, sizeof(buf)) > 0;
}
