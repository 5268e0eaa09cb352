/*
 * ep_cert_get.c - GET /api/v1/certificates/<issuer>/<serial>; see
 * endpoints.h.  What lancre knows (the record) and what it serves now: the
 * pre-signed OCSP response (SHA-1 CertID, what clients send) and whether it
 * reflects the record's last change, and the CRL shard that lists it (or
 * will, once built past the change).
 */
#include "admin/endpoints.h"

#include <string.h>

#include "admin/reply.h"
#include "pki/reason.h"
#include "pki/serial.h"
#include "util/timefmt.h"

json_t *
admin_cert_json(const char *issuer, const struct cert_record *c)
{
	char serial[SERIAL_HEX_MAX];
	json_t *o;

	serial_to_hex(c->serial, c->serial_len, serial, sizeof(serial));
	/* precert: only a precertificate is recorded for the serial yet (pki/precert.h). */
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:i, s:b}", "issuer", issuer, "serial",
	    serial, "status", c->status == CERT_REVOKED ? "revoked" : "good", "not_before",
	    admin_time_json(c->not_before), "not_after", admin_time_json(c->not_after),
	    "added_at", admin_time_json(c->added_at), "is_ca", c->is_ca, "crl_shard", c->shard,
	    "precert", c->precert != 0);
	if (o != NULL && c->status == CERT_REVOKED) {
		const char *r = reason_name(c->reason);
		json_object_set_new(o, "revoked_at", admin_time_json(c->revoked_at));
		json_object_set_new(o, "reason", json_string(r != NULL ? r : "unknown"));
	}
	return o;
}

/* Written as it is by json_dumps: printable ASCII but for '"' and '\\'. */
static int
plain(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

static void
put(struct admin_text *t, const char *s)
{
	admin_text_add(t, s, strlen(s));
}

/* v in decimal, as jansson writes an integer. */
static void
put_int(struct admin_text *t, int v)
{
	char buf[16], *p = buf + sizeof(buf);
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	admin_text_add(t, p, (size_t)(buf + sizeof(buf) - p));
}

static void
put_time(struct admin_text *t, int64_t v)
{
	char buf[TIMEFMT_LEN];

	timefmt_format(v, buf, sizeof(buf));
	put(t, buf);
}

int
admin_cert_text(struct admin_text *t, const char *issuer, const struct cert_record *c)
{
	char serial[SERIAL_HEX_MAX];

	if (!plain(issuer))
		return -1;
	/* The members and their order as admin_cert_json packs them; dates as admin_time_json. */
	serial_to_hex(c->serial, c->serial_len, serial, sizeof(serial));
	put(t, "{\"issuer\":\"");
	put(t, issuer);
	put(t, "\",\"serial\":\"");
	put(t, serial);
	put(t, c->status == CERT_REVOKED ? "\",\"status\":\"revoked" : "\",\"status\":\"good");
	put(t, "\",\"not_before\":\"");
	put_time(t, c->not_before);
	put(t, "\",\"not_after\":\"");
	put_time(t, c->not_after);
	put(t, "\",\"added_at\":\"");
	put_time(t, c->added_at);
	put(t, c->is_ca ? "\",\"is_ca\":true,\"crl_shard\":" : "\",\"is_ca\":false,\"crl_shard\":");
	put_int(t, c->shard);
	put(t, c->precert != 0 ? ",\"precert\":true" : ",\"precert\":false");
	if (c->status == CERT_REVOKED) {
		const char *r = reason_name(c->reason);
		put(t, ",\"revoked_at\":\"");
		put_time(t, c->revoked_at);
		put(t, "\",\"reason\":\"");
		put(t, r != NULL ? r : "unknown");
		put(t, "\"");
	}
	return 0;
}

struct ocsp_seen {
	int found;
	int64_t this_update, next_update, cert_seq;
};

static int
on_ocsp(void *arg, const struct ocsp_record *r)
{
	struct ocsp_seen *o = arg;

	o->found = 1;
	o->this_update = r->this_update;
	o->next_update = r->next_update;
	o->cert_seq = r->cert_seq;
	return 0;
}

/* The issuer named name: 1 with its id, 0 none, -1 store error. */
static int
issuer_id_of(struct store *s, const char *name, int64_t *id, struct err *e)
{
	struct issuer_record *v = NULL;
	size_t n = 0;
	int found = 0;

	if (store_issuer_list(s, &v, &n, e) != 0)
		return -1;
	for (size_t i = 0; i < n && !found; i++) {
		if (strcmp(v[i].name, name) == 0) {
			*id = v[i].id;
			found = 1;
		}
	}
	issuer_records_free(v, n);
	return found;
}

void
admin_ep_cert_get(struct admin_api *api, const char *issuer, const char *serial,
    struct admin_response *rs)
{
	uint8_t exact[STORE_SERIAL_MAX], canon[STORE_SERIAL_MAX];
	struct ocsp_seen seen = {0};
	struct cert_record c;
	struct crl_record crl;
	size_t elen, clen;
	int64_t id = 0;
	struct err e;
	json_t *o, *x;
	int rc;

	if (serial_parse_hex(serial, exact, &elen, canon, &clen, STORE_SERIAL_MAX, &e) != 0) {
		admin_reply_error(rs, 400, "%s", e.msg);
		return;
	}
	if ((rc = issuer_id_of(api->store, issuer, &id, &e)) <= 0) {
		if (rc < 0)
			admin_reply_error(rs, 500, "reading the issuers: %s", e.msg);
		else
			admin_reply_error(rs, 404, "no issuer named '%s'", issuer);
		return;
	}
	/* The exact bytes first, then the same number in DER's form (as `lancre status`). */
	rc = store_cert_get(api->store, id, exact, elen, &c, &e);
	if (rc == 0 && (clen != elen || memcmp(exact, canon, clen) != 0))
		rc = store_cert_get(api->store, id, canon, clen, &c, &e);
	if (rc <= 0) {
		if (rc < 0)
			admin_reply_error(rs, 500, "reading the certificate: %s", e.msg);
		else
			admin_reply_error(rs, 404, "%s has no certificate with serial %s", issuer,
			    serial);
		return;
	}
	if (store_ocsp_get(api->store, id, OCSP_HASH_SHA1, c.serial, c.serial_len, on_ocsp, &seen,
		&e) < 0 ||
	    (rc = store_crl_get(api->store, id, c.shard, &crl, &e)) < 0) {
		admin_reply_error(rs, 500, "reading what is served: %s", e.msg);
		return;
	}
	o = admin_cert_json(issuer, &c);
	x = seen.found ? json_pack("{s:b, s:o, s:o, s:b}", "signed", 1, "this_update",
			     admin_time_json(seen.this_update), "next_update",
			     admin_time_json(seen.next_update), "current",
			     seen.cert_seq >= c.change_seq)
		       : json_pack("{s:b}", "signed", 0);
	json_object_set_new(o, "ocsp", x);
	x = rc == 1 ? json_pack("{s:i, s:b, s:I, s:o, s:b}", "shard", c.shard, "published", 1,
			  "number", (json_int_t)crl.number, "this_update",
			  admin_time_json(crl.this_update), "current", crl.built_seq >= c.change_seq)
		    : json_pack("{s:i, s:b}", "shard", c.shard, "published", 0);
	json_object_set_new(o, "crl", x);
	admin_reply_json(rs, 200, o);
}
