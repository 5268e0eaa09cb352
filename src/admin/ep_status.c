/*
 * ep_status.c - GET /api/v1/status; see endpoints.h.  Any valid token may
 * ask: it says what lancre holds, not what is in it.
 */
#include "admin/endpoints.h"

#include <time.h>

#include "admin/reply.h"
#include "pki/cert.h"
#include "util/timefmt.h"

/* The issuer certificate's subject, one line (as `lancre status` prints it); "" unreadable. */
static json_t *
subject_json(const struct issuer_record *r)
{
	const unsigned char *p = r->cert_der;
	char line[256] = "";
	X509 *x = d2i_X509(NULL, &p, (long)r->cert_len);
	json_t *v;

	if (x != NULL)
		cert_name_line(X509_get_subject_name(x), line, sizeof(line));
	X509_free(x);
	v = json_string(line); /* NULL if not UTF-8 */
	return v != NULL ? v : json_string("");
}

json_t *
admin_time_json(int64_t t)
{
	char buf[TIMEFMT_LEN];

	timefmt_format(t, buf, sizeof(buf));
	return json_string(buf);
}

void
admin_ep_status(struct admin_api *api, const struct admin_caller *who,
    struct admin_response *rs)
{
	struct issuer_record *v = NULL;
	char scopes[64];
	struct err e;
	json_t *list, *o;
	size_t n = 0;

	if (store_issuer_list(api->store, &v, &n, &e) != 0) {
		admin_reply_error(rs, 500, "reading the issuers: %s", e.msg);
		return;
	}
	list = json_array();
	for (size_t i = 0; i < n; i++) {
		int64_t total = 0, revoked = 0;
		if (store_cert_count(api->store, v[i].id, &total, &revoked, &e) != 0) {
			issuer_records_free(v, n);
			json_decref(list);
			admin_reply_error(rs, 500, "counting certificates: %s", e.msg);
			return;
		}
		json_array_append_new(list, json_pack("{s:s, s:o, s:b, s:b, s:i, s:I, s:I}",
						"name", v[i].name, "subject", subject_json(&v[i]),
						"signs", v[i].has_key, "retired",
						v[i].retired_at != 0, "crl_shards", v[i].crl_shards,
						"certificates", (json_int_t)total, "revoked",
						(json_int_t)revoked));
	}
	issuer_records_free(v, n);
	o = json_pack("{s:s, s:o, s:o, s:s, s:s, s:o, s:I, s:I}", "status", "ok", "now",
	    admin_time_json((int64_t)time(NULL)), "started", admin_time_json(api->started),
	    "caller", who->actor, "scopes", admin_scopes_text(who->scopes, scopes, sizeof(scopes)),
	    "issuers", list, "requests", (json_int_t)api->requests, "changes",
	    (json_int_t)api->changes);
	admin_reply_json(rs, 200, o);
}
