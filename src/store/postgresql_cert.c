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
 * intake (store_cert_insert_many) is one COPY of new rows (PG_CERTS_COPY),
 * or, when one was there already, one statement, its columns sent as
 * arrays (PG_CERTS_WRITE): the server runs one statement for the batch
 * instead of one per certificate, which took it about 2x the CPU per row
 * (pipelined single-row inserts, docs/BENCHMARKS.md, session 13); the rows
 * go in in the batch's order, the same ids and results as one insert after
 * the other.
 */
#include "store/postgresql_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PG_CERT_INSERT                                                                       \
	"INSERT INTO certificates (issuer_id, serial, not_before, not_after, status,"            \
	" revoked_at, reason, shard, fingerprint, added_at, changed_at, change_seq, is_ca,"     \
	" spki_sha256, precert, precert_tbs)"                                                  \
	" VALUES ($1::bigint, $2::bytea, $3::bigint, $4::bigint, $5::smallint, $6::bigint,"     \
	" $7::int, $8::int, $9::bytea, $10::bigint, $10::bigint, $11::bigint, $12::int <> 0,"  \
	" $13::bytea, $14::int, $15::bytea)"                                                               \
	" ON CONFLICT (issuer_id, serial) DO NOTHING RETURNING id"

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
	if (r->has_spki)
		pg_param_bytea(p, r->spki_sha256, STORE_SPKI_HASH_LEN);
	else
		pg_param_null(p);
	pg_param_int(p, r->precert != 0);
	if (r->has_precert_tbs)
		pg_param_bytea(p, r->precert_tbs, STORE_PRECERT_TBS_LEN);
	else
		pg_param_null(p);
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
id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The issuers of r[0..n-1] exist, or an error: what a foreign key checked
 * for each row until migration 5 (postgresql_schema.c), once per batch
 * here, for its distinct issuers.  Issuers are never deleted: checked in
 * the writing transaction, one stays there until it commits.
 */
static int
issuers_exist(struct store_pg *s, struct cert_record *const *r, size_t n, struct err *e)
{
	struct pg_array a = {0};
	struct pg_params p = {0};
	int64_t *ids = malloc((n > 0 ? n : 1) * sizeof(*ids));
	size_t k = 0;
	PGresult *out = NULL;
	int rc = -1;

	if (ids == NULL)
		return err_set(e, "store: out of memory");
	for (size_t i = 0; i < n; i++)
		ids[i] = r[i]->issuer_id;
	qsort(ids, n, sizeof(*ids), id_cmp);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || ids[i] != ids[k - 1])
			ids[k++] = ids[i];
	if (pg_array_start(&a, 20 + k * 12, k, PG_OID_INT8) == NULL) {
		err_set(e, "store: out of memory");
		goto out;
	}
	for (size_t i = 0; i < k; i++)
		pg_array_int(&a, ids[i]);
	pg_param_bytea(&p, a.buf, a.len);
	out = pg_exec(s, "SELECT x FROM unnest($1::bigint[]) x"
			 " WHERE NOT EXISTS (SELECT 1 FROM issuers i WHERE i.id = x) LIMIT 1",
	    &p, "adding certificates", e);
	if (out == NULL)
		goto out;
	if (PQntuples(out) > 0)
		err_set(e, "store: adding a certificate: no issuer %lld", (long long)pg_int(out, 0, 0));
	else
		rc = 0;
out:
	PQclear(out);
	free(a.buf);
	free(ids);
	return rc;
}

static int
cert_insert(struct store_pg *s, struct cert_record *r, enum store_insert_result *res,
    struct err *e)
{
	struct pg_params p = {0};
	PGresult *out;

