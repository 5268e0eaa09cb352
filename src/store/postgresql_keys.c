/*
 * postgresql_keys.c - the signer's tables in the PostgreSQL store: where
 * each issuer's keys are (issuer_keys: key_ref, key_pass_ref, ocsp_key_ref)
 * and what the signer has signed revoked (signed_revoked).
 *
 * Tables of their own, never columns of issuers, so that the server's
 * database role can be granted the other tables and not these.  A
 * STORE_READ handle (the server's) is refused here before any SQL, as the
 * SQLite store refuses its read-only handles (which never attach
 * private/keys.db): the contract's answer does not depend on how the roles
 * are set up.  A reference carrying a PIN is refused, as in SQLite.
 */
#include "store/postgresql_int.h"

#include <stdio.h>
#include <string.h>

#include "util/pkcs11_uri.h"

static int
refuse_read_only(const struct store_pg *s, struct err *e)
{
	if (s->mode == STORE_READ || s->mode == STORE_INTAKE)
		return err_set(e, "store: key references are not open to a read-only or intake "
				  "handle");
	return 0;
}

int
pg_keys_put(struct store_pg *s, int64_t issuer_id, const char *key_ref, const char *pass_ref,
    const char *ocsp_key_ref, struct err *e)
{
	struct pg_params p = {0};

	if (refuse_read_only(s, e) != 0 || pkcs11_uri_refuse_pin(key_ref, e) != 0 ||
	    pkcs11_uri_refuse_pin(ocsp_key_ref, e) != 0)
		return -1;
	pg_param_int(&p, issuer_id);
	if (key_ref != NULL) {
		pg_param_text(&p, key_ref);
		pg_param_text(&p, pass_ref != NULL ? pass_ref : "");
		return pg_run(s, "INSERT INTO issuer_keys (issuer_id, key_ref, key_pass_ref)"
				 " VALUES ($1::bigint, $2::text, $3::text) ON CONFLICT (issuer_id)"
				 " DO UPDATE SET key_ref = EXCLUDED.key_ref,"
				 " key_pass_ref = EXCLUDED.key_pass_ref",
		    &p, "recording the key", NULL, e);
	}
	pg_param_text(&p, ocsp_key_ref != NULL ? ocsp_key_ref : "");
	return pg_run(s, "INSERT INTO issuer_keys (issuer_id, ocsp_key_ref)"
			 " VALUES ($1::bigint, $2::text) ON CONFLICT (issuer_id)"
			 " DO UPDATE SET ocsp_key_ref = EXCLUDED.ocsp_key_ref",
	    &p, "recording the key", NULL, e);
}

int
pg_issuer_keys(struct store *base, int64_t issuer_id, struct store_issuer_keys *out,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};
	PGresult *r;
	int found;

	memset(out, 0, sizeof(*out));
	if (refuse_read_only(s, e) != 0)
		return -1;
	pg_param_int(&p, issuer_id);
	r = pg_exec(s, "SELECT key_ref, key_pass_ref, ocsp_key_ref FROM issuer_keys"
		       " WHERE issuer_id = $1::bigint", &p, "reading the key references", e);
	if (r == NULL)
		return -1;
	found = PQntuples(r) == 1;
	if (found) {
		snprintf(out->key_ref, sizeof(out->key_ref), "%s", PQgetvalue(r, 0, 0));
		snprintf(out->key_pass_ref, sizeof(out->key_pass_ref), "%s", PQgetvalue(r, 0, 1));
		snprintf(out->ocsp_key_ref, sizeof(out->ocsp_key_ref), "%s", PQgetvalue(r, 0, 2));
	}
	PQclear(r);
	return found;
}

int
pg_revoked_signed_add(struct store *base, int64_t issuer_id, const uint8_t *serial,
    size_t len, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pg_params p = {0};

	if (s->mode == STORE_READ || s->mode == STORE_INTAKE)
		return err_set(e, "store: the key store is not open (read-only or intake handle)");
	pg_param_int(&p, issuer_id);
	pg_param_bytea(&p, serial, len);
	return pg_run(s, "INSERT INTO signed_revoked (issuer_id, serial) VALUES ($1::bigint,"
			 " $2::bytea) ON CONFLICT DO NOTHING",
	    &p, "recording a signed revocation", NULL, e);
}

struct revoked_walk {
	int (*cb)(void *arg, int64_t issuer_id, const uint8_t *serial, size_t len);
	void *arg;
};

static int
revoked_row(void *arg, const PGresult *r, int i, struct err *e)
{
	struct revoked_walk *w = arg;
	size_t len;
	const uint8_t *serial = pg_bytes(r, i, 1, &len);

	if (w->cb(w->arg, pg_int(r, i, 0), serial, len) != 0)
		return err_set(e, "out of memory"); /* what the callback's failure means (SQLite's word) */
	return 0;
}

int
pg_revoked_signed_each(struct store *base,
    int (*cb)(void *arg, int64_t issuer_id, const uint8_t *serial, size_t len), void *arg,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct revoked_walk w = {cb, arg};

	if (s->mode == STORE_READ || s->mode == STORE_INTAKE)
		return err_set(e, "store: the key store is not open (read-only or intake handle)");
	return pg_walk(s, "SELECT issuer_id, serial FROM signed_revoked", NULL,
	    "reading the signed revocations", revoked_row, &w, e);
}
