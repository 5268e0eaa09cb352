/*
 * postgresql_cert.c - certificates in the PostgreSQL store: intake,
 * lookup, revocation, counts and the streamed listing.
 *
 * An insert or a revocation stamps the row with its transaction's
 * change_seq (pg_txn_change_seq: taken by the transaction's first such
 * write, under THE CURSOR RULE), which the signer's scan of changed
 * certificates follows.  An insert that meets the same (issuer, serial) does
 * nothing (ON CONFLICT DO NOTHING) and a second statement, run only then,
 * tells a duplicate (same fingerprint) from a conflict: in READ COMMITTED a
 * row committed by another writer after the insert's snapshot is seen by
 * that next statement, which one statement could not see.  Revocation is
 * final: the triggers of migration 1 refuse to make a revoked certificate
 * good or to delete it, whoever writes.  The listing streams through a
 * cursor in id order (the order certificates were recorded).  A batch of
 * intake (store_cert_insert_many) is sent in pipeline mode, PG_PIPELINE_ROWS
 * inserts at a time before reading their answers: the same statements in
 * the same order, without a round trip each.
 */
#include "store/postgresql_int.h"

#include <string.h>
#include <time.h>

#define PG_CERT_INSERT                                                                       \
	"INSERT INTO certificates (issuer_id, serial, not_before, not_after, status,"            \
	" revoked_at, reason, shard, fingerprint, added_at, changed_at, change_seq, is_ca)"     \
	" VALUES ($1::bigint, $2::bytea, $3::bigint, $4::bigint, $5::smallint, $6::bigint,"     \
	" $7::int, $8::int, $9::bytea, $10::bigint, $10::bigint, $11::bigint, $12::int <> 0)"  \
	" ON CONFLICT (issuer_id, serial) DO NOTHING RETURNING id"

/* Inserts sent in pipeline mode before waiting for their answers (store_cert_insert_many). */
#define PG_PIPELINE_ROWS 256

/* The parameters of PG_CERT_INSERT for r (borrowing its buffers). */
static void
insert_params(const struct cert_record *r, struct pg_params *p)
{
	pg_param_int(p, r->issuer_id);
	pg_param_bytea(p, r->serial, r->serial_len);
	pg_param_int(p, r->not_before);
	pg_param_int(p, r->not_after);
	pg_param_int(p, r->status == CERT_REVOKED);
	if (r->status == CERT_REVOKED) {
		pg_param_int(p, r->revoked_at);
		pg_param_int(p, r->reason);
	} else {
		pg_param_null(p);
		pg_param_null(p);
	}
	pg_param_int(p, r->shard);
	pg_param_bytea(p, r->fingerprint, STORE_FINGERPRINT_LEN);
	pg_param_int(p, r->added_at);
	pg_param_int(p, r->change_seq);
	pg_param_int(p, r->is_ca != 0);
}

/* An insert that did nothing: the same certificate again, or a serial reused for another. */
static int
insert_existing(struct store_pg *s, struct cert_record *r, enum store_insert_result *res,
    struct err *e)
{
	struct pg_params q = {0};
	PGresult *out;
	const uint8_t *fp;
	size_t len;

	pg_param_int(&q, r->issuer_id);
	pg_param_bytea(&q, r->serial, r->serial_len);
	out = pg_exec_prepared(s, PG_STMT_CERT_FINGERPRINT,
	    "SELECT fingerprint, id FROM certificates WHERE issuer_id = $1::bigint"
	    " AND serial = $2::bytea", &q, "checking a duplicate certificate", e);
	if (out == NULL)
		return -1;
	if (PQntuples(out) != 1) {
		PQclear(out);
		return err_set(e, "store: checking a duplicate certificate: it is gone");
	}
	r->id = pg_int(out, 0, 1);
	fp = pg_bytes(out, 0, 0, &len);
	*res = fp != NULL && len == STORE_FINGERPRINT_LEN &&
		       memcmp(fp, r->fingerprint, STORE_FINGERPRINT_LEN) == 0
		   ? STORE_DUPLICATE
		   : STORE_CONFLICT;
	PQclear(out);
	return 0;
}

