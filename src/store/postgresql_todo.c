/*
 * postgresql_todo.c - the PostgreSQL backend's operations not written yet:
 * each fails with one line saying so.  One entry per operation, deleted by
 * whoever writes it (in its own file: postgresql_ocsp.c, postgresql_crl.c,
 * ...), so that nobody else's file changes.
 */
#include "store/postgresql_int.h"

/* The stubs take the operation's parameters and use only e. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define PG_TODO(name, params)                                                                \
	int pg_##name params                                                                     \
	{                                                                                        \
		return err_set(e, "store: " #name ": not implemented in the PostgreSQL backend yet"); \
	}

/* Engineer B's (postgresql_ocsp.c, postgresql_crl.c). */
PG_TODO(certs_changed, (struct store *s, struct store_cursor *after, int64_t min_not_after,
    struct cert_record *out, size_t max, size_t *n, struct err *e))
PG_TODO(ocsp_due, (struct store *s, int64_t now, int64_t min_not_after,
    struct store_cursor *after, struct cert_record *out, size_t max, size_t *n,
    struct err *e))
PG_TODO(ocsp_refresh_done, (struct store *s, int64_t now, int64_t min_not_after,
    struct err *e))
PG_TODO(ocsp_put, (struct store *s, struct ocsp_record *r, size_t n, struct err *e))
PG_TODO(signed_upto_get, (struct store *s, struct store_signed_upto *u, struct err *e))
PG_TODO(signed_upto_set, (struct store *s, const struct store_signed_upto *u,
    struct err *e))
PG_TODO(ocsp_purge, (struct store *s, int64_t expired_before, int64_t *deleted,
    struct err *e))
PG_TODO(ocsp_future_due, (struct store *s, int64_t after, int64_t *newest, int64_t *n,
    struct err *e))
PG_TODO(ocsp_hold, (struct store *s, int64_t issuer_id, int64_t now, int64_t *n,
    struct err *e))
PG_TODO(ocsp_release, (struct store *s, int64_t issuer_id, int64_t *n, struct err *e))
PG_TODO(ocsp_each, (struct store *s, int64_t after_seq,
    int (*cb)(void *arg, const struct ocsp_record *r), void *arg, struct err *e))
PG_TODO(crl_get, (struct store *s, int64_t issuer_id, int shard, struct crl_record *out,
    struct err *e))
PG_TODO(crl_put, (struct store *s, struct crl_record *r, struct err *e))
PG_TODO(crl_each, (struct store *s, int (*cb)(void *arg, const struct crl_record *r,
    struct err *e), void *arg, struct err *e))
PG_TODO(crl_entries, (struct store *s, int64_t issuer_id, int shard, int64_t min_not_after,
    int64_t after_seq, int (*cb)(void *arg, const struct cert_record *c, struct err *e),
    void *arg, struct err *e))
PG_TODO(revoked_since, (struct store *s, int64_t after_seq, int (*cb)(void *arg,
    int64_t issuer_id, int shard, int64_t seq, struct err *e), void *arg, struct err *e))

/* cursor_passed has no struct err: until written, no cursor has passed anything. */
int
pg_cursor_passed(struct store *s, const struct store_cursor *at, const struct cert_record *c)
{
	(void)s;
	(void)at;
	(void)c;
	return 0;
}
