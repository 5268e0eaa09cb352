/*
 * ep_revoke.c - POST /api/v1/revocations; see endpoints.h.
 *
 * One revocation or a list (admin/req_revoke.h), decided in one
 * transaction by the rules `lancre revoke` follows (intake/revoke.h): one
 * refused, none is recorded.  Idempotent: a certificate already revoked
 * with the same reason (and the same date, if one is given) is
 * "unchanged", not an error; a changed reason or date follows revoke.h
 * (only keyCompromise may replace a reason, and move the date earlier),
 * refused with 409 otherwise.  The certificate must be recorded (POST
 * /api/v1/certificates first): 404 otherwise.  Each change is a
 * "cert.revoke" row of the audit trail, in the same transaction.
 */
#include "admin/endpoints.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/reply.h"
#include "admin/req_revoke.h"
#include "intake/revoke.h"
#include "pki/reason.h"
#include "pki/serial.h"

struct revoke_run {
	struct admin_api *api;
	const struct admin_request *rq;
	const struct admin_caller *who;
	struct issuer_record *issuers;
	size_t nissuers;
	int64_t now;
	struct audit_event *ev;
	char **details; /* the events' detail JSON, freed after the append */
	uint8_t (*serials)[STORE_SERIAL_MAX]; /* the events' serials */
	size_t nev;
	/* The certificates changed so far (named twice, revoked once): their ids in an
	 * open-addressing set of ndone_cap slots (0 is free: ids start at 1), so that a list
	 * of 100,000 is not 100,000 scans of what came before (5e9 comparisons). */
	int64_t *done;
	size_t ndone_cap;
	json_t *out;
};

static const struct issuer_record *
issuer_named(const struct revoke_run *run, const char *name)
{
	for (size_t i = 0; i < run->nissuers; i++)
		if (strcmp(run->issuers[i].name, name) == 0)
			return &run->issuers[i];
	return NULL;
}

/* Is id in the set of changed certificates?  With add, it is put there when it is not. */
static int
done_has(struct revoke_run *run, int64_t id, int add)
{
	size_t mask = run->ndone_cap - 1, i = (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ull) & mask;

	for (; run->done[i] != 0; i = (i + 1) & mask)
		if (run->done[i] == id)
			return 1;
	if (add)
		run->done[i] = id;
	return 0;
}

/* The certificate r names, into *c: 0, or the status with e. */
static int
find(struct revoke_run *run, const struct admin_revocation *r, struct cert_record *c,
    struct err *e)
{
	const struct issuer_record *is = issuer_named(run, r->issuer);
	char serial[SERIAL_HEX_MAX];
	int rc;

	if (is == NULL) {
		err_set(e, "no issuer named '%s'", r->issuer);
		return 404;
	}
	rc = store_cert_get(run->api->store, is->id, r->exact, r->exact_len, c, e);
	if (rc == 0 && (r->canon_len != r->exact_len ||
			   memcmp(r->exact, r->canon, r->canon_len) != 0))
		rc = store_cert_get(run->api->store, is->id, r->canon, r->canon_len, c, e);
	if (rc < 0)
		return 500;
	if (rc == 0) {
		serial_to_hex(r->exact, r->exact_len, serial, sizeof(serial));
		err_set(e, "%s has no certificate with serial %s (record it first: POST "
			   "/api/v1/certificates)", r->issuer, serial);
		return 404;
	}
	return 0;
}

