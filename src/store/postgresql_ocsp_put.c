/*
 * postgresql_ocsp_put.c - the PostgreSQL backend's write of signed OCSP
 * responses (store_ocsp_put): a batch of n in one statement.
 *
 * The signer writes millions of responses, a batch of a few thousand at a
 * time.  One INSERT per response would cost a round trip each; a batch is
 * sent as eight arrays (one per column, and each row's place) in
 * PostgreSQL's binary array format, unnested on the server into one INSERT.
 * Binary arrays spare the hex escaping of every DER byte (text bytea
 * doubles it).  They are unnested in the select list, in step: unnest() in
 * FROM puts every row in a tuplestore first (18% slower on PostgreSQL 15).
 *
 * In the caller's transaction (the signer's), new rows go in by a binary
 * COPY instead (PG_OCSP_COPY, below), the statements around it doing what
 * the INSERT's other parts do.
 *
 * The INSERT is tried first as it is, the rows new (the signing of new
 * certificates, most of the work), and is written again as an upsert, ON
 * CONFLICT (cert_id, hash_alg) DO UPDATE (a rewritten response replaces the
 * old row), if a row was already there: PostgreSQL refuses the plain one
 * with unique_violation, and the caller's transaction, if any, goes back to
 * a savepoint taken before it.  On the 16-partition table the upsert costs
 * PostgreSQL 30-45% more per row than a plain INSERT (each row's
 * speculative insertion and conflict check).  After a batch that met a
 * stored row (a refresh rewrites every row), the next PG_OCSP_UPSERT_RUN
 * batches go to the upsert at once; then the plain one is tried again.
 *
 * The same statement takes the batch's n numbers from meta ocsp_seq (THE
 * CURSOR RULE, postgresql.c: the counter's row stays locked until commit,
 * so a reader loading "seq > the last seen" never skips a row that commits
 * later with a lower number) and gives r[i] the i-th of them, in array
 * order: as late in the transaction as can be, the lock held the shortest
 * time.  It also raises meta ocsp_cert_seq (the highest cert_seq of any
 * response, which spares store_certs_changed a probe above it) and
 * ocsp_newest (the newest thisUpdate, store_ocsp_future_due's test), where
 * they are kept.  With ocsp_cert_id, ocsp_cert_seq makes a seam: no
 * response has a (cert_seq, cert_id) above (ocsp_cert_seq, ocsp_cert_id),
 * so that the signer does not probe the responses for the rest of the
 * change_seq it is in the middle of (an import's 20,000 certificates share
 * one: 80% of them were probed).  The pair spans two rows, which one
 * statement cannot compare as of the same moment (its snapshot predates
 * the wait for ocsp_seq): in a transaction (the signer's) a second
 * statement sets ocsp_cert_id (PG_OCSP_SEAM_*); outside one, or where
 * unsure, ocsp_cert_id goes to INT64_MAX, which (as its absence, in a
 * store older than it) only makes the probe run.  A seam too high costs a
 * probe; too low would skip a certificate's probe and sign it again, so
 * nothing ever lowers it but a batch that raised ocsp_cert_seq.
 *
 * A (cert_id, hash) twice in one batch: the later one is written, as a
 * second INSERT OR REPLACE would.  PostgreSQL refuses to update one row twice
 * in a statement, so the earlier ones are left out here (a hash of the
 * batch's keys), and each row sent carries its place in the batch (ord) for
 * its seq.  Done in SQL (DISTINCT ON ... ORDER BY ord DESC), it sorted every
 * batch with its DER: 8,192 responses of RSA size are more than work_mem,
 * a sort on disk for every batch.
 */
#include "store/postgresql_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The arrays of one batch: the integer columns (ord: 1-based place in r[]), then der. */
enum {
	ARR_CERT,
	ARR_HASH,
	ARR_THIS,
	ARR_NEXT,
	ARR_DUE,
	ARR_CERT_SEQ,
	ARR_ORD,
	ARR_DER,
	ARR_COUNT
};

/*
 * The batch's statement, in two forms: PG_OCSP_INSERT (rows new) and
 * PG_OCSP_PUT (an upsert: ON CONFLICT ... DO UPDATE), the same but for the
 * conflict clause.
 */
