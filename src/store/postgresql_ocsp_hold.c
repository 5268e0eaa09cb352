/*
 * postgresql_ocsp_hold.c - the PostgreSQL backend's held responses: those
 * of an issuer the signer cannot sign for while its key fails to load.
 *
 * Left due, every pass of the signer (five a second) would read them again
 * and pass them over.  Holding sets their due_at to PG_DUE_HELD, past any
 * time, so the due index no longer offers them; it touches only responses
 * due now (found through the due index, then both hashes of each).  Meta
 * ocsp_held_<issuer id> records that the issuer has some held, so that
 * releasing (when its key loads, in this process or after a restart) costs
 * one read when there are none; with some, they become due at 0.  Each is
 * one statement, its meta row written in the same one.
 */
#include "store/postgresql_int.h"

#include <stdint.h>
#include <stdio.h>

/* A held response's due_at: past any time, never due (as SQLite's). */
#define PG_DUE_HELD (INT64_MAX - 1)
#define PG_HELD_KEY_MAX 48 /* "ocsp_held_" and a 64-bit id */

static void
held_key(char *key, size_t size, int64_t issuer_id)
{
	snprintf(key, size, "ocsp_held_%lld", (long long)issuer_id);
}

/*
 * $1 issuer, $2 now, $3 held, $4 the meta key.  The certificates whose SHA-1
 * response is due (the due index), then both of their responses due.
 */
#define PG_OCSP_HOLD                                                                         \
	"WITH h AS (UPDATE ocsp_responses SET due_at = $3::bigint"                             \
	"  WHERE due_at <= $2::bigint AND cert_id IN (SELECT r.cert_id FROM ocsp_responses r" \
	"   JOIN certificates c ON c.id = r.cert_id WHERE r.hash_alg = 1"                     \
	"   AND r.due_at <= $2::bigint AND c.issuer_id = $1::bigint) RETURNING 1),"           \
	" m AS (INSERT INTO meta (key, value) SELECT $4::text, 1 WHERE EXISTS (SELECT 1 FROM h)" \
	"  ON CONFLICT (key) DO UPDATE SET value = 1)"                                        \
	" SELECT count(*) FROM h"

int
pg_ocsp_hold(struct store *base, int64_t issuer_id, int64_t now, int64_t *n, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	char key[PG_HELD_KEY_MAX];
	struct pg_params p = {0};
	PGresult *r;

	*n = 0;
	held_key(key, sizeof(key), issuer_id);
	pg_param_int(&p, issuer_id);
	pg_param_int(&p, now);
	pg_param_int(&p, PG_DUE_HELD);
	pg_param_text(&p, key);
	if ((r = pg_exec(s, PG_OCSP_HOLD, &p, "holding OCSP responses", e)) == NULL)
		return -1;
	*n = PQntuples(r) == 1 ? pg_int(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}

/* $1 issuer, $2 held, $3 the meta key: every held response of the issuer due at 0. */
#define PG_OCSP_RELEASE                                                                      \
	"WITH h AS (UPDATE ocsp_responses SET due_at = 0 WHERE due_at = $2::bigint"            \
	"  AND cert_id IN (SELECT r.cert_id FROM ocsp_responses r"                            \
	"   JOIN certificates c ON c.id = r.cert_id WHERE r.hash_alg = 1"                     \
	"   AND r.due_at = $2::bigint AND c.issuer_id = $1::bigint) RETURNING 1),"            \
	" m AS (UPDATE meta SET value = 0 WHERE key = $3::text)"                              \
	" SELECT count(*) FROM h"

int
pg_ocsp_release(struct store *base, int64_t issuer_id, int64_t *n, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	char key[PG_HELD_KEY_MAX];
	struct pg_params p = {0};
	PGresult *r;
	int64_t v;
	int found;

	*n = 0;
	held_key(key, sizeof(key), issuer_id);
	if ((found = pg_meta_get(s, key, &v, e)) <= 0 || v == 0)
		return found < 0 ? -1 : 0;
	pg_param_int(&p, issuer_id);
	pg_param_int(&p, PG_DUE_HELD);
	pg_param_text(&p, key);
	if ((r = pg_exec(s, PG_OCSP_RELEASE, &p, "releasing held OCSP responses", e)) == NULL)
		return -1;
	*n = PQntuples(r) == 1 ? pg_int(r, 0, 0) : 0;
	PQclear(r);
	return 0;
}