	if (issuers_exist(s, &r, 1, e) != 0 || pg_txn_change_seq(s, &r->change_seq, e) != 0)
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
 * A batch of intake in one statement: the batch's columns as binary arrays
 * ($1..$14, postgresql_ocsp_put.c does the same for responses), unnested in
 * step in the select list, $15 the transaction's change_seq.  The arrays
 * carry no NULL: revoked_at and reason are sent for every row and kept only
 * for a revoked one; an unknown SPKI hash (and a precert_tbs not given) is
 * sent empty and stored NULL.  The identity gives ids in the order of the rows, as
 * one insert after the other would.  RETURNING names each row written by
 * its key (batch_match).  It is PG_CERTS_ADD (ON CONFLICT DO NOTHING: what
 * is there already is skipped, a key twice in the batch written once),
 * sent when the COPY of every row as new (PG_CERTS_COPY, below) met a
 * certificate already stored.
 */
enum {
	CA_ISSUER,
	CA_SERIAL,
	CA_NOT_BEFORE,
	CA_NOT_AFTER,
	CA_STATUS,
	CA_REVOKED_AT,
	CA_REASON,
	CA_SHARD,
	CA_FINGERPRINT,
	CA_ADDED_AT,
	CA_IS_CA,
	CA_SPKI,
	CA_PRECERT,
	CA_PRECERT_TBS,
	CA_COUNT
};
#define PG_CERTS_WRITE(conflict)                                                             \
	"INSERT INTO certificates (issuer_id, serial, not_before, not_after, status,"            \
	" revoked_at, reason, shard, fingerprint, added_at, changed_at, change_seq, is_ca,"     \
	" spki_sha256, precert, precert_tbs)"                                                  \
	" SELECT u.issuer_id, u.serial, u.not_before, u.not_after, u.status::smallint,"         \
	"  CASE WHEN u.status = 1 THEN u.revoked_at END,"                                      \
	"  CASE WHEN u.status = 1 THEN u.reason::int END, u.shard::int, u.fingerprint,"        \
	"  u.added_at, u.added_at, $15::bigint, u.is_ca <> 0, nullif(u.spki, ''::bytea),"      \
	"  u.precert::int, nullif(u.precert_tbs, ''::bytea)"                                   \
	" FROM (SELECT unnest($1::bigint[]) AS issuer_id, unnest($2::bytea[]) AS serial,"     \
	"  unnest($3::bigint[]) AS not_before, unnest($4::bigint[]) AS not_after,"            \
	"  unnest($5::bigint[]) AS status, unnest($6::bigint[]) AS revoked_at,"               \
	"  unnest($7::bigint[]) AS reason, unnest($8::bigint[]) AS shard,"                    \
	"  unnest($9::bytea[]) AS fingerprint, unnest($10::bigint[]) AS added_at,"            \
	"  unnest($11::bigint[]) AS is_ca, unnest($12::bytea[]) AS spki,"                     \
	"  unnest($13::bigint[]) AS precert, unnest($14::bytea[]) AS precert_tbs) u"          \
	conflict " RETURNING issuer_id, serial, id"
#define PG_CERTS_ADD PG_CERTS_WRITE(" ON CONFLICT (issuer_id, serial) DO NOTHING")

/* After a batch that met a stored certificate, this many more go straight to PG_CERTS_ADD. */
#define PG_CERTS_ADD_RUN 16

#define PG_CERTS_WHAT "adding certificates"

/* The arrays of r[0..n-1]; -1 out of memory (the caller frees). */
static int
cert_arrays(struct pg_array *a, struct cert_record *const *r, size_t n)
{
	size_t serials = 20;

	for (int k = 0; k < CA_COUNT; k++) {
		if (k == CA_SERIAL || k == CA_FINGERPRINT || k == CA_SPKI || k == CA_PRECERT_TBS)
			continue;
		if (pg_array_start(&a[k], 20 + n * 12, n, PG_OID_INT8) == NULL)
			return -1;
	}
	for (size_t i = 0; i < n; i++)
		serials += 4 + r[i]->serial_len;
	if (pg_array_start(&a[CA_SERIAL], serials, n, PG_OID_BYTEA) == NULL ||
	    pg_array_start(&a[CA_FINGERPRINT], 20 + n * (4 + STORE_FINGERPRINT_LEN), n,
		PG_OID_BYTEA) == NULL ||
	    pg_array_start(&a[CA_SPKI], 20 + n * (4 + STORE_SPKI_HASH_LEN), n, PG_OID_BYTEA) ==
		NULL ||
	    pg_array_start(&a[CA_PRECERT_TBS], 20 + n * (4 + STORE_FINGERPRINT_LEN), n,
		PG_OID_BYTEA) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct cert_record *c = r[i];

		pg_array_int(&a[CA_ISSUER], c->issuer_id);
		pg_array_bytes(&a[CA_SERIAL], c->serial, c->serial_len);
		pg_array_int(&a[CA_NOT_BEFORE], c->not_before);
		pg_array_int(&a[CA_NOT_AFTER], c->not_after);
		pg_array_int(&a[CA_STATUS], c->status == CERT_REVOKED);
		pg_array_int(&a[CA_REVOKED_AT], c->revoked_at);
		pg_array_int(&a[CA_REASON], c->reason);
		pg_array_int(&a[CA_SHARD], c->shard);
		pg_array_bytes(&a[CA_FINGERPRINT], c->fingerprint, STORE_FINGERPRINT_LEN);
		pg_array_int(&a[CA_ADDED_AT], c->added_at);
		pg_array_int(&a[CA_IS_CA], c->is_ca != 0);
		/* The arrays carry no NULL: an empty hash is an unknown one (nullif above). */
		pg_array_bytes(&a[CA_SPKI], c->spki_sha256, c->has_spki ? STORE_SPKI_HASH_LEN : 0);
		pg_array_int(&a[CA_PRECERT], c->precert != 0);
		pg_array_bytes(&a[CA_PRECERT_TBS], c->precert_tbs,
		    c->has_precert_tbs ? STORE_PRECERT_TBS_LEN : 0);
	}
	return 0;
}

static uint64_t
key_hash(int64_t issuer_id, const uint8_t *serial, size_t len)
{
	uint64_t h = UINT64_C(14695981039346656037) ^ (uint64_t)issuer_id;

	for (size_t i = 0; i < len; i++)
		h = (h ^ serial[i]) * UINT64_C(1099511628211);
	return h ^ (h >> 29);
}

/*
 * The rows a batch statement wrote (res: issuer_id, serial, id) to the
 * certificates sent: inserted[i] = 1 and r[i]->id for each.  A key is
 * written at most once, for its first place in the batch (rows are
 * inserted in array order), so each answer goes to the first r[i] with
 * its key: an open-addressing table of those, 2n..4n slots.  A later r[j]
 * with the same key stays not inserted: the caller then tells a duplicate
 * from a conflict, as for a certificate stored before.
 */
static int
batch_match(PGresult *res, struct cert_record *const *r, size_t n, uint8_t *inserted,
    struct err *e)
{
	size_t slots = 2, *slot;
	int rows = PQntuples(res), rc = 0;

