/*
 * wait.c - ?wait=served; see wait.h.
 */
#include "admin/wait.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/reply.h"
#include "admin/served.h"
#include "pki/serial.h"

/* One certificate of the change. */
struct wait_cert {
	size_t issuer; /* index into the wait's issuers */
	size_t group;  /* its CRL scope (a revoked one) */
	struct cert_record c;
	int ocsp_ok, crl_ok; /* crl_ok starts 1 for a good certificate */
};

/* The CRLs of one issuer's shard, that must come to list the change's revocations there. */
struct wait_group {
	size_t issuer;
	int shard;
	size_t left; /* its certificates not listed yet */
	/* The ETag of the last base and delta CRL read: the same one again is a 304, no parse. */
	char etag[2][ADMIN_SERVED_ETAG_MAX];
};

struct admin_wait {
	json_t *answer;
	struct issuer_record *issuers;
	struct admin_served_issuer *ids; /* each issuer's CertID half, hashed on first use */
	int *id_ready;
	size_t nissuers;
	struct wait_cert *v; /* in the order the signer signs: (change_seq, id) */
	size_t n;
	size_t ocsp_from; /* v[0..ocsp_from) answer as they should */
	size_t ocsp_left, crl_left;
	struct wait_group *g;
	size_t ng;
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
	free(w->ids);
	free(w->id_ready);
	free(w->v);
	free(w->g);
	free(w);
}

/* One certificate object of the answer into the wait (a "duplicate" is named elsewhere). */
static int add(struct admin_api *api, struct admin_wait *w, json_t *o, struct err *e)
{
	const char *issuer = json_string_value(json_object_get(o, "issuer"));
	const char *hex = json_string_value(json_object_get(o, "serial"));
	const char *result = json_string_value(json_object_get(o, "result"));
	uint8_t exact[STORE_SERIAL_MAX], canon[STORE_SERIAL_MAX];
	size_t elen, clen, i, k;
	struct wait_cert *c = &w->v[w->n];
	int rc;

	if (issuer == NULL || hex == NULL || (result != NULL && strcmp(result, "duplicate") == 0))
		return 0;
	for (i = 0; i < w->nissuers && strcmp(w->issuers[i].name, issuer) != 0; i++)
		;
	if (i == w->nissuers)
		return err_set(e, "issuer '%s' is gone", issuer);
	if (!w->id_ready[i]) {
		if (admin_served_issuer_init(w->issuers[i].cert_der, w->issuers[i].cert_len,
		                             &w->ids[i], e) != 0)
			return err_prefix(e, "issuer '%s'", issuer);
		w->id_ready[i] = 1;
	}
	if (serial_parse_hex(hex, exact, &elen, canon, &clen, STORE_SERIAL_MAX, e) != 0)
		return -1;
	/* What is recorded now (committed): what the server must come to answer. */
	if ((rc = store_cert_get(api->store, w->issuers[i].id, exact, elen, &c->c, e)) <= 0)
		return rc < 0 ? -1 : err_set(e, "%s serial %s is gone", issuer, hex);
	c->issuer = i;
	c->ocsp_ok = 0;
	c->crl_ok = c->c.status != CERT_REVOKED;
	if (!c->crl_ok) {
		for (k = 0; k < w->ng && (w->g[k].issuer != i || w->g[k].shard != c->c.shard); k++)
			;
		if (k == w->ng) {
			struct wait_group *ng = realloc(w->g, (w->ng + 1) * sizeof(*ng));
			if (ng == NULL)
				return err_set(e, "out of memory");
			w->g = ng;
			memset(&w->g[k], 0, sizeof(w->g[k]));
			w->g[k].issuer = i;
			w->g[k].shard = c->c.shard;
			w->ng++;
		}
		c->group = k;
		w->g[k].left++;
		w->crl_left++;
	}
	w->ocsp_left++;
	w->n++;
	return 0;
}

