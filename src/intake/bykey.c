/*
 * bykey.c - see bykey.h.
 *
 * The key's certificates are read first, whole, then revoked: the walk
 * (a cursor on PostgreSQL, a statement on SQLite) is closed before the
 * first write to the rows it reads.
 */
#include "intake/bykey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake/revoke.h"
#include "pki/reason.h"
#include "pki/serial.h"
#include "pki/spki.h"

/* {"by_key": hex, and revoke_detail()'s members}: room for both. */
#define BYKEY_DETAIL_MAX (REVOKE_DETAIL_MAX + SPKI_HEX_LEN + 16)

static int
collect(void *arg, const struct cert_record *c, struct err *e)
{
	struct bykey *b = arg;
	struct bykey_hit *v;

	if ((b->n & (b->n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow at each power of two */
		v = realloc(b->v, (b->n ? 2 * b->n : 1) * sizeof(*v));
		if (v == NULL)
			return err_set(e, "out of memory");
		b->v = v;
	}
	memset(&b->v[b->n], 0, sizeof(b->v[b->n]));
	b->v[b->n++].rec = *c;
	return 0;
}

/* One certificate of the key, decided and written; its audit event's detail into detail. */
static int
revoke_hit(struct store *s, struct bykey_hit *h, int64_t date, int64_t now,
    const char *hex, char *detail, size_t dlen, struct err *e)
{
	struct cert_record cur = h->rec;
	char inner[REVOKE_DETAIL_MAX], serial[SERIAL_HEX_MAX];
	int64_t at, d = date;
	int reason;

	/* The same key certified after date: revoked from its notBefore (bykey.h). */
	if (cur.not_before > d && cur.not_before <= now)
		d = cur.not_before;
	h->was_at = cur.revoked_at;
	h->was_reason = cur.reason;
	if (cur.status == CERT_REVOKED && cur.reason == REASON_KEY_COMPROMISE &&
	    cur.revoked_at <= d) {
		h->result = BYKEY_UNCHANGED;
		return 0;
	}
	if (revoke_decide(&cur, d, REASON_KEY_COMPROMISE, now, &at, &reason, e) != 0) {
		serial_to_hex(cur.serial, cur.serial_len, serial, sizeof(serial));
		err_prefix(e, "serial %s", serial);
		return -2;
	}
	if (store_cert_revoke(s, cur.id, at, reason, e) != 0)
		return -1;
	h->result = cur.status == CERT_REVOKED ? BYKEY_CHANGED : BYKEY_REVOKED;
	revoke_detail(&cur, at, reason, inner, sizeof(inner));
	snprintf(detail, dlen, "{\"by_key\":\"%s\",%s", hex, inner + 1);
	h->rec.status = CERT_REVOKED;
	h->rec.revoked_at = at;
	h->rec.reason = reason;
	return 0;
}

int
bykey_revoke(struct store *s, const uint8_t spki[STORE_SPKI_HASH_LEN], int64_t date,
    int64_t now, const char *actor, const char *origin, struct bykey *out, struct err *e)
{
	char hex[SPKI_HEX_LEN + 1];
	char (*detail)[BYKEY_DETAIL_MAX] = NULL;
	struct audit_event *ev = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (revoke_check_date(date, now, e) != 0)
		return -2;
	spki_hex(spki, hex);
	if (store_cert_by_spki(s, spki, collect, out, &out->unkeyed, e) != 0)
		return -1;
	if (out->n == 0)
		return 0;
	ev = calloc(out->n, sizeof(*ev));
	detail = calloc(out->n, sizeof(*detail));
	if (ev == NULL || detail == NULL) {
		err_set(e, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < out->n; i++) {
		struct bykey_hit *h = &out->v[i];

		if ((rc = revoke_hit(s, h, date, now, hex, detail[out->changed],
			 sizeof(detail[0]), e)) != 0)
			goto done;
		if (h->result == BYKEY_UNCHANGED)
			continue;
		ev[out->changed] = (struct audit_event){.at = now, .actor = actor,
		    .origin = origin != NULL ? origin : "", .action = "cert.revoke",
		    .issuer_id = h->rec.issuer_id, .serial = h->rec.serial,
		    .serial_len = h->rec.serial_len, .detail = detail[out->changed]};
		out->changed++;
	}
	rc = out->changed > 0 && actor != NULL ? store_audit_append_many(s, ev, out->changed, e)
					       : 0;
	rc = rc < 0 ? -1 : rc;
done:
	free(ev);
	free(detail);
	return rc;
}

void
bykey_free(struct bykey *b)
{
	free(b->v);
	memset(b, 0, sizeof(*b));
}