	while (slots < 2 * n)
		slots *= 2;
	if ((slot = malloc(slots * sizeof(*slot))) == NULL)
		return err_set(e, "store: out of memory");
	for (size_t k = 0; k < slots; k++)
		slot[k] = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		size_t k = key_hash(r[i]->issuer_id, r[i]->serial, r[i]->serial_len) & (slots - 1);

		inserted[i] = 0;
		while (slot[k] != SIZE_MAX && !(r[slot[k]]->issuer_id == r[i]->issuer_id &&
						 r[slot[k]]->serial_len == r[i]->serial_len &&
						 memcmp(r[slot[k]]->serial, r[i]->serial,
						     r[i]->serial_len) == 0))
			k = (k + 1) & (slots - 1);
		if (slot[k] == SIZE_MAX)
			slot[k] = i;
	}
	for (int j = 0; j < rows && rc == 0; j++) {
		int64_t issuer = pg_int(res, j, 0);
		size_t len, k;
		const uint8_t *serial = pg_bytes(res, j, 1, &len);

		k = key_hash(issuer, serial, len) & (slots - 1);
		while (slot[k] != SIZE_MAX && !(r[slot[k]]->issuer_id == issuer &&
						 r[slot[k]]->serial_len == len &&
						 memcmp(r[slot[k]]->serial, serial, len) == 0))
			k = (k + 1) & (slots - 1);
		if (slot[k] == SIZE_MAX || inserted[slot[k]])
			rc = err_set(e, "store: adding certificates: the database wrote a row "
					"that was not sent");
		else {
			inserted[slot[k]] = 1;
			r[slot[k]]->id = pg_int(res, j, 2);
		}
	}
	free(slot);
	return rc;
}

