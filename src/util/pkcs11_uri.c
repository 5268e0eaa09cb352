/*
 * pkcs11_uri.c - see pkcs11_uri.h.
 *
 * One walk over a URI's attributes (p11_walk_next) serves every reader:
 * after "pkcs11:" (any case: URI schemes are case-insensitive) the path's
 * attributes are separated by ';' up to the first '?', the query's after it
 * by '&'; empty attributes are skipped.  pkcs11_uri_parse() interprets them
 * through the table p11_attrs, pkcs11_uri_has_pin() looks for a PIN and
 * pkcs11_uri_strip_pin() copies all the others.
 *
 * What lancre reads: the token by token=, manufacturer=, serial=, model=,
 * slot-id=; the key by object= (CKA_LABEL) and/or id= (CKA_ID); type=private.
 * Query attributes:
 *   module-path=  the module (else [pkcs11] module, else PKCS11_MODULE_PATH);
 *   pin-source=file:PATH  where the signer reads the PIN (signer/pkcs11.c);
 *   pin-value=    refused: a PIN does not belong in a key reference, which
 *                 is stored, backed up and shown.  RFC 7512 puts it in the
 *                 query; some tools accept it among the path attributes and
 *                 in any case, so a PIN is any attribute named pin-value, in
 *                 any case, on either side of '?'.
 * Anything else is refused rather than ignored (an ignored slot-manufacturer=
 * could pick another token's key), and so is an attribute given twice (RFC
 * 7512 2.3: each at most once; which one would win is a guess).
 */
#include "util/pkcs11_uri.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PKCS11_URI_SCHEME "pkcs11:"
#define PKCS11_PIN_NAME "pin-value"

/* One attribute as written: text[0..len), its name text[0..name_len), its value after '='. */
struct p11_attr {
	const char *text, *val;
	size_t len, name_len, vlen;
	int has_eq; /* an '=' follows the name */
	int query;  /* after the '?' */
};

/* A cursor over a URI's attributes. */
struct p11_walk {
	const char *p, *qmark, *end; /* next attribute, the first '?' (or end), the NUL */
};

/* Start w on uri: 0 if uri is not a pkcs11: URI. */
static int
p11_walk_start(struct p11_walk *w, const char *uri)
{
	size_t scheme = strlen(PKCS11_URI_SCHEME);

	if (strncasecmp(uri, PKCS11_URI_SCHEME, scheme) != 0)
		return 0;
	w->p = uri + scheme;
	w->end = w->p + strlen(w->p);
	w->qmark = strchr(w->p, '?');
	if (w->qmark == NULL)
		w->qmark = w->end;
	return 1;
}

/* The next non-empty attribute into a: 0 when there is none left. */
static int
p11_walk_next(struct p11_walk *w, struct p11_attr *a)
{
	while (w->p < w->end) {
		int query = w->p > w->qmark;
		const char *stop = query ? w->end : w->qmark;
		const char *sep = memchr(w->p, query ? '&' : ';', (size_t)(stop - w->p));
		const char *aend = sep != NULL ? sep : stop;
		const char *eq;

		a->text = w->p;
		a->len = (size_t)(aend - w->p);
		a->query = query;
		w->p = aend + (aend < w->end); /* past the ';', '&' or '?' */
		if (a->len == 0)
			continue;
		eq = memchr(a->text, '=', a->len);
		a->has_eq = eq != NULL;
		a->name_len = eq != NULL ? (size_t)(eq - a->text) : a->len;
		a->val = eq != NULL ? eq + 1 : a->text + a->len;
		a->vlen = a->len - a->name_len - (eq != NULL);
		return 1;
	}
	return 0;
}

static int
p11_is_pin(const struct p11_attr *a)
{
	return a->name_len == strlen(PKCS11_PIN_NAME) &&
	       strncasecmp(a->text, PKCS11_PIN_NAME, a->name_len) == 0;
}

int
pkcs11_uri_has_pin(const char *uri)
{
	struct p11_walk w;
	struct p11_attr a;

	if (!p11_walk_start(&w, uri))
		return 0;
	while (p11_walk_next(&w, &a))
		if (p11_is_pin(&a))
			return 1;
	return 0;
}

