/*
 * postgresql_issuer.c - issuers in the PostgreSQL store: adding and listing
 * them, a delegated OCSP responder, a new key reference, retirement, and
 * what kinds of certificates an issuer has.
 *
 * Each change to an issuer takes the next issuer_seq in its transaction
 * (pg_issuer_changed, under THE CURSOR RULE), which is how a running signer
 * learns that it must reload its issuers and their keys.  Key references go
 * to issuer_keys (postgresql_keys.c) in the same transaction.  Issuers are
 * listed by name in byte order (COLLATE "C"), as SQLite orders them,
 * whatever the database's collation.
 */
#include "store/postgresql_int.h"

#include <stdlib.h>
#include <string.h>

static int
issuer_add(struct store_pg *s, struct issuer_record *r, const struct store_issuer_keys *k,
    struct err *e)
{
	struct pg_params p = {0};
	PGresult *res;

	r->has_key = k != NULL && k->key_ref[0] != '\0';
	pg_param_text(&p, r->name);
	pg_param_bytea(&p, r->cert_der, r->cert_len);
	pg_param_int(&p, r->crl_shards);
	pg_param_int(&p, r->added_at);
	pg_param_int(&p, r->has_key);
	res = PQexecParams(s->conn,
	    "INSERT INTO issuers (name, cert, crl_shards, added_at, has_key)"
	    " VALUES ($1::text, $2::bytea, $3::int, $4::bigint, $5::int <> 0) RETURNING id",
	    p.n, NULL, p.values, p.lengths, p.formats, 1);
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
		r->id = pg_int(res, 0, 0);
		PQclear(res);
	} else {
		if (strcmp(pg_sqlstate(res), PG_UNIQUE_VIOLATION) == 0)
			err_set(e, "an issuer named '%s' already exists", r->name);
		else
			pg_err(s, res, "adding an issuer", e);
		PQclear(res);
		return -1;
	}
	if (k != NULL && (k->key_ref[0] != '\0' || k->key_pass_ref[0] != '\0') &&
	    pg_keys_put(s, r->id, k->key_ref, k->key_pass_ref, NULL, e) != 0)
		return -1;
	return pg_issuer_changed(s, e);
}

int
pg_issuer_add(struct store *base, struct issuer_record *r, const struct store_issuer_keys *keys,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, issuer_add(s, r, keys, e), e);
}

/* Row i of the issuers listing into *r (its buffers allocated): -1 out of memory. */
static int
issuer_row(const PGresult *res, int i, struct issuer_record *r)
{
	size_t len;
	const uint8_t *name = pg_bytes(res, i, 1, &len);

	memset(r, 0, sizeof(*r));
	r->id = pg_int(res, i, 0);
	if (len > STORE_ISSUER_NAME_MAX)
		len = STORE_ISSUER_NAME_MAX;
	memcpy(r->name, name != NULL ? name : (const uint8_t *)"", name != NULL ? len : 0);
	if (pg_bytes_dup(res, i, 2, &r->cert_der, &r->cert_len) != 0)
		return -1;
	if (r->cert_der == NULL && (r->cert_der = malloc(1)) == NULL)
		return -1;
	r->has_key = pg_int(res, i, 3) != 0;
	r->crl_shards = (int)pg_int(res, i, 4);
	r->added_at = pg_int(res, i, 5);
	if (pg_bytes_dup(res, i, 6, &r->ocsp_cert_der, &r->ocsp_cert_len) != 0)
		return -1;
	r->retired_at = pg_int(res, i, 7);
	return 0;
}

int
pg_issuer_list(struct store *base, struct issuer_record **out, size_t *n, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct issuer_record *v;
	PGresult *res;
	int rows;

	res = pg_exec(s, "SELECT id, name, cert, has_key, crl_shards, added_at, ocsp_cert,"
			 " retired_at FROM issuers ORDER BY name COLLATE \"C\"", NULL,
	    "listing issuers", e);
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	v = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*v));
	if (v == NULL) {
		PQclear(res);
		return err_set(e, "store: out of memory");
	}
	for (int i = 0; i < rows; i++) {
		if (issuer_row(res, i, &v[i]) != 0) {
			PQclear(res);
			issuer_records_free(v, (size_t)i + 1);
			return err_set(e, "store: out of memory");
		}
	}
	PQclear(res);
	*out = v;
	*n = (size_t)rows;
	return 0;
}