/*
 * A batch of new rows goes in with COPY ... FROM STDIN in binary format
 * (the PostgreSQL manual's "Binary Format": a header; per row a field
 * count, then each field's length, -1 for NULL, and its bytes in network
 * order; -1 at the end), each field in its column's own type.  COPY
 * writes the heap a page of rows at a time and evaluates no statement over
 * unnested arrays, and nothing comes back: 15-25% less of the server's CPU
 * for the certificates' rows than the INSERT it replaces, most of the rest
 * the indexes (docs/BENCHMARKS.md, session 15).  COPY returns no ids, so
 * the batch's ids are taken first (id_reserve).
 */
#define PG_CERTS_COPY                                                                        \
	"COPY certificates (id, issuer_id, serial, not_before, not_after, status, revoked_at,"  \
	" reason, shard, fingerprint, added_at, changed_at, change_seq, is_ca, spki_sha256,"   \
	" precert, precert_tbs) FROM STDIN (FORMAT binary)"
#define PG_CERTS_COPY_FIELDS 17

/* The rows of r[0..n-1], ids[i] each, as PG_CERTS_WRITE would write them. */
static void
certs_copy_data(struct pg_bin *c, struct cert_record *const *r, size_t n, const int64_t *ids,
    int64_t seq)
{
	pg_bin_header(c);
	for (size_t i = 0; i < n; i++) {
		const struct cert_record *x = r[i];
		int revoked = x->status == CERT_REVOKED;

		pg_bin_row(c, PG_CERTS_COPY_FIELDS);
		pg_bin_int(c, ids[i], 8);
		pg_bin_int(c, x->issuer_id, 8);
		pg_bin_bytes(c, x->serial, x->serial_len);
		pg_bin_int(c, x->not_before, 8);
		pg_bin_int(c, x->not_after, 8);
		pg_bin_int(c, revoked, 2);
		if (revoked) {
			pg_bin_int(c, x->revoked_at, 8);
			pg_bin_int(c, x->reason, 4);
		} else {
			pg_bin_bytes(c, NULL, 0);
			pg_bin_bytes(c, NULL, 0);
		}
		pg_bin_int(c, x->shard, 4);
		pg_bin_bytes(c, x->fingerprint, STORE_FINGERPRINT_LEN);
		pg_bin_int(c, x->added_at, 8);
		pg_bin_int(c, x->added_at, 8); /* changed_at */
		pg_bin_int(c, seq, 8);
		pg_bin_int(c, x->is_ca != 0, 1);
		pg_bin_bytes(c, x->has_spki ? x->spki_sha256 : NULL, STORE_SPKI_HASH_LEN);
		pg_bin_int(c, x->precert != 0, 4);
		pg_bin_bytes(c, x->has_precert_tbs ? x->precert_tbs : NULL, STORE_FINGERPRINT_LEN);
	}
	pg_bin_end(c);
}

/*
 * n ids of certificates, in ids[0..n-1], ascending.  A role that may
 * update the identity's sequence (the owner: `lancre cert add`, the
 * signer) takes them as one range, one round trip: nextval, then the
 * sequence set past the range.  The two steps are not one atomic change,
 * but every writer of certificates holds the transaction's change_seq (a
 * row lock on meta until it commits) before it writes, so none runs
 * between them; were one to, an id taken twice would fail the primary key
 * (an error, nothing written), never be shared.  A role granted only USAGE
 * on the sequence (docs/OPERATOR.md's lancre_admin) takes one nextval
 * each, as the column's default would.  A nextval costs the server about
 * as much CPU as the rest of a row's insert but its indexes
 * (docs/BENCHMARKS.md, session 15).
 */
