/*
 * wait.c - ?wait=served; see wait.h.
 */
#include "admin/wait.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/reply.h"
#include "admin/served.h"
#include "pki/serial.h"

struct wait_cert {
	size_t issuer; /* index into the wait's issuers */
	struct cert_record c;
	int ocsp_ok, crl_ok; /* crl_ok starts 1 for a good certificate */
};

struct admin_wait {
	json_t *answer;
	struct issuer_record *issuers;
	size_t nissuers;
	struct wait_cert *v;
	size_t n, next; /* v[0..next) are served */
	int timeout_s;
	int64_t started_ms;
	struct admin_public pub;
	char why[ERR_MSG_MAX]; /* the last error asking the server, for a 504 */
};

int admin_wait_query(const char *q, size_t len, int *timeout_s, struct err *e)
{
	int wait = 0;
	long t = ADMIN_WAIT_DEFAULT_S;

	*timeout_s = 0;
	while (q != NULL && len > 0) {
		const char *amp = memchr(q, '&', len);
		size_t n = amp != NULL ? (size_t)(amp - q) : len;
		char one[64], *end;

		if (n >= sizeof(one))
			return err_set(e, "an unknown query parameter (wait=served and timeout=S "
			                  "are known)");
		memcpy(one, q, n);
		one[n] = '\0';
		if (strcmp(one, "wait=served") == 0) {
			wait = 1;
		} else if (strncmp(one, "timeout=", 8) == 0) {
			t = strtol(one + 8, &end, 10);
			if (one[8] == '\0' || *end != '\0' || t < 1)
				return err_set(e, "timeout= takes whole seconds, 1 or more");
			if (t > ADMIN_WAIT_MAX_S)
				t = ADMIN_WAIT_MAX_S;
		} else {
			return err_set(e,
			               "an unknown query parameter '%s' (wait=served and "
			               "timeout=S are known)",
			               one);
		}
		q += n + (amp != NULL);
		len -= n + (amp != NULL);
	}
	if (!wait && t != ADMIN_WAIT_DEFAULT_S)
		return err_set(e, "timeout= goes with wait=served");
	*timeout_s = wait ? (int)t : 0;
	return 0;
}

void admin_wait_free(struct admin_wait *w)
{
	if (w == NULL)
		return;
	json_decref(w->answer);
	issuer_records_free(w->issuers, w->nissuers);
	free(w->v);
	free(w);
}

/* One certificate object of the answer into the wait (a "duplicate" is named elsewhere). */
static int add(struct admin_api *api, struct admin_wait *w, json_t *o, struct err *e)
{
	const char *issuer = json_string_value(json_object_get(o, "issuer"));
	const char *hex = json_string_value(json_object_get(o, "serial"));
	const char *result = json_string_value(json_object_get(o, "result"));
	uint8_t exact[STORE_SERIAL_MAX], canon[STORE_SERIAL_MAX];
	size_t elen, clen, i;
	struct wait_cert *c = &w->v[w->n];
	int rc;

	if (issuer == NULL || hex == NULL || (result != NULL && strcmp(result, "duplicate") == 0))
		return 0;
	for (i = 0; i < w->nissuers && strcmp(w->issuers[i].name, issuer) != 0; i++)
		;
	if (i == w->nissuers)
		return err_set(e, "issuer '%s' is gone", issuer);
	if (serial_parse_hex(hex, exact, &elen, canon, &clen, STORE_SERIAL_MAX, e) != 0)
		return -1;
	/* What is recorded now (committed): what the server must come to answer. */
	if ((rc = store_cert_get(api->store, w->issuers[i].id, exact, elen, &c->c, e)) <= 0)
		return rc < 0 ? -1 : err_set(e, "%s serial %s is gone", issuer, hex);
	c->issuer = i;
	c->ocsp_ok = 0;
	c->crl_ok = c->c.status != CERT_REVOKED;
	w->n++;
	return 0;
}

struct admin_wait *admin_wait_new(struct admin_api *api, json_t *answer, int timeout_s,
                                  int64_t now_ms, struct err *e)
{
	struct admin_wait *w = calloc(1, sizeof(*w));
	json_t *list = json_object_get(answer, "certificates"), *o;
	size_t i;

	if (list == NULL)
		list = json_object_get(answer, "revocations");
	if (w == NULL) {
		json_decref(answer);
		err_set(e, "out of memory");
		return NULL;
	}
	w->answer = answer;
	w->timeout_s = timeout_s;
	w->started_ms = now_ms;
	if (admin_public_parse(api->public_listen, &w->pub, e) != 0 ||
	    store_issuer_list(api->store, &w->issuers, &w->nissuers, e) != 0)
		goto fail;
	if ((w->v = calloc(list != NULL ? json_array_size(list) + 1 : 1, sizeof(*w->v))) == NULL) {
		err_set(e, "out of memory");
		goto fail;
	}
	if (list == NULL) {
		if (add(api, w, answer, e) != 0)
			goto fail;
	} else {
		json_array_foreach(list, i, o)
		{
			if (add(api, w, o, e) != 0)
				goto fail;
		}
	}
	return w;
fail:
	admin_wait_free(w);
	return NULL;
}

