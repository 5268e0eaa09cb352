/*
 * revoked.c - defence in depth in the signer (issue 16): it does not sign
 * `good` for a certificate it has signed `revoked`, nor for a row that does
 * not come from a certificate, whatever the store now says.
 *
 * The store refuses an un-revoke itself (a trigger), but someone who may
 * write the file can drop a trigger.  So the signer keeps its own record of
 * what it signed revoked, with the key references (store_revoked_signed_*:
 * private/keys.db, which only the signer's user may read or write), loaded
 * once into a set in memory: open addressing over a 64-bit FNV-1a of the
 * issuer id and serial, 8 bytes a certificate, one probe per certificate
 * signed good.  A collision could only refuse a good response (logged), never
 * sign a wrong one.  A refusal is told once per certificate (the pass that
 * meets it again is silent) through signer_events.on_refused and counted in
 * signer_stats.refused and, by reason, in the store for the server's
 * /metrics (signer_refusals_save); the certificate is left unsigned, never
 * signed good.
 */
#include "signer/signer_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

#define REVSET_INITIAL 1024

uint64_t
signer_revset_key(int64_t issuer_id, const uint8_t *serial, size_t len)
{
	uint8_t id[8];
	uint64_t h;

	for (int i = 0; i < 8; i++)
		id[i] = (uint8_t)((uint64_t)issuer_id >> (8 * i));
	h = hash_fnv1a(hash_fnv1a(HASH_FNV_OFFSET, id, sizeof(id)), serial, len);
	return h != 0 ? h : 1; /* 0 marks an empty slot */
}

static int
revset_grow(struct signer_revset *s)
{
	size_t cap = s->cap ? s->cap * 2 : REVSET_INITIAL;
	uint64_t *v = calloc(cap, sizeof(*v));

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		if (s->v[i] == 0)
			continue;
		size_t j = s->v[i] & (cap - 1);
		while (v[j] != 0)
			j = (j + 1) & (cap - 1);
		v[j] = s->v[i];
	}
	free(s->v);
	s->v = v;
	s->cap = cap;
	return 0;
}

int
signer_revset_has(const struct signer_revset *s, uint64_t key)
{
	if (s->cap == 0)
		return 0;
	for (size_t j = key & (s->cap - 1); s->v[j] != 0; j = (j + 1) & (s->cap - 1)) {
		if (s->v[j] == key)
			return 1;
	}
	return 0;
}

int
signer_revset_add(struct signer_revset *s, uint64_t key)
{
	size_t j;

	if (signer_revset_has(s, key))
		return 0;
	if ((s->n + 1) * 2 > s->cap && revset_grow(s) != 0) /* at most half full */
		return -1;
	for (j = key & (s->cap - 1); s->v[j] != 0; j = (j + 1) & (s->cap - 1))
		;
	s->v[j] = key;
	s->n++;
	return 0;
}

void
signer_revset_free(struct signer_revset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int
load_one(void *arg, int64_t issuer_id, const uint8_t *serial, size_t len)
{
	return signer_revset_add(arg, signer_revset_key(issuer_id, serial, len));
}

int
signer_revoked_load(struct signer *sg, struct err *e)
{
	return store_revoked_signed_each(sg->store, load_one, &sg->revoked, e);
}

/* What the log says for each reason of signer_refuse_why(). */
static const char *const refuse_text[STORE_REFUSED_COUNT] = {
    [STORE_REFUSED_REVOKED_BEFORE] = "it was signed revoked before and the store now says "
				     "good: revocation is final, not signed good",
    [STORE_REFUSED_NO_CERTIFICATE] = "no certificate is recorded for this serial (its row "
				     "has no fingerprint): not signed good",
};

int
signer_refuse_why(const struct signer *sg, const struct cert_record *c)
{
	if (c->status != CERT_GOOD)
		return -1;
	if (!c->has_fingerprint)
		return STORE_REFUSED_NO_CERTIFICATE;
	if (signer_revset_has(&sg->revoked, signer_revset_key(c->issuer_id, c->serial,
						c->serial_len)))
		return STORE_REFUSED_REVOKED_BEFORE;
	return -1;
}

void
signer_refuse(struct signer *sg, const char *issuer, const struct cert_record *c, int why,
    struct signer_stats *st)
{
	uint64_t key = signer_revset_key(c->issuer_id, c->serial, c->serial_len);
	struct signer_refusal *r;

	if (signer_revset_has(&sg->refused, key) || signer_revset_add(&sg->refused, key) != 0)
		return; /* told already (or no memory to remember it: told again later) */
	st->refused++;
	sg->refusals_unsaved[why]++;
	if (sg->nrefusals == SIGNER_REFUSALS_MAX) {
		sg->refusals_dropped++;
		return;
	}
	r = &sg->refusals[sg->nrefusals++];
	snprintf(r->issuer, sizeof(r->issuer), "%s", issuer);
	for (size_t i = 0; i < c->serial_len && i < STORE_SERIAL_MAX; i++)
		snprintf(r->serial + 2 * i, 3, "%02x", c->serial[i]);
	r->why = refuse_text[why];
}

int
signer_refusals_save(struct signer *sg, struct err *e)
{
	if (store_refusals_add(sg->store, sg->refusals_unsaved, e) != 0)
		return -1; /* kept: added with the next pass's */
	memset(sg->refusals_unsaved, 0, sizeof(sg->refusals_unsaved));
	return 0;
}

int
signer_revoked_record(struct signer *sg, const struct cert_record *c, struct err *e)
{
	uint64_t key = signer_revset_key(c->issuer_id, c->serial, c->serial_len);

	if (c->status != CERT_REVOKED || signer_revset_has(&sg->revoked, key))
		return 0;
	if (store_revoked_signed_add(sg->store, c->issuer_id, c->serial, c->serial_len, e) != 0)
		return -1;
	return signer_revset_add(&sg->revoked, key) != 0 ? err_set(e, "out of memory") : 0;
}