static int
id_reserve(struct store_pg *s, size_t n, int64_t *ids, struct err *e)
{
	struct pg_params p = {0};
	PGresult *r;
	int64_t first;

	if (s->ids_by_range == 0) {
		r = pg_exec(s, "SELECT has_sequence_privilege(pg_get_serial_sequence('certificates',"
			       " 'id'), 'UPDATE')::int::bigint", NULL, PG_CERTS_WHAT, e);
		if (r == NULL)
			return -1;
		s->ids_by_range = pg_int(r, 0, 0) ? 1 : -1;
		PQclear(r);
	}
	pg_param_int(&p, (int64_t)n);
	if (s->ids_by_range > 0) {
		r = pg_exec(s, "SELECT setval(q.seq, nextval(q.seq) + $1::bigint - 1) FROM (SELECT"
			       " pg_get_serial_sequence('certificates', 'id')::regclass AS seq) q",
		    &p, PG_CERTS_WHAT, e);
		if (r == NULL)
			return -1;
		first = pg_int(r, 0, 0) - (int64_t)n + 1;
		PQclear(r);
		for (size_t i = 0; i < n; i++)
			ids[i] = first + (int64_t)i;
		return 0;
	}
	r = pg_exec(s, "SELECT nextval(q.seq) FROM (SELECT pg_get_serial_sequence('certificates',"
		       " 'id')::regclass AS seq) q, generate_series(1, $1::bigint)",
	    &p, PG_CERTS_WHAT, e);
	if (r == NULL)
		return -1;
	if ((size_t)PQntuples(r) != n) {
		PQclear(r);
		return err_set(e, "store: %s: no ids for them", PG_CERTS_WHAT);
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = pg_int(r, (int)i, 0);
	PQclear(r);
	return 0;
}

/*
 * The batch as new rows (PG_CERTS_COPY) inside a savepoint: 1 and each
 * r[i]->id, inserted[i] = 1; 0 when a certificate was there already
 * (unique_violation, the savepoint rolled back: the caller sends
 * PG_CERTS_ADD); -1 on any other failure (*e; the caller's transaction
 * must roll back).  COPY (and before it a plain INSERT) costs the server
 * less than ON CONFLICT's speculative insertion of each row, and nearly
 * every batch of intake is new certificates.
 */
static int
certs_copy_new(struct store_pg *s, struct cert_record *const *r, size_t n, int64_t seq,
    uint8_t *inserted, struct err *e)
{
	struct pg_bin c = {0};
	PGresult *res = NULL;
	int64_t *ids = malloc(n * sizeof(*ids));
	int rc = -1;

	if (ids == NULL) {
		err_set(e, "store: out of memory");
		goto out;
	}
	if (pg_exec_simple(s, "SAVEPOINT lancre_certs_add", PG_CERTS_WHAT, e) != 0 ||
	    id_reserve(s, n, ids, e) != 0)
		goto out;
	certs_copy_data(&c, r, n, ids, seq);
	if (c.failed || c.len > INT_MAX) {
		err_set(e, "store: %s: out of memory", PG_CERTS_WHAT);
		goto out;
	}
	if ((res = pg_copy_in(s, PG_CERTS_COPY, &c, PG_CERTS_WHAT, e)) == NULL)
		goto out;
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		for (size_t i = 0; i < n; i++) {
			inserted[i] = 1;
			r[i]->id = ids[i];
		}
		rc = pg_exec_simple(s, "RELEASE SAVEPOINT lancre_certs_add", PG_CERTS_WHAT, e) != 0
			 ? -1 : 1;
	} else if (strcmp(pg_sqlstate(res), PG_UNIQUE_VIOLATION) == 0) {
		rc = pg_exec_simple(s,
			 "ROLLBACK TO SAVEPOINT lancre_certs_add; RELEASE SAVEPOINT lancre_certs_add",
			 PG_CERTS_WHAT, e) != 0 ? -1 : 0;
	} else {
		pg_err(s, res, PG_CERTS_WHAT, e);
	}
out:
	PQclear(res);
	free(c.b);
	free(ids);
	return rc;
}

/*
 * r[0..n-1] (n > 0) in one statement, in the open transaction; inserted[i]
 * for each: one COPY of new rows, or after a batch that met a stored
 * certificate, PG_CERTS_ADD (what is there already skipped).
 */