/* One revocation, decided and written in the open transaction: 0 or the status with e. */
static int
revoke_one(struct revoke_run *run, const struct admin_revocation *r, struct err *e)
{
	struct cert_record c;
	const char *result = "revoked";
	int64_t at;
	int reason, status;
	char detail[256];
	json_t *o;

	if ((status = find(run, r, &c, e)) != 0)
		return status;
	if (done_has(run, c.id, 0)) { /* named twice (01 and 0x01 too): one revocation */
		char serial[SERIAL_HEX_MAX];
		serial_to_hex(c.serial, c.serial_len, serial, sizeof(serial));
		json_array_append_new(run->out, json_pack("{s:s, s:s, s:s}", "issuer", r->issuer,
						     "serial", serial, "result", "duplicate"));
		return 0;
	}
	if (c.status == CERT_REVOKED && c.reason == r->reason &&
	    (!r->has_date || r->date == c.revoked_at)) {
		result = "unchanged"; /* the same revocation again: nothing to do */
	} else {
		if (revoke_apply(run->api->store, &c, r->date, r->reason, run->now, &at, &reason,
			e) != 0) {
			char serial[SERIAL_HEX_MAX];
			serial_to_hex(c.serial, c.serial_len, serial, sizeof(serial));
			err_prefix(e, "%s serial %s", r->issuer, serial);
			return c.status == CERT_REVOKED ? 409 : 422;
		}
		if (c.status == CERT_REVOKED)
			result = "changed";
		/* The CLI's words (revoke.h): a changed revocation keeps what it "was". */
		revoke_detail(&c, at, reason, detail, sizeof(detail));
		run->details[run->nev] = strdup(detail);
		c.status = CERT_REVOKED;
		c.revoked_at = at;
		c.reason = reason;
		done_has(run, c.id, 1);
		memcpy(run->serials[run->nev], c.serial, c.serial_len);
		run->ev[run->nev] = (struct audit_event){.at = run->now, .actor = run->who->actor,
		    .origin = run->rq->peer, .action = "cert.revoke", .issuer_id = c.issuer_id,
		    .serial = run->serials[run->nev], .serial_len = c.serial_len,
		    .detail = run->details[run->nev]};
		run->nev++;
	}
	o = admin_cert_json(r->issuer, &c);
	json_object_set_new(o, "result", json_string(result));
	json_array_append_new(run->out, o);
	return 0;
}

static void
run_free(struct revoke_run *run)
{
	for (size_t i = 0; i < run->nev; i++)
		free(run->details[i]);
	free(run->serials);
	free(run->ev);
	free(run->details);
	free(run->done);
	issuer_records_free(run->issuers, run->nissuers);
}

void
admin_ep_revoke(struct admin_api *api, const struct admin_request *rq,
    const struct admin_caller *who, struct admin_response *rs)
{
	struct revoke_run run = {.api = api, .rq = rq, .who = who, .now = (int64_t)time(NULL)};
	struct admin_revocations reqs;
	struct err e;
	int status = 0;
	size_t i;

	if (admin_revocations_decode(rq->body, rq->body_len, run.now, &reqs, &e) != 0) {
		admin_reply_error(rs, 400, "%s", e.msg);
		return;
	}
	run.ev = calloc(reqs.n, sizeof(*run.ev));
	run.details = calloc(reqs.n, sizeof(*run.details));
	for (run.ndone_cap = 16; run.ndone_cap < 2 * reqs.n; run.ndone_cap *= 2)
		; /* at most half full */
	run.done = calloc(run.ndone_cap, sizeof(*run.done));
	run.serials = calloc(reqs.n, sizeof(*run.serials));
	run.out = json_array();
	if (run.ev == NULL || run.details == NULL || run.done == NULL || run.serials == NULL ||
	    run.out == NULL) {
		status = 500;
		err_set(&e, "out of memory");
	} else if (store_issuer_list(api->store, &run.issuers, &run.nissuers, &e) != 0 ||
		   store_begin(api->store, &e) != 0) {
		status = 500;
	} else {
		for (i = 0; i < reqs.n && status == 0; i++) {
			if ((status = revoke_one(&run, &reqs.v[i], &e)) != 0 && reqs.list)
				err_prefix(&e, "revocation %zu", i + 1);
		}
		if (status == 0 && run.nev > 0 &&
		    store_audit_append_many(api->store, run.ev, run.nev, &e) != 0)
			status = 500;
		if (status == 0 && store_commit(api->store, &e) != 0)
			status = 500;
		if (status != 0)
			store_rollback(api->store, NULL);
	}
	if (status != 0) {
		admin_reply_error(rs, status, "%s%s", e.msg,
		    reqs.n > 1 ? " (nothing was revoked)" : "");
	} else {
		api->changes += run.nev;
		admin_reply_json(rs, 200, reqs.list ? json_pack("{s:O}", "revocations", run.out)
						    : json_incref(json_array_get(run.out, 0)));
	}
	json_decref(run.out);
	run_free(&run);
	admin_revocations_free(&reqs);
}
