/*
 * copy_sum.c - the counts and checksums that verify a store copy (copy.h):
 * every table walked through the store contract, so both sides, whatever
 * their backends, are summed the same way.
 *
 * A table's checksum: each row's SHA-256 over its fields in a fixed
 * encoding (integers as 8 bytes big-endian, byte strings preceded by their
 * length as 8 bytes), those digests added as 256-bit numbers modulo 2^256,
 * then the SHA-256 of the table's name, its row count and that sum.  The
 * sum does not depend on the order rows come in (the contract fixes none
 * for some walks), and any changed, missing or extra row changes it.
 * The audit trail's rows are summed with their numbers and hashes, and its
 * head is one more row of it.  COPY_T_STATE is one row: the four counters, the signer's mark, each
 * issuer's key state (by name) and the refusal counts.
 */
#include "store/copy.h"

#include <string.h>

#include <openssl/evp.h>

#define SUM_WORDS (COPY_DIGEST_LEN / 8)

struct sum {
	EVP_MD_CTX *ctx;
	uint64_t acc[SUM_WORDS];
	int64_t rows;
	int failed;
	copy_progress_fn progress;
	void *arg;
	enum copy_table t;
};

static void
row_begin(struct sum *s)
{
	if (EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
		s->failed = 1;
}

static void
put_bytes(struct sum *s, const void *p, size_t len)
{
	if (len > 0 && EVP_DigestUpdate(s->ctx, p, len) != 1)
		s->failed = 1;
}

static void
put_i64(struct sum *s, int64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
	put_bytes(s, b, sizeof(b));
}

static void
put_blob(struct sum *s, const void *p, size_t len)
{
	put_i64(s, (int64_t)len);
	put_bytes(s, p, len);
}

/* The row's digest added into the sum, as a 256-bit big-endian number. */
static void
row_end(struct sum *s)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	unsigned carry = 0;

	if (EVP_DigestFinal_ex(s->ctx, md, &len) != 1 || len != COPY_DIGEST_LEN) {
		s->failed = 1;
		return;
	}
	for (int w = SUM_WORDS - 1; w >= 0; w--) {
		uint64_t v = 0, old = s->acc[w];
		for (int i = 0; i < 8; i++)
			v = v << 8 | md[w * 8 + i];
		s->acc[w] = old + v + carry;
		carry = s->acc[w] < old || (carry && s->acc[w] == old);
	}
	if (++s->rows % 65536 == 0 && s->progress != NULL)
		s->progress(s->arg, s->t, 1, s->rows);
}

static int
sum_finish(struct sum *s, struct copy_sum *out, struct err *e)
{
	const char *name = copy_table_name(s->t);
	unsigned int len = 0;

	if (s->failed)
		return err_set(e, "checksumming %s: the digest failed", name);
	row_begin(s);
	put_blob(s, name, strlen(name));
	put_i64(s, s->rows);
	for (int w = 0; w < SUM_WORDS; w++)
		put_i64(s, (int64_t)s->acc[w]);
	if (s->failed || EVP_DigestFinal_ex(s->ctx, out->digest, &len) != 1)
		return err_set(e, "checksumming %s: the digest failed", name);
	out->rows = s->rows;
	return 0;
}

static int
sum_issuers(struct store *st, struct sum *s, struct err *e)
{
	struct issuer_record *v = NULL;
	struct store_issuer_keys k;
	size_t n = 0;
	int rc = 0;

	if (store_issuer_list(st, &v, &n, e) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct issuer_record *r = &v[i];
		if ((rc = store_issuer_keys(st, r->id, &k, e)) < 0)
			break;
		if (rc == 0)
			memset(&k, 0, sizeof(k));
		rc = 0;
		row_begin(s);
		put_i64(s, r->id);
		put_blob(s, r->name, strlen(r->name));
		put_blob(s, r->cert_der, r->cert_len);
		put_i64(s, r->has_key);
		put_i64(s, r->crl_shards);
		put_i64(s, r->added_at);
		put_i64(s, r->ocsp_cert_der != NULL);
		put_blob(s, r->ocsp_cert_der, r->ocsp_cert_len);
		put_i64(s, r->retired_at);
		put_blob(s, k.key_ref, strlen(k.key_ref));
		put_blob(s, k.key_pass_ref, strlen(k.key_pass_ref));
		put_blob(s, k.ocsp_key_ref, strlen(k.ocsp_key_ref));
		row_end(s);
	}
	issuer_records_free(v, n);
	return rc < 0 ? -1 : 0;
}