static int
cert_insert(struct store_pg *s, struct cert_record *r, enum store_insert_result *res,
    struct err *e)
{
	struct pg_params p = {0};
	PGresult *out;

	if (pg_txn_change_seq(s, &r->change_seq, e) != 0)
		return -1;
	insert_params(r, &p);
	out = pg_exec_prepared(s, PG_STMT_CERT_INSERT, PG_CERT_INSERT, &p, "adding a certificate", e);
	if (out == NULL)
		return -1;
	if (PQntuples(out) == 1) {
		r->id = pg_int(out, 0, 0);
		*res = STORE_INSERTED;
		PQclear(out);
		return 0;
	}
	PQclear(out);
	return insert_existing(s, r, res, e);
}

/*
 * The answers to n inserts sent in a pipeline, in order: inserted[i] says
 * whether the i-th inserted its row; the first failure goes to *e, and
 * every answer and the pipeline's sync are read whatever happens, so that
 * the connection leaves pipeline mode clean.
 */
static int
pipeline_answers(struct store_pg *s, struct cert_record **r, int n, int *inserted,
    struct err *e)
{
	PGresult *q;
	int rc = 0;

	for (int i = 0; i < n; i++) {
		inserted[i] = 0;
		while ((q = PQgetResult(s->conn)) != NULL) {
			if (PQresultStatus(q) == PGRES_TUPLES_OK && PQntuples(q) == 1) {
				r[i]->id = pg_int(q, 0, 0);
				inserted[i] = 1;
			} else if (PQresultStatus(q) != PGRES_TUPLES_OK && rc == 0) {
				rc = PQresultStatus(q) == PGRES_PIPELINE_ABORTED
					 ? err_set(e, "store: adding certificates: the batch was aborted")
					 : pg_err(s, q, "adding a certificate", e);
			}
			PQclear(q);
		}
	}
	while ((q = PQgetResult(s->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(q);

		PQclear(q);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	return rc;
}

/* Up to PG_PIPELINE_ROWS inserts sent at once, then their answers. */
static int
insert_pipelined(struct store_pg *s, const char *name, struct cert_record **r, size_t n,
    enum store_insert_result *res, struct err *e)
{
	int inserted[PG_PIPELINE_ROWS], sent = 0, rc = 0;

	if (PQenterPipelineMode(s->conn) != 1)
		return pg_err(s, NULL, "adding certificates", e);
	for (size_t i = 0; i < n; i++, sent++) {
		struct pg_params p = {0};

		insert_params(r[i], &p);
		if (PQsendQueryPrepared(s->conn, name, p.n, p.values, p.lengths, p.formats, 1) != 1) {
			rc = pg_err(s, NULL, "adding certificates", e);
			break;
		}
	}
	if (PQpipelineSync(s->conn) != 1 && rc == 0)
		rc = pg_err(s, NULL, "adding certificates", e);
	if (pipeline_answers(s, r, sent, inserted, e) != 0 && rc == 0)
		rc = -1;
	if (PQexitPipelineMode(s->conn) != 1 && rc == 0)
		rc = pg_err(s, NULL, "adding certificates", e);
	/* What did not insert was there already: which kind, one by one (rare). */
	for (int i = 0; i < sent && rc == 0; i++) {
		if (inserted[i])
			res[i] = STORE_INSERTED;
		else
			rc = insert_existing(s, r[i], &res[i], e);
	}
	return rc;
}

static int
cert_insert_many(struct store_pg *s, struct cert_record **r, size_t n,
    enum store_insert_result *res, struct err *e)
{
	const char *name;
	int64_t seq;

	if (n == 0)
		return 0;
	if (pg_txn_change_seq(s, &seq, e) != 0 ||
	    (name = pg_prepared_name(s, PG_STMT_CERT_INSERT, PG_CERT_INSERT,
		 "adding a certificate", e)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		r[i]->change_seq = seq;
	for (size_t at = 0; at < n; at += PG_PIPELINE_ROWS) {
		size_t k = n - at < PG_PIPELINE_ROWS ? n - at : PG_PIPELINE_ROWS;

		if (insert_pipelined(s, name, r + at, k, res + at, e) != 0)
			return -1;
	}
	return 0;
}

int
pg_cert_insert_many(struct store *base, struct cert_record **r, size_t n,
    enum store_insert_result *res, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, cert_insert_many(s, r, n, res, e), e);
}

int
pg_cert_insert(struct store *base, struct cert_record *r, enum store_insert_result *res,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, cert_insert(s, r, res, e), e);
}

int
pg_cert_get(struct store *base, int64_t issuer_id, const uint8_t *serial, size_t len,
    struct cert_record *out, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	int found;

	if (len == 0 || len > STORE_SERIAL_MAX)
		return 0;
	pg_param_int(&p, issuer_id);
	pg_param_bytea(&p, serial, len);
	r = pg_exec_prepared(s, PG_STMT_CERT_GET,
	    "SELECT " PG_CERT_COLUMNS " FROM certificates c"
	    " WHERE c.issuer_id = $1::bigint AND c.serial = $2::bytea",
	    &p, "looking up a certificate", e);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found)
		pg_cert_row(r, 0, 0, out);
	PQclear(r);
	return found;
}

static int
cert_revoke(struct store_pg *s, int64_t cert_id, int64_t revoked_at, int reason, struct err *e)
{
	struct pg_params p = {0};
	int64_t seq, changed;

	if (pg_txn_change_seq(s, &seq, e) != 0)
		return -1;
	pg_param_int(&p, revoked_at);
	pg_param_int(&p, reason);
	pg_param_int(&p, (int64_t)time(NULL));
	pg_param_int(&p, seq);
	pg_param_int(&p, cert_id);
	if (pg_run(s, "UPDATE certificates SET status = 1, revoked_at = $1::bigint,"
		      " reason = $2::int, changed_at = $3::bigint, change_seq = $4::bigint"
		      " WHERE id = $5::bigint",
		&p, "revoking", &changed, e) != 0)
		return -1;
	if (changed != 1)
		return err_set(e, "store: certificate %lld not found", (long long)cert_id);
	return 0;
}

int
pg_cert_revoke(struct store *base, int64_t cert_id, int64_t revoked_at, int reason,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, cert_revoke(s, cert_id, revoked_at, reason, e), e);
}

int
pg_cert_count(struct store *base, int64_t issuer_id, int64_t *total, int64_t *revoked,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;

	pg_param_int(&p, issuer_id);
	r = pg_exec(s, "SELECT count(*), count(*) FILTER (WHERE status = 1) FROM certificates"
		       " WHERE $1::bigint = 0 OR issuer_id = $1::bigint",
	    &p, "counting certificates", e);
	if (r == NULL)
		return -1;
	*total = pg_int(r, 0, 0);
	*revoked = pg_int(r, 0, 1);
	PQclear(r);
	return 0;
}

struct cert_walk {
	int (*cb)(void *arg, const struct cert_record *c, struct err *e);
	void *arg;
};

static int
cert_row(void *arg, const PGresult *r, int i, struct err *e)
{
	struct cert_walk *w = arg;
	struct cert_record c;

	pg_cert_row(r, i, 0, &c);
	return w->cb(w->arg, &c, e);
}

int
pg_cert_each(struct store *base, int64_t issuer_id, int only_revoked,
    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct cert_walk w = {cb, arg};
	struct pg_params p = {0};

	pg_param_int(&p, issuer_id);
	pg_param_int(&p, only_revoked != 0);
	return pg_walk(s,
	    "SELECT " PG_CERT_COLUMNS " FROM certificates c"
	    " WHERE ($1::bigint = 0 OR c.issuer_id = $1::bigint)"
	    " AND ($2::int = 0 OR c.status = 1) ORDER BY c.id",
	    &p, "listing certificates", cert_row, &w, e);
}