#define PG_OCSP_WRITE(conflict)                                                             \
	"WITH c AS (UPDATE meta SET value = value + $9::bigint WHERE key = 'ocsp_seq'"         \
	"  RETURNING value),"                                                                 \
	" w AS (INSERT INTO ocsp_responses AS o (cert_id, hash_alg, this_update, next_update," \
	"  due_at, cert_seq, seq, der)"                                                       \
	"  SELECT u.cert_id, u.hash_alg, u.this_update, u.next_update, u.due_at, u.cert_seq,"  \
	"   c.value - $9::bigint + u.ord, u.der"                                              \
	"  FROM (SELECT unnest($1::bigint[]) AS cert_id, unnest($2::bigint[]) AS hash_alg,"  \
	"   unnest($4::bigint[]) AS this_update, unnest($5::bigint[]) AS next_update,"        \
	"   unnest($6::bigint[]) AS due_at, unnest($7::bigint[]) AS cert_seq,"                \
	"   unnest($8::bigint[]) AS ord, unnest($3::bytea[]) AS der) u, c"                    \
	conflict "),"                                                                         \
	" m AS (UPDATE meta SET value = CASE key WHEN 'ocsp_cert_seq' THEN $10::bigint"        \
	"  WHEN 'ocsp_cert_id' THEN 9223372036854775807 ELSE $11::bigint END"                 \
	"  WHERE (key = 'ocsp_cert_seq' AND value < $10::bigint)"                             \
	"  OR (key = 'ocsp_newest' AND value < $11::bigint)"                                  \
	"  OR (key = 'ocsp_cert_id' AND $12::int = 1 AND value < 9223372036854775807"          \
	"   AND $10::bigint >= (SELECT value FROM meta WHERE key = 'ocsp_cert_seq'))"          \
	"  RETURNING key)"                                                                    \
	" SELECT value, (SELECT count(*) FROM m WHERE key = 'ocsp_cert_seq') FROM c"
#define PG_OCSP_INSERT PG_OCSP_WRITE("")
#define PG_OCSP_PUT                                                                          \
	PG_OCSP_WRITE("  ON CONFLICT (cert_id, hash_alg) DO UPDATE SET"                       \
		      "   this_update = EXCLUDED.this_update, next_update = EXCLUDED.next_update," \
		      "   due_at = EXCLUDED.due_at, cert_seq = EXCLUDED.cert_seq,"                \
		      "   seq = EXCLUDED.seq, der = EXCLUDED.der")

/*
 * The seam's cert_id once the batch is written, in the writer's
 * transaction (see the header): $1 the batch's highest cert_seq, $2 the
 * highest cert_id among its rows of that cert_seq.  The batch raised
 * ocsp_cert_seq to $1: every response of that cert_seq is the batch's (a
 * writer with another holds ocsp_seq until it commits, and had raised it),
 * ocsp_cert_id is $2.  It did not: if ocsp_cert_seq is $1, the higher of
 * the two; else nothing.  A statement of its own: its snapshot sees what
 * every writer before committed, and none writes meanwhile (ocsp_seq).
 */
#define PG_OCSP_SEAM_RAISED                                                                  \
	"INSERT INTO meta (key, value) VALUES ('ocsp_cert_id', $2::bigint)"                    \
	" ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"                             \
	" WHERE (SELECT value FROM meta WHERE key = 'ocsp_cert_seq') = $1::bigint"
#define PG_OCSP_SEAM_SAME                                                                    \
	"UPDATE meta SET value = $2::bigint WHERE key = 'ocsp_cert_id' AND value < $2::bigint"  \
	" AND (SELECT value FROM meta WHERE key = 'ocsp_cert_seq') = $1::bigint"

/*
 * In a transaction (the signer's), a batch of new rows goes in with one
 * binary COPY instead of PG_OCSP_INSERT: no arrays to unnest, and COPY
 * writes each partition's heap a page of rows at a time (one WAL record a
 * page) and its indexes a partition's rows at a time (docs/BENCHMARKS.md,
 * session 16).  COPY computes nothing, so the statements around it do what
 * PG_OCSP_WRITE's parts did: the batch's numbers are taken from ocsp_seq
 * first (pg_counter_take, THE CURSOR RULE: held until commit), then, after
 * the COPY, PG_OCSP_META raises ocsp_cert_seq and ocsp_newest.  Its
 * snapshot is taken after ocsp_seq was: it sees every writer before this
 * one committed, and none writes meanwhile, so it knows whether this batch
 * raised ocsp_cert_seq, which the seam statement then needs (as
 * PG_OCSP_WRITE's m and its count).
 */