static int
sum_cert(void *arg, const struct cert_record *c, struct err *e)
{
	struct sum *s = arg;

	(void)e;
	row_begin(s);
	put_i64(s, c->id);
	put_i64(s, c->issuer_id);
	put_blob(s, c->serial, c->serial_len);
	put_i64(s, c->not_before);
	put_i64(s, c->not_after);
	put_i64(s, c->status);
	put_i64(s, c->status == CERT_REVOKED ? c->revoked_at : 0);
	put_i64(s, c->status == CERT_REVOKED ? c->reason : 0);
	put_i64(s, c->shard);
	put_i64(s, c->has_fingerprint);
	put_blob(s, c->fingerprint, c->has_fingerprint ? STORE_FINGERPRINT_LEN : 0);
	put_i64(s, c->added_at);
	put_i64(s, c->change_seq);
	put_i64(s, c->is_ca != 0);
	put_i64(s, c->has_spki);
	put_blob(s, c->spki_sha256, c->has_spki ? STORE_SPKI_HASH_LEN : 0);
	put_i64(s, c->precert != 0);
	put_i64(s, c->has_precert_tbs);
	put_blob(s, c->precert_tbs, c->has_precert_tbs ? STORE_PRECERT_TBS_LEN : 0);
	row_end(s);
	return 0;
}

static int
sum_ocsp(void *arg, const struct ocsp_record *r)
{
	struct sum *s = arg;

	row_begin(s);
	put_i64(s, r->seq);
	put_i64(s, r->cert_id);
	put_i64(s, r->issuer_id);
	put_blob(s, r->serial, r->serial_len);
	put_i64(s, r->hash);
	put_blob(s, r->der, r->der_len);
	put_i64(s, r->this_update);
	put_i64(s, r->next_update);
	put_i64(s, r->due_at);
	put_i64(s, r->cert_seq);
	row_end(s);
	return 0;
}

static int
sum_crl(void *arg, const struct crl_record *r, struct err *e)
{
	struct sum *s = arg;

	(void)e;
	row_begin(s);
	put_i64(s, r->issuer_id);
	put_i64(s, r->shard);
	put_i64(s, r->number);
	put_i64(s, r->this_update);
	put_i64(s, r->next_update);
	put_blob(s, r->der, r->der_len);
	put_i64(s, r->built_seq);
	put_i64(s, r->seq);
	row_end(s);
	return 0;
}

static int
sum_revoked(void *arg, int64_t issuer_id, const uint8_t *serial, size_t len)
{
	struct sum *s = arg;

	row_begin(s);
	put_i64(s, issuer_id);
	put_blob(s, serial, len);
	row_end(s);
	return 0;
}

static int
sum_token(void *arg, const struct token_record *t, struct err *e)
{
	struct sum *s = arg;

	(void)e;
	row_begin(s);
	put_blob(s, t->name, strlen(t->name));
	put_i64(s, t->scopes);
	put_blob(s, t->hash, sizeof(t->hash));
	put_i64(s, t->created);
	put_i64(s, t->revoked);
	row_end(s);
	return 0;
}

static void
put_str(struct sum *s, const char *v)
{
	put_blob(s, v, v != NULL ? strlen(v) : 0);
}