/* UPDATE issuers ... WHERE id = issuer_id (its last parameter) that must change one row. */
static int
issuer_update(struct store_pg *s, const char *sql, const struct pg_params *p, int64_t issuer_id,
    const char *what, const char *missing, struct err *e)
{
	int64_t changed;

	if (pg_run(s, sql, p, what, &changed, e) != 0)
		return -1;
	if (changed != 1)
		return err_set(e, "store: issuer %lld %s", (long long)issuer_id, missing);
	return 0;
}

static int
set_ocsp_signer(struct store_pg *s, int64_t issuer_id, const uint8_t *der, size_t len,
    const char *key_ref, struct err *e)
{
	struct pg_params p = {0}, q = {0};

	if (der != NULL)
		pg_param_bytea(&p, der, len);
	else
		pg_param_null(&p);
	pg_param_int(&p, issuer_id);
	if (issuer_update(s, "UPDATE issuers SET ocsp_cert = $1::bytea WHERE id = $2::bigint", &p,
		issuer_id, "recording the OCSP responder", "not found", e) != 0 ||
	    pg_keys_put(s, issuer_id, NULL, NULL, der != NULL ? key_ref : "", e) != 0)
		return -1;
	/* Every response of the issuer was signed by the old responder: re-sign them all. */
	pg_param_int(&q, issuer_id);
	if (pg_run(s, "UPDATE ocsp_responses SET due_at = 0 WHERE cert_id IN"
		      " (SELECT id FROM certificates WHERE issuer_id = $1::bigint)",
		&q, "scheduling re-signing", NULL, e) != 0)
		return -1;
	return pg_issuer_changed(s, e);
}

int
pg_issuer_set_ocsp_signer(struct store *base, int64_t issuer_id, const uint8_t *der,
    size_t len, const char *key_ref, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, set_ocsp_signer(s, issuer_id, der, len, key_ref, e), e);
}

static int
set_key(struct store_pg *s, int64_t issuer_id, const char *key_ref, const char *pass_ref,
    struct err *e)
{
	struct pg_params p = {0};

	pg_param_int(&p, issuer_id);
	if (issuer_update(s, "UPDATE issuers SET has_key = true WHERE id = $1::bigint", &p,
		issuer_id, "recording the key", "not found", e) != 0 ||
	    pg_keys_put(s, issuer_id, key_ref, pass_ref, NULL, e) != 0)
		return -1;
	return pg_issuer_changed(s, e);
}

int
pg_issuer_set_key(struct store *base, int64_t issuer_id, const char *key_ref,
    const char *pass_ref, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, set_key(s, issuer_id, key_ref, pass_ref, e), e);
}

static int
retire(struct store_pg *s, int64_t issuer_id, int64_t at, struct err *e)
{
	struct pg_params p = {0};

	pg_param_int(&p, at);
	pg_param_int(&p, issuer_id);
	if (issuer_update(s, "UPDATE issuers SET retired_at = $1::bigint WHERE id = $2::bigint"
			     " AND retired_at = 0",
		&p, issuer_id, "retiring the issuer", "not found or already retired", e) != 0)
		return -1;
	return pg_issuer_changed(s, e);
}

int
pg_issuer_retire(struct store *base, int64_t issuer_id, int64_t at, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own;

	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, retire(s, issuer_id, at, e), e);
}

/*
 * Two EXISTS probes: CA certificates through the partial index
 * certificates_ca, end-entity ones through (issuer_id, serial); the latest
 * notAfter only when asked (it reads all of the issuer's certificates).
 */
int
pg_issuer_certs(struct store *base, int64_t issuer_id, int with_expiry,
    struct store_issuer_certs *out, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;

	memset(out, 0, sizeof(*out));
	pg_param_int(&p, issuer_id);
	r = pg_exec(s,
	    with_expiry
		? "SELECT EXISTS (SELECT 1 FROM certificates WHERE issuer_id = $1::bigint AND is_ca),"
		  " EXISTS (SELECT 1 FROM certificates WHERE issuer_id = $1::bigint AND NOT is_ca),"
		  " (SELECT coalesce(max(not_after), 0) FROM certificates"
		  " WHERE issuer_id = $1::bigint)"
		: "SELECT EXISTS (SELECT 1 FROM certificates WHERE issuer_id = $1::bigint AND is_ca),"
		  " EXISTS (SELECT 1 FROM certificates WHERE issuer_id = $1::bigint AND NOT is_ca),"
		  " 0::bigint",
	    &p, "reading an issuer's certificates", e);
	if (r == NULL)
		return -1;
	out->has_ca = pg_int(r, 0, 0) != 0;
	out->has_ee = pg_int(r, 0, 1) != 0;
	out->last_not_after = pg_int(r, 0, 2);
	PQclear(r);
	return 0;
}