#define PG_OCSP_COPY                                                                         \
	"COPY ocsp_responses (cert_id, hash_alg, this_update, next_update, due_at, cert_seq,"  \
	" seq, der) FROM STDIN (FORMAT binary)"
#define PG_OCSP_COPY_FIELDS 8
#define PG_OCSP_META                                                                         \
	"WITH m AS (UPDATE meta SET value = CASE key WHEN 'ocsp_cert_seq' THEN $1::bigint"     \
	"  ELSE $2::bigint END"                                                               \
	"  WHERE (key = 'ocsp_cert_seq' AND value < $1::bigint)"                              \
	"  OR (key = 'ocsp_newest' AND value < $2::bigint) RETURNING key)"                     \
	" SELECT count(*) FROM m WHERE key = 'ocsp_cert_seq'"

/* After a batch that met a stored row, this many more go straight to the upsert. */
#define PG_OCSP_UPSERT_RUN 16

#define PG_OCSP_WHAT "storing OCSP responses"

/*
 * skip[i] = 1 for each r[i] whose (cert_id, hash) comes again later in
 * r[0..n-1]: open addressing over 2n..4n slots, walked from the end so that
 * the later one is kept.  The number kept, or 0 out of memory.
 */
static size_t
batch_dedupe(const struct ocsp_record *r, size_t n, uint8_t *skip)
{
	size_t slots = 2, kept = 0;
	size_t *slot;

	while (slots < 2 * n)
		slots *= 2;
	if ((slot = malloc(slots * sizeof(*slot))) == NULL)
		return 0;
	for (size_t k = 0; k < slots; k++)
		slot[k] = SIZE_MAX;
	for (size_t i = n; i-- > 0;) {
		uint64_t h = ((uint64_t)r[i].cert_id * 2 + (r[i].hash == OCSP_HASH_SHA256)) *
			     UINT64_C(0x9e3779b97f4a7c15);
		size_t k = (size_t)(h >> 32) & (slots - 1);

		while (slot[k] != SIZE_MAX &&
		       (r[slot[k]].cert_id != r[i].cert_id || r[slot[k]].hash != r[i].hash))
			k = (k + 1) & (slots - 1);
		skip[i] = slot[k] != SIZE_MAX;
		if (!skip[i]) {
			slot[k] = i;
			kept++;
		}
	}
	free(slot);
	return kept;
}

/* The arrays of the m rows of r[0..n-1] not skipped; -1 out of memory (the caller frees). */
static int
arrays_build(struct pg_array *a, const struct ocsp_record *r, size_t n, const uint8_t *skip,
    size_t m)
{
	size_t der = 20;

	for (int k = 0; k < ARR_DER; k++) {
		if (pg_array_start(&a[k], 20 + m * 12, m, PG_OID_INT8) == NULL)
			return -1;
	}
	for (size_t i = 0; i < n; i++)
		der += skip[i] ? 0 : 4 + r[i].der_len;
	if (pg_array_start(&a[ARR_DER], der, m, PG_OID_BYTEA) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (skip[i])
			continue;
		pg_array_int(&a[ARR_CERT], r[i].cert_id);
		pg_array_int(&a[ARR_HASH], r[i].hash);
		pg_array_int(&a[ARR_THIS], r[i].this_update);
		pg_array_int(&a[ARR_NEXT], r[i].next_update);
		pg_array_int(&a[ARR_DUE], r[i].due_at);
		pg_array_int(&a[ARR_CERT_SEQ], r[i].cert_seq);
		pg_array_int(&a[ARR_ORD], (int64_t)i + 1);
		pg_array_bytes(&a[ARR_DER], r[i].der, r[i].der_len);
	}
	return 0;
}

/*
 * The batch as new rows (PG_OCSP_INSERT), inside a savepoint when the
 * caller has a transaction open: *out its result and 1; 0 when it was not
 * written, so that the caller upserts (a row was there: unique_violation,
 * the savepoint rolled back; or, outside a transaction, any failure: the
 * upsert reconnects, runs again and says what failed); -1 on an error the
 * upsert cannot mend (*e; the caller's transaction must roll back).
 */