static int
sum_audit_row(void *arg, const struct audit_record *r, struct err *e)
{
	struct sum *s = arg;

	(void)e;
	row_begin(s);
	put_i64(s, r->id);
	put_i64(s, r->ev.at);
	put_str(s, r->ev.actor);
	put_str(s, r->ev.origin);
	put_str(s, r->ev.action);
	put_i64(s, r->ev.issuer_id);
	put_blob(s, r->ev.serial, r->ev.serial != NULL ? r->ev.serial_len : 0);
	put_str(s, r->ev.detail);
	put_blob(s, r->hash, sizeof(r->hash));
	row_end(s);
	return 0;
}

static int
sum_audit(struct store *st, struct sum *s, struct err *e)
{
	uint8_t hash[32];
	int64_t id;

	if (store_audit_each(st, NULL, sum_audit_row, s, e) != 0 ||
	    store_audit_head(st, &id, hash, e) != 0)
		return -1;
	row_begin(s);
	put_i64(s, id);
	put_blob(s, hash, sizeof(hash));
	row_end(s);
	return 0;
}

static int
sum_state(struct store *st, struct sum *s, struct err *e)
{
	struct store_signed_upto u;
	struct issuer_record *v = NULL;
	int64_t seq, refused[STORE_REFUSED_COUNT];
	size_t n = 0;
	int avail, rc = 0;

	row_begin(s);
	for (int w = 0; w < STORE_SEQ_COUNT; w++) {
		if (store_seq(st, (enum store_seq)w, &seq, e) != 0)
			return -1;
		put_i64(s, seq);
	}
	if (store_signed_upto_get(st, &u, e) != 0)
		return -1;
	put_i64(s, u.issuer_seq);
	for (int w = 0; w < STORE_CURSOR_WORDS; w++)
		put_i64(s, u.at.pos[w]);
	if (store_issuer_list(st, &v, &n, e) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = store_key_state_get(st, v[i].id, &avail, &seq, e);
		put_i64(s, v[i].id);
		put_i64(s, avail);
	}
	issuer_records_free(v, n);
	if (rc != 0 || store_refusals_get(st, refused, e) != 0)
		return -1;
	for (int r = 0; r < STORE_REFUSED_COUNT; r++)
		put_i64(s, refused[r]);
	row_end(s);
	return 0;
}

static int
sum_table(struct store *st, struct sum *s, struct err *e)
{
	switch (s->t) {
	case COPY_T_ISSUERS:
		return sum_issuers(st, s, e);
	case COPY_T_CERTS:
		return store_cert_export(st, 0, sum_cert, s, e);
	case COPY_T_OCSP:
		return store_ocsp_each(st, 0, sum_ocsp, s, e);
	case COPY_T_CRLS:
		return store_crl_each(st, sum_crl, s, e);
	case COPY_T_REVOKED:
		return store_revoked_signed_each(st, sum_revoked, s, e);
	case COPY_T_TOKENS:
		return store_token_each(st, sum_token, s, e);
	case COPY_T_AUDIT:
		return sum_audit(st, s, e);
	default:
		return sum_state(st, s, e);
	}
}

int
copy_checksum(struct store *st, struct copy_sum sum[COPY_T_COUNT], copy_progress_fn progress,
    void *arg, struct err *e)
{
	struct sum s;
	int rc = 0;

	memset(sum, 0, COPY_T_COUNT * sizeof(*sum));
	for (int t = 0; t < COPY_T_COUNT && rc == 0; t++) {
		s = (struct sum){.ctx = EVP_MD_CTX_new(), .progress = progress, .arg = arg,
		    .t = (enum copy_table)t};
		if (s.ctx == NULL)
			return err_set(e, "out of memory");
		rc = sum_table(st, &s, e);
		if (rc == 0)
			rc = sum_finish(&s, &sum[t], e);
		else
			err_prefix(e, "checksumming %s", copy_table_name((enum copy_table)t));
		EVP_MD_CTX_free(s.ctx);
	}
	return rc;
}