/* The signer's order: by change_seq, then id (so the first not served tells about the rest). */
static int by_seq(const void *a, const void *b)
{
	const struct cert_record *x = &((const struct wait_cert *)a)->c;
	const struct cert_record *y = &((const struct wait_cert *)b)->c;

	if (x->change_seq != y->change_seq)
		return x->change_seq < y->change_seq ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
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
	w->v = calloc(list != NULL ? json_array_size(list) + 1 : 1, sizeof(*w->v));
	w->ids = calloc(w->nissuers + 1, sizeof(*w->ids));
	w->id_ready = calloc(w->nissuers + 1, sizeof(*w->id_ready));
	if (w->v == NULL || w->ids == NULL || w->id_ready == NULL) {
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
	qsort(w->v, w->n, sizeof(*w->v), by_seq);
	return w;
fail:
	admin_wait_free(w);
	return NULL;
}

static struct admin_served_want want_of(const struct admin_wait *w, const struct wait_cert *c)
{
	return (struct admin_served_want){.issuer = &w->ids[c->issuer],
	                                  .serial = c->c.serial,
	                                  .serial_len = c->c.serial_len,
	                                  .revoked = c->c.status == CERT_REVOKED,
	                                  .reason = c->c.reason,
	                                  .revoked_at = c->c.revoked_at};
}

static int seq_cb(void *arg, const struct ocsp_record *r)
{
	*(int64_t *)arg = r->cert_seq;
	return 0;
}

/*
 * The CRLs: each scope's base (and delta) CRL read once a look, when the
 * store says one was built since the change (a hint: what counts is what
 * the server serves), with If-None-Match, so an unchanged one costs a 304.
 */
static void crl_look(struct admin_api *api, struct admin_wait *w, struct admin_public_conn *conn,
                     int64_t budget_end)
{
	char path[STORE_ISSUER_NAME_MAX + 64];
	struct crl_record crl;
	struct err e;

	for (size_t k = 0; k < w->ng && admin_now_ms() < budget_end; k++) {
		struct wait_group *g = &w->g[k];
		const struct issuer_record *is = &w->issuers[g->issuer];
		int64_t need = INT64_MAX;

		if (g->left == 0)
			continue;
		for (size_t i = 0; i < w->n; i++)
			if (!w->v[i].crl_ok && w->v[i].group == k && w->v[i].c.change_seq < need)
				need = w->v[i].c.change_seq;
		for (int delta = 0; g->left > 0 && delta <= api->conf->crl_delta; delta++) {
			X509_CRL *x = NULL;
			int rc;

			if (store_crl_get(api->store, is->id, crl_key(g->shard, delta), &crl, &e) != 1 ||
			    crl.built_seq < need)
				continue;
			snprintf(path, sizeof(path), "/crl/%s/%d%s.crl", is->name, g->shard,
			         delta ? "-delta" : "");
			if ((rc = admin_served_crl_fetch(conn, path, g->etag[delta], &x, &e)) < 0)
				snprintf(w->why, sizeof(w->why), "%s", e.msg);
			if (rc != 1)
				continue;
			for (size_t i = 0; i < w->n && g->left > 0; i++) {
				struct wait_cert *c = &w->v[i];
				struct admin_served_want want;
				if (c->crl_ok || c->group != k)
					continue;
				want = want_of(w, c);
				if (admin_served_crl_lists(x, &want)) {
					c->crl_ok = 1;
					g->left--;
					w->crl_left--;
				}
			}
			X509_CRL_free(x);
		}
	}
}

#define ADMIN_WAIT_OCSP_CHUNK 128 /* requests pipelined at once */

/*
 * OCSP: the certificates not served yet, in the signer's order, asked in
 * pipelined chunks.  The store is asked only about each chunk's first one
 * (nothing signed for it past the change: the rest are likelier still
 * unsigned, ask no more this look), and a chunk the server answers none
 * of as wanted ends the look too: the signer has not got there yet.
 */
static void ocsp_look(struct admin_api *api, struct admin_wait *w, struct admin_public_conn *conn,
                      int64_t budget_end)
{
	struct admin_served_want want[ADMIN_WAIT_OCSP_CHUNK];
	size_t idx[ADMIN_WAIT_OCSP_CHUNK], from;
	struct err e;

	while (w->ocsp_from < w->n && w->v[w->ocsp_from].ocsp_ok)
		w->ocsp_from++;
	from = w->ocsp_from;
	while (w->ocsp_left > 0 && from < w->n && admin_now_ms() < budget_end) {
		int ok[ADMIN_WAIT_OCSP_CHUNK] = {0};
		size_t k = 0;
		int64_t seq = -1;
		int rc;

		for (; from < w->n && k < ADMIN_WAIT_OCSP_CHUNK; from++) {
			if (w->v[from].ocsp_ok)
				continue;
			want[k] = want_of(w, &w->v[from]);
			idx[k++] = from;
		}
		if (k == 0)
			break;
		{
			const struct wait_cert *c = &w->v[idx[0]];
			if (store_ocsp_get(api->store, w->issuers[c->issuer].id, OCSP_HASH_SHA1,
			                   c->c.serial, c->c.serial_len, seq_cb, &seq, &e) < 0 ||
			    seq < c->c.change_seq)
				break;
		}
		rc = admin_served_ocsp_many(conn, want, k, ok, &e);
		for (size_t i = 0; i < k; i++) {
			if (ok[i]) {
				w->v[idx[i]].ocsp_ok = 1;
				w->ocsp_left--;
			}
		}
		if (rc < 0)
			snprintf(w->why, sizeof(w->why), "%s", e.msg);
		if (rc <= 0)
			break;
	}
}

/* 504: the change committed, not (all) served yet; why says why the answer is given now. */
static void not_served(struct admin_wait *w, int64_t waited, const char *why,
                       struct admin_response *rs)
{
	json_t *left, *o;

	left = json_array();
	for (size_t k = 0; k < w->n; k++) {
		const struct wait_cert *c = &w->v[k];
		char hex[SERIAL_HEX_MAX];
		if (c->ocsp_ok && c->crl_ok)
			continue;
		serial_to_hex(c->c.serial, c->c.serial_len, hex, sizeof(hex));
		json_array_append_new(left, json_pack("{s:s, s:s, s:b, s:b}", "issuer",
		                                      w->issuers[c->issuer].name, "serial", hex,
		                                      "ocsp", c->ocsp_ok, "crl", c->crl_ok));
	}
	o = json_pack("{s:s, s:I, s:o, s:O}", "error", why, "waited_ms", (json_int_t)waited,
	              "not_served", left, "answer", w->answer);
	/* The last failure asking the public server, if any: why it may never come. */
	if (o != NULL && w->why[0] != '\0')
		json_object_set_new(o, "asking", json_string(w->why));
	admin_reply_json(rs, 504, o);
}

int admin_wait_poll(struct admin_api *api, struct admin_wait *w, int64_t now_ms,
                    struct admin_response *rs)
{
	int64_t waited = now_ms - w->started_ms;
	struct admin_public_conn conn;

	/*
	 * The asking is blocking and on the admin loop, so a look stops after
	 * ADMIN_WAIT_TICK_BUDGET_MS and the next tick goes on: the loop's other
	 * requests wait at most that (plus one exchange), never for a whole list
	 * of 100,000 served at once (review of session 13).  A CRL is read once
	 * a look for all the certificates it should list, not once each: a list
	 * of 10,000 had taken minutes.
	 */
	int64_t budget_end = admin_now_ms() + ADMIN_WAIT_TICK_BUDGET_MS;

	admin_public_conn_init(&conn, &w->pub);
	if (w->crl_left > 0)
		crl_look(api, w, &conn, budget_end);
	if (w->ocsp_left > 0)
		ocsp_look(api, w, &conn, budget_end);
	admin_public_conn_close(&conn);
	if (w->ocsp_left == 0 && w->crl_left == 0) {
		json_object_set_new(w->answer, "served",
		                    json_pack("{s:I}", "waited_ms", (json_int_t)waited));
		admin_reply_json(rs, 200, json_incref(w->answer));
		return 1;
	}
	if (waited < (int64_t)w->timeout_s * 1000)
		return 0;
	not_served(w, waited, "not served within the timeout; the change is recorded (nothing undone)",
	           rs);
	return 1;
}

void admin_wait_stop(struct admin_wait *w, int64_t now_ms, struct admin_response *rs)
{
	not_served(w, now_ms - w->started_ms,
	           "the admin process is stopping (lancre run reloaded its TLS files, or stops) "
	           "before this was served; the change is recorded (nothing undone): ask for its "
	           "state (GET /api/v1/certificates/ISSUER/SERIAL) or send it again (the same "
	           "change twice is one)",
	           rs);
}

int64_t admin_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
