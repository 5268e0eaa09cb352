/*
 * req_revoke.c - decoding revocation requests with libjansson; see
 * req_revoke.h.
 *
 * Strings are checked before they reach the parsers of the CLI's arguments
 * (serial_parse_hex, reason_parse, timefmt_parse) and before any is quoted in
 * an error: bounded in length and free of control characters, so an error
 * stays one line of reasonable size whatever the client sent.
 */
#include "admin/req_revoke.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "pki/reason.h"
#include "pki/serial.h"
#include "util/timefmt.h"

/* The longest value of each member worth parsing: a 64-octet serial with ':' and "0x". */
#define STR_MAX_SERIAL (3 * STORE_SERIAL_MAX + 2)
#define STR_MAX_REASON 32
#define STR_MAX_DATE 64

/* Where an element is, for its errors: "" for a lone object, "revocation 3: " in a list. */
struct where {
	char at[40];
};

/*
 * The string member key of o, or NULL when absent (*present 0).  Refused: a
 * value that is not a string, longer than max bytes, or holding a control
 * character.
 */
static const char *
member_str(json_t *o, const char *key, size_t max, int *present, const struct where *w,
    struct err *e)
{
	json_t *v = json_object_get(o, key);
	const char *s;
	size_t len;

	*present = v != NULL;
	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		err_set(e, "%s\"%s\": expected a string", w->at, key);
		return NULL;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	if (len == 0) {
		err_set(e, "%s\"%s\": empty", w->at, key);
		return NULL;
	}
	if (len > max) {
		err_set(e, "%s\"%s\": longer than %zu bytes", w->at, key, max);
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			err_set(e, "%s\"%s\": control characters are not allowed", w->at, key);
			return NULL;
		}
	}
	return s;
}

/* One revocation object into r. */
static int
decode_one(json_t *o, int64_t now, struct admin_revocation *r, const struct where *w,
    struct err *e)
{
	static const char *const known[] = {"issuer", "serial", "reason", "date"};
	const char *key, *s;
	json_t *v;
	int present;

	if (!json_is_object(o))
		return err_set(e, "%sexpected an object {\"issuer\": ..., \"serial\": ...}", w->at);
	json_object_foreach(o, key, v) {
		size_t i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(key, known[i]) != 0; i++)
			;
		if (i == sizeof(known) / sizeof(known[0])) {
			/* Keys are quoted only when printable and short (a key may be anything). */
			size_t n = strlen(key);
			int printable = n <= 32;
			for (size_t j = 0; printable && j < n; j++)
				printable = (unsigned char)key[j] >= 0x20 && key[j] != 0x7f;
			if (printable)
				return err_set(e, "%sunknown member \"%s\" (known: issuer, serial, "
						  "reason, date)", w->at, key);
			return err_set(e, "%san unknown member (known: issuer, serial, reason, "
					  "date)", w->at);
		}
	}
	memset(r, 0, sizeof(*r));
	if ((s = member_str(o, "issuer", STORE_ISSUER_NAME_MAX, &present, w, e)) == NULL)
		return present ? -1 : err_set(e, "%s\"issuer\": missing", w->at);
	memcpy(r->issuer, s, strlen(s) + 1);
	if ((s = member_str(o, "serial", STR_MAX_SERIAL, &present, w, e)) == NULL)
		return present ? -1 : err_set(e, "%s\"serial\": missing", w->at);
	if (serial_parse_hex(s, r->exact, &r->exact_len, r->canon, &r->canon_len,
		STORE_SERIAL_MAX, e) != 0)
		return err_prefix(e, "%s\"serial\"", w->at);
	r->reason = REASON_UNSPECIFIED;
	if ((s = member_str(o, "reason", STR_MAX_REASON, &present, w, e)) == NULL && present)
		return -1;
	if (s != NULL && reason_parse(s, &r->reason, e) != 0)
		return err_prefix(e, "%s\"reason\"", w->at);
	r->date = now;
	if ((s = member_str(o, "date", STR_MAX_DATE, &present, w, e)) == NULL && present)
		return -1;
	if (s != NULL && timefmt_parse(s, &r->date, e) != 0)
		return err_prefix(e, "%s\"date\"", w->at);
	r->has_date = s != NULL;
	return 0;
}

int
admin_revocations_decode(const uint8_t *body, size_t len, int64_t now,
    struct admin_revocations *out, struct err *e)
{
	struct where w = {""};
	json_error_t je;
	json_t *root;
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* Duplicate members refused: which of two "reason"s counts is not a guess to make. */
	root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return err_set(e, "not valid JSON: line %d, column %d: %s", je.line, je.column,
		    je.text);
	out->list = json_is_array(root);
	n = out->list ? json_array_size(root) : 1;
	if (out->list && n == 0) {
		err_set(e, "an empty list: nothing to revoke");
		goto out;
	}
	if (n > ADMIN_REVOCATIONS_MAX) {
		err_set(e, "%zu revocations in one request; at most %d", n, ADMIN_REVOCATIONS_MAX);
		goto out;
	}
	if ((out->v = calloc(n, sizeof(*out->v))) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (out->list)
			snprintf(w.at, sizeof(w.at), "revocation %zu: ", i + 1);
		if (decode_one(out->list ? json_array_get(root, i) : root, now, &out->v[i], &w,
			e) != 0)
			goto out;
	}
	out->n = n;
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		admin_revocations_free(out);
	return rc;
}

void
admin_revocations_free(struct admin_revocations *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}