static int
certs_write(struct store_pg *s, struct cert_record *const *r, size_t n, int64_t seq,
    uint8_t *inserted, struct err *e)
{
	struct pg_array a[CA_COUNT] = {{0}};
	struct pg_params p = {0};
	PGresult *res = NULL;
	int rc = -1, got;

	if (s->cert_add_left > 0) {
		s->cert_add_left--;
	} else {
		if ((got = certs_copy_new(s, r, n, seq, inserted, e)) != 0)
			return got > 0 ? 0 : -1;
		s->cert_add_left = PG_CERTS_ADD_RUN;
	}
	if (cert_arrays(a, r, n) != 0) {
		err_set(e, "store: out of memory");
		goto out;
	}
	for (int k = 0; k < CA_COUNT; k++)
		pg_param_bytea(&p, a[k].buf, a[k].len);
	pg_param_int(&p, seq);
	if ((res = pg_exec_prepared(s, PG_STMT_CERTS_ADD, PG_CERTS_ADD, &p, PG_CERTS_WHAT, e)) ==
	    NULL)
		goto out;
	rc = batch_match(res, r, n, inserted, e);
out:
	PQclear(res);
	for (int k = 0; k < CA_COUNT; k++)
		free(a[k].buf);
	return rc;
}

static int
cert_insert_many(struct store_pg *s, struct cert_record **r, size_t n,
    enum store_insert_result *res, struct err *e)
{
	uint8_t *inserted;
	int64_t seq;
	int rc = 0;

	if (n == 0)
		return 0;
	if (issuers_exist(s, r, n, e) != 0 || pg_txn_change_seq(s, &seq, e) != 0)
		return -1;
	if ((inserted = malloc(n)) == NULL)
		return err_set(e, "store: out of memory");
	for (size_t i = 0; i < n; i++)
		r[i]->change_seq = seq;
	rc = certs_write(s, r, n, seq, inserted, e);
	/* What did not insert was there already: which kind, one by one (rare). */
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (inserted[i])
			res[i] = STORE_INSERTED;
		else
			rc = insert_existing(s, r[i], &res[i], e);
	}
	free(inserted);
	return rc;
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

/* No change_seq: what is signed for the serial does not change (store.h). */
static int
cert_complete(struct store_pg *s, int64_t cert_id, const uint8_t *fingerprint, struct err *e)
{
	struct pg_params p = {0};
	int64_t changed;

	pg_param_bytea(&p, fingerprint, STORE_FINGERPRINT_LEN);
	pg_param_int(&p, (int64_t)time(NULL));
	pg_param_int(&p, cert_id);
	if (pg_run(s, "UPDATE certificates SET fingerprint = $1::bytea, precert = 0,"
		      " changed_at = $2::bigint WHERE id = $3::bigint AND precert = 1",
		&p, "completing a precertificate's record", &changed, e) != 0)
		return -1;
	if (changed != 1)
		return err_set(e, "store: certificate %lld is no precertificate's record",
		    (long long)cert_id);
	return 0;
}

int
pg_cert_complete(struct store *base, int64_t cert_id, const uint8_t *fingerprint,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, cert_complete(s, cert_id, fingerprint, e), e);
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

/* Both through the index on spki_sha256 (migration 6): the key's rows, then its NULLs. */
int
pg_cert_by_spki(struct store *base, const uint8_t spki[STORE_SPKI_HASH_LEN],
    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg,
    int64_t *unkeyed, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct cert_walk w = {cb, arg};
	struct pg_params p = {0};
	PGresult *r;

	pg_param_bytea(&p, spki, STORE_SPKI_HASH_LEN);
	if (pg_walk(s,
		"SELECT " PG_CERT_COLUMNS " FROM certificates c WHERE c.spki_sha256 = $1::bytea"
		" ORDER BY c.id",
		&p, "finding certificates by key", cert_row, &w, e) != 0)
		return -1;
	if (unkeyed == NULL)
		return 0;
	r = pg_exec(s, "SELECT count(*) FROM certificates WHERE spki_sha256 IS NULL", NULL,
	    "counting certificates without a key hash", e);
	if (r == NULL)
		return -1;
	*unkeyed = pg_int(r, 0, 0);
	PQclear(r);
	return 0;
}