int
pkcs11_uri_refuse_pin(const char *ref, struct err *e)
{
	if (ref != NULL && pkcs11_uri_has_pin(ref))
		return err_set(e, "a PKCS#11 URI with pin-value= is refused: the PIN would be "
				  "stored, backed up and shown; %s", PKCS11_URI_PIN_HINT);
	return 0;
}

int
pkcs11_uri_strip_pin(const char *uri, char *out, size_t len)
{
	size_t scheme = strlen(PKCS11_URI_SCHEME), total = strlen(uri), o = scheme;
	struct p11_walk w;
	struct p11_attr a;
	int removed = 0, path = 0, query = 0;

	if (total >= len)
		return -1;
	if (!p11_walk_start(&w, uri)) {
		memcpy(out, uri, total + 1);
		return 0;
	}
	memcpy(out, uri, scheme);
	while (p11_walk_next(&w, &a)) {
		if (p11_is_pin(&a)) {
			removed++;
			continue;
		}
		/* a separator before all but the first of each part, '?' before the query */
		if (a.query ? query++ > 0 : path++ > 0)
			out[o++] = a.query ? '&' : ';';
		else if (a.query)
			out[o++] = '?';
		memcpy(out + o, a.text, a.len);
		o += a.len;
	}
	out[o] = '\0';
	return removed;
}

/* --- reading into struct pkcs11_uri --------------------------------------- */

/* Percent-decode src[0..n) into out[len] (RFC 3986); *outlen bytes; refuses bad escapes. */
static int
pct_decode(const char *src, size_t n, char *out, size_t len, size_t *outlen, const char *what,
    struct err *e)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned int c = (unsigned char)src[i];
		if (c == '%') {
			if (i + 2 >= n || !isxdigit((unsigned char)src[i + 1]) ||
			    !isxdigit((unsigned char)src[i + 2]))
				return err_set(e, "PKCS#11 URI: a bad %%-escape in %s", what);
			char hex[3] = {src[i + 1], src[i + 2], '\0'};
			c = (unsigned int)strtoul(hex, NULL, 16);
			i += 2;
		}
		if (o + 1 >= len)
			return err_set(e, "PKCS#11 URI: %s too long", what);
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	else if (strlen(out) != o)
		return err_set(e, "PKCS#11 URI: %s holds a NUL byte", what);
	return 0;
}

/* The attributes lancre reads, where each goes, and how its value is read. */
enum p11_kind { P11_TEXT, P11_ID, P11_SLOT_ID, P11_TYPE, P11_PIN_SOURCE, P11_MODULE };
static const struct p11_known {
	const char *name;
	int query; /* a query attribute (after '?') */
	enum p11_kind kind;
	size_t off; /* P11_TEXT: where in struct pkcs11_uri (PKCS11_URI_TEXT_MAX bytes) */
} p11_attrs[] = {
    {"token", 0, P11_TEXT, offsetof(struct pkcs11_uri, token)},
    {"manufacturer", 0, P11_TEXT, offsetof(struct pkcs11_uri, manufacturer)},
    {"serial", 0, P11_TEXT, offsetof(struct pkcs11_uri, serial)},
    {"model", 0, P11_TEXT, offsetof(struct pkcs11_uri, model)},
    {"object", 0, P11_TEXT, offsetof(struct pkcs11_uri, object)},
    {"id", 0, P11_ID, 0},
    {"slot-id", 0, P11_SLOT_ID, 0},
    {"type", 0, P11_TYPE, 0},
    {"pin-source", 1, P11_PIN_SOURCE, 0},
    {"module-path", 1, P11_MODULE, 0},
};
#define P11_NATTRS (sizeof(p11_attrs) / sizeof(p11_attrs[0]))

/* pin-source's value: file:PATH or file:///PATH, an absolute path. */
static int
pin_source(const char *v, size_t n, struct pkcs11_uri *u, struct err *e)
{
	char src[PATH_MAX + 16];
	const char *p;

	if (pct_decode(v, n, src, sizeof(src), NULL, "pin-source", e) != 0)
		return -1;
	p = strncmp(src, "file://", 7) == 0 ? src + 7 : strncmp(src, "file:", 5) == 0 ? src + 5 : NULL;
	if (p == NULL || p[0] != '/')
		return err_set(e, "PKCS#11 URI: pin-source must be file:/absolute/path");
	if (strlen(p) >= sizeof(u->pin_file))
		return err_set(e, "PKCS#11 URI: pin-source too long");
	memcpy(u->pin_file, p, strlen(p) + 1);
	return 0;
}

