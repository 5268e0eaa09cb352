/*
 * req_bykey.c - decoding by-key revocation requests; see req_bykey.h.
 */
#include "admin/req_bykey.h"

#include <jansson.h>
#include <string.h>

#include "pki/spki.h"
#include "util/timefmt.h"

#define STR_MAX_DATE 64

/* A string member: NULL when absent (*present 0); refused when not a string, empty or too long. */
static const char *
member(json_t *o, const char *key, size_t max, int *present, size_t *len, struct err *e)
{
	json_t *v = json_object_get(o, key);

	*present = v != NULL;
	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		err_set(e, "\"%s\": expected a string", key);
		return NULL;
	}
	*len = json_string_length(v);
	if (*len == 0) {
		err_set(e, "\"%s\": empty", key);
		return NULL;
	}
	if (*len > max) {
		err_set(e, "\"%s\": longer than %zu bytes", key, max);
		return NULL;
	}
	return json_string_value(v);
}

/* No control characters in a value an error may quote (the date). */
static int
printable(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
decode_json(const uint8_t *body, size_t len, struct admin_bykey *out, struct err *e)
{
	static const char *const known[] = {"key", "spki_sha256", "date"};
	json_error_t je;
	json_t *root, *v;
	const char *k, *s;
	size_t n;
	int present, rc = -1;

	root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return err_set(e, "not valid JSON: line %d, column %d: %s", je.line, je.column,
		    je.text);
	if (!json_is_object(root)) {
		err_set(e, "expected an object {\"key\": ...} or {\"spki_sha256\": ...}");
		goto out;
	}
	json_object_foreach(root, k, v) {
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(k, known[i]) != 0; i++)
			;
		if (i == sizeof(known) / sizeof(known[0])) {
			n = strlen(k);
			if (n <= 32 && printable(k, n))
				err_set(e, "unknown member \"%s\" (known: key, spki_sha256, date)", k);
			else
				err_set(e, "an unknown member (known: key, spki_sha256, date)");
			goto out;
		}
	}
	if (json_object_get(root, "key") != NULL && json_object_get(root, "spki_sha256") != NULL) {
		err_set(e, "\"key\" and \"spki_sha256\": give one");
		goto out;
	}
	if ((s = member(root, "key", SPKI_INPUT_MAX, &present, &n, e)) != NULL) {
		if (spki_hash_input((const uint8_t *)s, n, out->spki, e) != 0) {
			err_prefix(e, "\"key\"");
			goto out;
		}
	} else if (present) {
		goto out;
	} else if ((s = member(root, "spki_sha256", SPKI_HEX_LEN + 1, &present, &n, e)) != NULL) {
		if (strlen(s) != n || spki_parse_hex(s, out->spki, e) != 0) {
			err_set(e, "\"spki_sha256\": a SHA-256 is %d hex digits", SPKI_HEX_LEN);
			goto out;
		}
	} else {
		if (!present)
			err_set(e, "\"key\" (a PEM public key or certificate) or \"spki_sha256\": "
				   "missing");
		goto out;
	}
	if ((s = member(root, "date", STR_MAX_DATE, &present, &n, e)) == NULL && present)
		goto out;
	if (s != NULL) {
		if (!printable(s, n) || strlen(s) != n) {
			err_set(e, "\"date\": control characters are not allowed");
			goto out;
		}
		if (timefmt_parse(s, &out->date, e) != 0) {
			err_prefix(e, "\"date\"");
			goto out;
		}
		out->has_date = 1;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
admin_bykey_decode(const uint8_t *body, size_t len, int64_t now, struct admin_bykey *out,
    struct err *e)
{
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	out->date = now;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i < len && body[i] == '{')
		return decode_json(body, len, out, e) != 0 ? (memset(out, 0, sizeof(*out)), -1) : 0;
	if (spki_hash_input(body, len, out->spki, e) != 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}