static int
ocsp_insert_new(struct store_pg *s, const struct pg_params *p, PGresult **out, struct err *e)
{
	const char *name;
	PGresult *res;
	int txn = s->in_txn;

	if (pg_conn_lost(s))
		return 0;
	if ((name = pg_prepared_name(s, PG_STMT_OCSP_INSERT, PG_OCSP_INSERT, PG_OCSP_WHAT, e)) ==
		NULL)
		return txn ? -1 : 0;
	if (txn && pg_exec_simple(s, "SAVEPOINT lancre_ocsp_put", PG_OCSP_WHAT, e) != 0)
		return -1;
	res = PQexecPrepared(s->conn, name, p->n, p->values, p->lengths, p->formats, 1);
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
		*out = res;
		return txn && pg_exec_simple(s, "RELEASE SAVEPOINT lancre_ocsp_put", PG_OCSP_WHAT, e)
				  != 0 ? -1 : 1;
	}
	if (strcmp(pg_sqlstate(res), PG_UNIQUE_VIOLATION) == 0 || !txn) {
		PQclear(res);
		return txn ? pg_exec_simple(s,
				 "ROLLBACK TO SAVEPOINT lancre_ocsp_put; RELEASE SAVEPOINT lancre_ocsp_put",
				 PG_OCSP_WHAT, e) : 0;
	}
	pg_err(s, res, PG_OCSP_WHAT, e);
	PQclear(res);
	return -1;
}

/* The m rows of r[0..n-1] not skipped as COPY data, r[i]'s seq last - n + 1 + i. */
static void
copy_data(struct pg_bin *c, const struct ocsp_record *r, size_t n, const uint8_t *skip,
    int64_t last)
{
	pg_bin_header(c);
	for (size_t i = 0; i < n; i++) {
		if (skip[i])
			continue;
		pg_bin_row(c, PG_OCSP_COPY_FIELDS);
		pg_bin_int(c, r[i].cert_id, 8);
		pg_bin_int(c, r[i].hash, 2);
		pg_bin_int(c, r[i].this_update, 8);
		pg_bin_int(c, r[i].next_update, 8);
		pg_bin_int(c, r[i].due_at, 8);
		pg_bin_int(c, r[i].cert_seq, 8);
		pg_bin_int(c, last - (int64_t)n + 1 + (int64_t)i, 8);
		pg_bin_bytes(c, r[i].der, r[i].der_len);
	}
	pg_bin_end(c);
}

/*
 * The batch as new rows, in the caller's transaction, inside a savepoint
 * (PG_OCSP_COPY; see above): 1, *last the highest number taken and *raised
 * whether ocsp_cert_seq was; 0 when a row was there already
 * (unique_violation: the savepoint rolled back, ocsp_seq with it, so that
 * the caller upserts); -1 on any other failure (*e; the caller's
 * transaction must roll back).
 */
static int
ocsp_copy_new(struct store_pg *s, const struct ocsp_record *r, size_t n, const uint8_t *skip,
    int64_t cert_seq, int64_t newest, int64_t *last, int *raised, struct err *e)
{
	struct pg_bin c = {0};
	struct pg_params p = {0};
	PGresult *res = NULL;
	int rc = -1;

	if (pg_conn_lost(s))
		return 0; /* the upsert says what failed */
	if (pg_exec_simple(s, "SAVEPOINT lancre_ocsp_put", PG_OCSP_WHAT, e) != 0 ||
	    pg_counter_take(s, "ocsp_seq", (int64_t)n, last, e) != 0)
		return -1;
	copy_data(&c, r, n, skip, *last);
	if (c.failed || c.len > INT_MAX) {
		err_set(e, "store: %s: out of memory", PG_OCSP_WHAT);
		goto out;
	}
	if ((res = pg_copy_in(s, PG_OCSP_COPY, &c, PG_OCSP_WHAT, e)) == NULL)
		goto out;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		if (strcmp(pg_sqlstate(res), PG_UNIQUE_VIOLATION) == 0)
			rc = pg_exec_simple(s,
				 "ROLLBACK TO SAVEPOINT lancre_ocsp_put; RELEASE SAVEPOINT lancre_ocsp_put",
				 PG_OCSP_WHAT, e) != 0 ? -1 : 0;
		else
			pg_err(s, res, PG_OCSP_WHAT, e);
		goto out;
	}
	PQclear(res);
	pg_param_int(&p, cert_seq);
	pg_param_int(&p, newest);
	if ((res = pg_exec(s, PG_OCSP_META, &p, PG_OCSP_WHAT, e)) == NULL)
		goto out;
	*raised = PQntuples(res) == 1 && pg_int(res, 0, 0) > 0;
	rc = pg_exec_simple(s, "RELEASE SAVEPOINT lancre_ocsp_put", PG_OCSP_WHAT, e) != 0 ? -1 : 1;
