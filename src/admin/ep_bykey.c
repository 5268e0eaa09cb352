/*
 * ep_bykey.c - POST /api/v1/revocations/by-key; see endpoints.h.
 *
 * Every certificate of a key (admin/req_bykey.h says how the key is given)
 * revoked keyCompromise by intake/bykey.h's rules, in one transaction with
 * its audit rows.  The answer lists each certificate of the key with what
 * happened to it ("revoked", "changed": it was revoked for another reason
 * or later, "unchanged": it was revoked keyCompromise already), in the
 * shape of POST /api/v1/revocations' list, so that ?wait=served waits for
 * them the same way; and "unkeyed", the certificates recorded before lancre
 * kept key hashes, which the search could not see: when it is not 0, the
 * answer says so in "warning", as the search was incomplete.  A key with no
 * certificate is a 200 with an empty list: nothing to revoke is not an
 * error, and asking again after a revocation is the same request.
 */
#include "admin/endpoints.h"

#include <time.h>

#include "admin/reply.h"
#include "admin/req_bykey.h"
#include "intake/bykey.h"
#include "pki/spki.h"

static const char *const result_name[] = {
    [BYKEY_REVOKED] = "revoked",
    [BYKEY_CHANGED] = "changed",
    [BYKEY_UNCHANGED] = "unchanged",
};

/* The name of the issuer of that id ("?": none, which the store does not allow). */
static const char *
issuer_name(const struct issuer_set *set, int64_t id)
{
	const struct issuer *is = issuer_set_by_id(set, id);

	return is != NULL ? is->rec.name : "?";
}

static json_t *
answer(const struct bykey *b, const uint8_t spki[STORE_SPKI_HASH_LEN], const struct issuer_set *set)
{
	char hex[SPKI_HEX_LEN + 1];
	json_t *list = json_array(), *o;
	size_t count[3] = {0, 0, 0};

	spki_hex(spki, hex);
	for (size_t i = 0; i < b->n && list != NULL; i++) {
		const struct bykey_hit *h = &b->v[i];

		o = admin_cert_json(issuer_name(set, h->rec.issuer_id), &h->rec);
		json_object_set_new(o, "result", json_string(result_name[h->result]));
		json_array_append_new(list, o);
		count[h->result]++;
	}
	o = json_pack("{s:s, s:o, s:I, s:I, s:I, s:I}", "spki_sha256", hex, "revocations", list,
	    "revoked", (json_int_t)count[BYKEY_REVOKED], "changed",
	    (json_int_t)count[BYKEY_CHANGED], "unchanged", (json_int_t)count[BYKEY_UNCHANGED],
	    "unkeyed", (json_int_t)b->unkeyed);
	if (o != NULL && b->unkeyed > 0)
		json_object_set_new(o, "warning",
		    json_sprintf("%lld certificates were recorded before lancre kept key hashes "
				 "(SQLite schema 10, PostgreSQL migration 6) and could not be "
				 "searched: revoke any of this key among them by serial",
			(long long)b->unkeyed));
	return o;
}

void
admin_ep_bykey(struct admin_api *api, const struct admin_request *rq,
    const struct admin_caller *who, struct admin_response *rs)
{
	const struct issuer_set *set = NULL;
	struct admin_bykey req;
	struct bykey b = {0};
	int64_t now = (int64_t)time(NULL);
	struct err e;
	int status = 0, rc;

	if (admin_bykey_decode(rq->body, rq->body_len, now, &req, &e) != 0) {
		admin_reply_error(rs, 400, "%s", e.msg);
		return;
	}
	if ((set = admin_api_issuers(api, &e)) == NULL || store_begin(api->store, &e) != 0) {
		status = 500;
	} else {
		rc = bykey_revoke(api->store, req.spki, req.date, now, who->actor, rq->peer, &b, &e);
		if (rc != 0)
			status = rc == -2 ? 422 : 500; /* the rules refused it, or the store failed */
		if (status == 0 && store_commit(api->store, &e) != 0)
			status = 500;
		if (status != 0)
			store_rollback(api->store, NULL);
	}
	if (status != 0) {
		admin_reply_error(rs, status, "%s (nothing was revoked)", e.msg);
	} else {
		api->changes += b.changed;
		admin_reply_json(rs, 200, answer(&b, req.spki, set));
	}
	bykey_free(&b);
}
