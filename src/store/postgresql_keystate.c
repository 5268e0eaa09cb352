/*
 * postgresql_keystate.c - what the signer tells the server through the
 * PostgreSQL store, as the SQLite store keeps it (sqlite_keystate.c): which
 * issuers it can sign for (meta key_ok_<issuer id> = 1 or 0), how often it
 * refused to sign (meta refused_<reason>), and meta key_seq, raised with
 * each change so that the server, which polls counters, sees a change
 * without reading every row.  key_seq is taken like every counter (THE
 * CURSOR RULE, postgresql.c).  Only a change of state is written.
 */
#include "store/postgresql_int.h"

#include <stdio.h>

#define PG_KEYSTATE_KEY_MAX 48 /* "key_ok_" and a 64-bit id */

/* The meta rows of store_refusals_*, by enum store_refusal. */
static const char *const refusal_keys[STORE_REFUSED_COUNT] = {
    [STORE_REFUSED_REVOKED_BEFORE] = "refused_revoked_before",
    [STORE_REFUSED_NO_CERTIFICATE] = "refused_no_certificate",
    [STORE_REFUSED_BAD_ISSUER] = "refused_bad_issuer",
};

static void
state_key(char *key, size_t size, int64_t issuer_id)
{
	snprintf(key, size, "key_ok_%lld", (long long)issuer_id);
}

static int
state_set(struct store_pg *s, const char *key, int available, struct err *e)
{
	int64_t seq;

	if (pg_meta_set(s, key, available != 0, e) != 0)
		return -1;
	return pg_counter_take(s, "key_seq", 1, &seq, e);
}

int
pg_key_state_set(struct store *base, int64_t issuer_id, int available, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	char key[PG_KEYSTATE_KEY_MAX];
	int64_t v;
	int own, found;

	state_key(key, sizeof(key), issuer_id);
	if ((found = pg_meta_get(s, key, &v, e)) < 0)
		return -1;
	if (found && v == (available != 0))
		return 0; /* no change: nothing written */
	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, state_set(s, key, available, e), e);
}

int
pg_key_state_get(struct store *base, int64_t issuer_id, int *available, int64_t *seq,
    struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	char key[PG_KEYSTATE_KEY_MAX];
	int64_t v;
	int found;

	*available = -1;
	if (pg_meta_get(s, "key_seq", seq, e) < 0)
		return -1;
	if (issuer_id <= 0)
		return 0;
	state_key(key, sizeof(key), issuer_id);
	if ((found = pg_meta_get(s, key, &v, e)) < 0)
		return -1;
	if (found)
		*available = v != 0;
	return 0;
}

/* Add add[r] to each refusal count and raise key_seq, in the caller's transaction. */
static int
refusals_add(struct store_pg *s, const int64_t *add, struct err *e)
{
	int64_t seq;

	for (int r = 0; r < STORE_REFUSED_COUNT; r++) {
		struct pg_params p = {0};

		if (add[r] == 0)
			continue;
		pg_param_text(&p, refusal_keys[r]);
		pg_param_int(&p, add[r]);
		if (pg_run(s, "INSERT INTO meta (key, value) VALUES ($1::text, $2::bigint)"
			      " ON CONFLICT (key) DO UPDATE SET value = meta.value + EXCLUDED.value",
			&p, "counting refusals", NULL, e) != 0)
			return -1;
	}
	return pg_counter_take(s, "key_seq", 1, &seq, e);
}

int
pg_refusals_add(struct store *base, const int64_t add[STORE_REFUSED_COUNT], struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	int own, any = 0;

	for (int r = 0; r < STORE_REFUSED_COUNT; r++)
		any |= add[r] != 0;
	if (!any)
		return 0;
	if (pg_txn_enter(s, &own, e) != 0)
		return -1;
	return pg_txn_leave(s, own, refusals_add(s, add, e), e);
}

int
pg_refusals_get(struct store *base, int64_t out[STORE_REFUSED_COUNT], struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;

	for (int r = 0; r < STORE_REFUSED_COUNT; r++) {
		out[r] = 0;
		if (pg_meta_get(s, refusal_keys[r], &out[r], e) < 0)
			return -1;
	}
	return 0;
}