/* slot-id's value: a decimal number. */
static int
slot_id(const char *v, size_t n, struct pkcs11_uri *u, struct err *e)
{
	char num[32], *end;

	if (pct_decode(v, n, num, sizeof(num), NULL, "slot-id", e) != 0)
		return -1;
	errno = 0;
	u->slot_id = strtol(num, &end, 10);
	if (num[0] < '0' || num[0] > '9' || *end != '\0' || errno != 0)
		return err_set(e, "PKCS#11 URI: slot-id must be a number");
	return 0;
}

/* The value of attribute k, v[0..n), into u. */
static int
p11_read(const struct p11_known *k, const char *v, size_t n, struct pkcs11_uri *u,
    struct err *e)
{
	switch (k->kind) {
	case P11_TEXT:
		return pct_decode(v, n, (char *)u + k->off, PKCS11_URI_TEXT_MAX, NULL, k->name, e);
	case P11_ID:
		return pct_decode(v, n, (char *)u->id, sizeof(u->id), &u->id_len, "id", e);
	case P11_SLOT_ID:
		return slot_id(v, n, u, e);
	case P11_TYPE:
		return n == 7 && strncmp(v, "private", 7) == 0
			   ? 0
			   : err_set(e, "PKCS#11 URI: type must be private (a signing key)");
	case P11_PIN_SOURCE:
		return pin_source(v, n, u, e);
	case P11_MODULE:
		if (pct_decode(v, n, u->module, sizeof(u->module), NULL, "module-path", e) != 0)
			return -1;
		return u->module[0] == '/'
			   ? 0
			   : err_set(e, "PKCS#11 URI: module-path must be an absolute path");
	}
	return err_set(e, "PKCS#11 URI: %s: unknown kind", k->name);
}

/* One attribute a into u; *seen has a bit per p11_attrs entry already read. */
static int
p11_attr(const struct p11_attr *a, struct pkcs11_uri *u, unsigned *seen, struct err *e)
{
	size_t i;

	for (i = 0; i < P11_NATTRS; i++)
		if (strlen(p11_attrs[i].name) == a->name_len &&
		    strncmp(a->text, p11_attrs[i].name, a->name_len) == 0)
			break;
	if (i == P11_NATTRS)
		return err_set(e, "PKCS#11 URI: unsupported %sattribute %.*s",
		    a->query ? "query " : "", (int)a->name_len, a->text);
	if (!a->has_eq)
		return err_set(e, "PKCS#11 URI: %s without a value (%s=...)", p11_attrs[i].name,
		    p11_attrs[i].name);
	if (p11_attrs[i].query != a->query)
		return err_set(e, "PKCS#11 URI: %s= belongs in the %s", p11_attrs[i].name,
		    p11_attrs[i].query ? "query part (after '?')" : "path part (before '?')");
	if (*seen & (1u << i))
		return err_set(e, "PKCS#11 URI: %s= given twice", p11_attrs[i].name);
	*seen |= 1u << i;
	return p11_read(&p11_attrs[i], a->val, a->vlen, u, e);
}

int
pkcs11_uri_parse(const char *uri, struct pkcs11_uri *u, struct err *e)
{
	struct p11_walk w;
	struct p11_attr a;
	unsigned seen = 0;

	memset(u, 0, sizeof(*u));
	u->slot_id = -1;
	if (!p11_walk_start(&w, uri))
		return err_set(e, "not a PKCS#11 URI");
	if (pkcs11_uri_refuse_pin(uri, e) != 0)
		return -1;
	while (p11_walk_next(&w, &a))
		if (p11_attr(&a, u, &seen, e) != 0)
			return -1;
	if (u->object[0] == '\0' && u->id_len == 0)
		return err_set(e, "PKCS#11 URI: name the key with object= or id=");
	return 0;
}