static int seq_cb(void *arg, const struct ocsp_record *r)
{
	*(int64_t *)arg = r->cert_seq;
	return 0;
}

/* Is c served now?  1 yes, 0 not yet (why in w->why when asking failed). */
static int served(struct admin_api *api, struct admin_wait *w, struct wait_cert *c)
{
	const struct issuer_record *is = &w->issuers[c->issuer];
	struct admin_served_want want = {.issuer_der = is->cert_der,
	                                 .issuer_len = is->cert_len,
	                                 .issuer = is->name,
	                                 .serial = c->c.serial,
	                                 .serial_len = c->c.serial_len,
	                                 .revoked = c->c.status == CERT_REVOKED,
	                                 .reason = c->c.reason,
	                                 .revoked_at = c->c.revoked_at};
	struct crl_record crl;
	char path[STORE_ISSUER_NAME_MAX + 64];
	struct err e;
	int rc;

	/* The store first, as a hint only: nothing signed past the change yet, no need to ask. */
	if (!c->ocsp_ok) {
		int64_t seq = -1;
		if (store_ocsp_get(api->store, is->id, OCSP_HASH_SHA1, c->c.serial, c->c.serial_len,
		                   seq_cb, &seq, &e) < 0 ||
		    seq < c->c.change_seq)
			return 0;
		if ((rc = admin_served_ocsp(&w->pub, &want, &e)) < 0)
			snprintf(w->why, sizeof(w->why), "%s", e.msg);
		if (rc != 1)
			return 0;
		c->ocsp_ok = 1;
	}
	for (int delta = 0; !c->crl_ok && delta <= api->conf->crl_delta; delta++) {
		if (store_crl_get(api->store, is->id, crl_key(c->c.shard, delta), &crl, &e) != 1 ||
		    crl.built_seq < c->c.change_seq)
			continue;
		snprintf(path, sizeof(path), "/crl/%s/%d%s.crl", is->name, c->c.shard,
		         delta ? "-delta" : "");
		if ((rc = admin_served_crl(&w->pub, path, &want, &e)) < 0)
			snprintf(w->why, sizeof(w->why), "%s", e.msg);
		if (rc == 1)
			c->crl_ok = 1;
	}
	return c->crl_ok;
}

int admin_wait_poll(struct admin_api *api, struct admin_wait *w, int64_t now_ms,
                    struct admin_response *rs)
{
	int64_t waited = now_ms - w->started_ms;
	json_t *left, *o;

	/*
	 * In order, one not yet served at a time: a bundle of 10,000 asks the store
	 * once a tick.  The asking is blocking and on the admin loop, so a tick
	 * stops after ADMIN_WAIT_TICK_BUDGET_MS and the next goes on: the loop's
	 * other requests wait at most that (plus one exchange), never for a whole
	 * list of 10,000 served at once (review of session 13).
	 */
	int64_t budget_end = admin_now_ms() + ADMIN_WAIT_TICK_BUDGET_MS;

	while (w->next < w->n && served(api, w, &w->v[w->next])) {
		w->next++;
		if (admin_now_ms() >= budget_end)
			break;
	}
	if (w->next == w->n) {
		json_object_set_new(w->answer, "served",
		                    json_pack("{s:I}", "waited_ms", (json_int_t)waited));
		admin_reply_json(rs, 200, json_incref(w->answer));
		return 1;
	}
	if (waited < (int64_t)w->timeout_s * 1000)
		return 0;
	left = json_array();
	for (size_t k = w->next; k < w->n; k++) {
		const struct wait_cert *c = &w->v[k];
		char hex[SERIAL_HEX_MAX];
		if (c->ocsp_ok && c->crl_ok)
			continue;
		serial_to_hex(c->c.serial, c->c.serial_len, hex, sizeof(hex));
		json_array_append_new(left, json_pack("{s:s, s:s, s:b, s:b}", "issuer",
		                                      w->issuers[c->issuer].name, "serial", hex,
		                                      "ocsp", c->ocsp_ok, "crl", c->crl_ok));
	}
	o = json_pack("{s:s, s:I, s:o, s:O}", "error",
	              "not served within the timeout; the change is recorded (nothing undone)",
	              "waited_ms", (json_int_t)waited, "not_served", left, "answer", w->answer);
	/* The last failure asking the public server, if any: why it may never come. */
	if (o != NULL && w->why[0] != '\0')
		json_object_set_new(o, "asking", json_string(w->why));
	admin_reply_json(rs, 504, o);
	return 1;
}

int64_t admin_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