out:
	PQclear(res);
	free(c.b);
	return rc;
}

/*
 * Run the batch's statement: as new rows first if try_new; then, if that
 * did not write it, as the upsert.  A row
 * written meanwhile by another writer is a unique_violation like any
 * other: the upsert then writes the batch, as it always did.
 */
static PGresult *
ocsp_write(struct store_pg *s, const struct pg_params *p, int try_new, struct err *e)
{
	PGresult *res = NULL;
	int rc = 0;

	if (try_new && (rc = ocsp_insert_new(s, p, &res, e)) == 0)
		s->ocsp_upsert_left = PG_OCSP_UPSERT_RUN;
	if (rc < 0) {
		PQclear(res);
		return NULL;
	}
	if (rc > 0)
		return res;
	return pg_exec_prepared(s, PG_STMT_OCSP_PUT, PG_OCSP_PUT, p, PG_OCSP_WHAT, e);
}

/* Write r[0..n-1] (n > 0) and set their seq. */
static int
ocsp_put(struct store_pg *s, struct ocsp_record *r, size_t n, struct err *e)
{
	static const int order[ARR_COUNT] = {ARR_CERT, ARR_HASH, ARR_DER, ARR_THIS, ARR_NEXT,
	    ARR_DUE, ARR_CERT_SEQ, ARR_ORD}; /* $1..$8 */
	struct pg_array a[ARR_COUNT] = {{0}};
	struct pg_params p = {0};
	int64_t cert_seq = 0, cert_id = 0, newest = 0, last = 0;
	uint8_t *skip = malloc(n);
	PGresult *res = NULL;
	size_t m;
	int rc = -1, txn = s->in_txn, try_new = 1, got = 0, raised = 0;

	for (size_t i = 0; i < n; i++) {
		if (r[i].cert_seq > cert_seq || (r[i].cert_seq == cert_seq && r[i].cert_id > cert_id)) {
			cert_seq = r[i].cert_seq;
			cert_id = r[i].cert_id;
		}
		if (r[i].this_update > newest)
			newest = r[i].this_update;
	}
	if (skip == NULL || (m = batch_dedupe(r, n, skip)) == 0) {
		err_set(e, "store: out of memory");
		goto out;
	}
	if (s->ocsp_upsert_left > 0) {
		s->ocsp_upsert_left--;
		try_new = 0;
	} else if (txn) {
		if ((got = ocsp_copy_new(s, r, n, skip, cert_seq, newest, &last, &raised, e)) < 0)
			goto out;
		if (got == 0) {
			s->ocsp_upsert_left = PG_OCSP_UPSERT_RUN;
			try_new = 0;
		}
	}
	if (got == 0) {
		if (arrays_build(a, r, n, skip, m) != 0) {
			err_set(e, "store: out of memory");
			goto out;
		}
		for (int k = 0; k < ARR_COUNT; k++)
			pg_param_bytea(&p, a[order[k]].buf, a[order[k]].len);
		pg_param_int(&p, (int64_t)n);
		pg_param_int(&p, cert_seq);
		pg_param_int(&p, newest);
		pg_param_int(&p, !txn);
		if ((res = ocsp_write(s, &p, try_new, e)) == NULL)
			goto out;
		if (PQntuples(res) != 1) {
			err_set(e, "store: storing OCSP responses: no ocsp_seq counter");
			goto out;
		}
		last = pg_int(res, 0, 0);
		raised = pg_int(res, 0, 1) > 0;
	}
	if (txn) {
		struct pg_params q = {0};

		pg_param_int(&q, cert_seq);
		pg_param_int(&q, cert_id);
		if (pg_run(s, raised ? PG_OCSP_SEAM_RAISED : PG_OCSP_SEAM_SAME, &q, PG_OCSP_WHAT,
			NULL, e) != 0)
			goto out;
	}
	for (size_t i = 0; i < n; i++)
		r[i].seq = last - (int64_t)n + 1 + (int64_t)i;
	rc = 0;
out:
	PQclear(res);
	free(skip);
	for (int k = 0; k < ARR_COUNT; k++)
		free(a[k].buf);
	return rc;
}

/* One statement: atomic on its own, or part of the caller's transaction. */
int
pg_ocsp_put(struct store *base, struct ocsp_record *r, size_t n, struct err *e)
{
	return n > 0 ? ocsp_put((struct store_pg *)base, r, n, e) : 0;
}
