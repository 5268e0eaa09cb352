/*
 * backend.h - what a store backend provides, and how one is opened.  For
 * store.c, the backends (src/store/sqlite*.c) and tests that wrap a backend;
 * callers of the store include store/store.h only.
 *
 * Every operation of the contract is listed once, in STORE_OPS below, as
 * X(name, parameters, arguments).  From that one list come the ops table's
 * fields (here), the forwarders store_<name>() (store.c), each backend's
 * declarations and its table (sqlite_int.h, sqlite.c).  The documented
 * prototypes stay written out in store.h, where a reader of the contract
 * and grep find them; the compiler checks each against the forwarder the
 * list generates, so they cannot drift apart.  Adding an operation: one
 * line here, its prototype and comment in store.h, its body in each backend.
 * Every operation returns int (0 / 1 found, -1 error with *e set); close,
 * which cannot fail, and the open are apart.
 */
#ifndef LANCRE_STORE_BACKEND_H
#define LANCRE_STORE_BACKEND_H

#include "store/store.h"

/* clang-format off */
#define STORE_OPS(X)                                                                             \
	X(begin, (struct store *s, struct err *e), (s, e))                                        \
	X(commit, (struct store *s, struct err *e), (s, e))                                       \
	X(rollback, (struct store *s, struct err *e), (s, e))                                     \
	X(issuer_add, (struct store *s, struct issuer_record *r,                                  \
	    const struct store_issuer_keys *keys, struct err *e), (s, r, keys, e))                \
	X(issuer_keys, (struct store *s, int64_t issuer_id, struct store_issuer_keys *out,        \
	    struct err *e), (s, issuer_id, out, e))                                               \
	X(revoked_signed_add, (struct store *s, int64_t issuer_id, const uint8_t *serial,         \
	    size_t len, struct err *e), (s, issuer_id, serial, len, e))                           \
	X(revoked_signed_each, (struct store *s, int (*cb)(void *arg, int64_t issuer_id,          \
	    const uint8_t *serial, size_t len), void *arg, struct err *e), (s, cb, arg, e))       \
	X(issuer_list, (struct store *s, struct issuer_record **out, size_t *n, struct err *e),   \
	    (s, out, n, e))                                                                       \
	X(issuer_set_ocsp_signer, (struct store *s, int64_t issuer_id, const uint8_t *der,        \
	    size_t len, const char *key_ref, struct err *e), (s, issuer_id, der, len, key_ref, e)) \
	X(issuer_set_key, (struct store *s, int64_t issuer_id, const char *key_ref,               \
	    const char *pass_ref, struct err *e), (s, issuer_id, key_ref, pass_ref, e))           \
	X(issuer_retire, (struct store *s, int64_t issuer_id, int64_t at, struct err *e),         \
	    (s, issuer_id, at, e))                                                                \
	X(issuer_certs, (struct store *s, int64_t issuer_id, int with_expiry,                     \
	    struct store_issuer_certs *out, struct err *e), (s, issuer_id, with_expiry, out, e))  \
	X(cert_insert, (struct store *s, struct cert_record *r, enum store_insert_result *res,    \
	    struct err *e), (s, r, res, e))                                                       \
	X(cert_insert_many, (struct store *s, struct cert_record **r, size_t n,                  \
	    enum store_insert_result *res, struct err *e), (s, r, n, res, e))                     \
	X(cert_get, (struct store *s, int64_t issuer_id, const uint8_t *serial, size_t len,       \
	    struct cert_record *out, struct err *e), (s, issuer_id, serial, len, out, e))         \
	X(cert_revoke, (struct store *s, int64_t cert_id, int64_t revoked_at, int reason,         \
	    struct err *e), (s, cert_id, revoked_at, reason, e))                                  \
	X(cert_by_spki, (struct store *s, const uint8_t spki[STORE_SPKI_HASH_LEN],               \
	    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg,          \
	    int64_t *unkeyed, struct err *e), (s, spki, cb, arg, unkeyed, e))                     \
	X(cert_complete, (struct store *s, int64_t cert_id, const uint8_t *fingerprint,          \
	    struct err *e), (s, cert_id, fingerprint, e))                                         \
	X(cert_count, (struct store *s, int64_t issuer_id, int64_t *total, int64_t *revoked,      \
	    struct err *e), (s, issuer_id, total, revoked, e))                                    \
	X(cert_each, (struct store *s, int64_t issuer_id, int only_revoked,                       \
	    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg,          \
	    struct err *e), (s, issuer_id, only_revoked, cb, arg, e))                             \
	X(seq, (struct store *s, enum store_seq which, int64_t *v, struct err *e),                \
	    (s, which, v, e))                                                                     \
	X(idle, (struct store *s, struct err *e), (s, e))                                         \
	X(set_intent, (struct store *s, enum store_intent intent, struct err *e),                 \
	    (s, intent, e))                                                                       \
	X(certs_changed, (struct store *s, struct store_cursor *after,                           \
	    int64_t min_not_after, struct cert_record *out, size_t max, size_t *n,                \
	    struct err *e), (s, after, min_not_after, out, max, n, e))                            \
	X(cursor_passed, (struct store *s, const struct store_cursor *at,                         \
	    const struct cert_record *c), (s, at, c))                                             \
	X(ocsp_due, (struct store *s, int64_t now, int64_t min_not_after,                         \
	    struct store_cursor *after, struct cert_record *out, size_t max, size_t *n,           \
	    struct err *e), (s, now, min_not_after, after, out, max, n, e))                       \
	X(ocsp_refresh_done, (struct store *s, int64_t now, int64_t min_not_after,                \
	    struct err *e), (s, now, min_not_after, e))                                           \
	X(ocsp_put, (struct store *s, struct ocsp_record *r, size_t n, struct err *e),            \
	    (s, r, n, e))                                                                         \
	X(signed_upto_get, (struct store *s, struct store_signed_upto *u, struct err *e),         \
	    (s, u, e))                                                                            \
	X(signed_upto_set, (struct store *s, const struct store_signed_upto *u, struct err *e),   \
	    (s, u, e))                                                                            \
	X(lease_take, (struct store *s, struct store_lease *l, int64_t now, int64_t secs,        \
	    struct err *e), (s, l, now, secs, e))                                                 \
	X(lease_renew, (struct store *s, const char *holder, int64_t now, int64_t secs,          \
	    int64_t *live, struct err *e), (s, holder, now, secs, live, e))                       \
	X(lease_each, (struct store *s, int64_t now, int (*cb)(void *arg,                        \
	    const struct store_lease *l, struct err *e), void *arg, struct err *e),               \
	    (s, now, cb, arg, e))                                                                 \
	X(lease_evict, (struct store *s, const char *holder, int64_t seen, int64_t *n,           \
	    struct err *e), (s, holder, seen, n, e))                                              \
	X(lease_release, (struct store *s, const char *holder, int64_t issuer_id, int shard,     \
	    struct err *e), (s, holder, issuer_id, shard, e))                                     \
	X(lease_fence, (struct store *s, const char *holder, int (*cb)(void *arg,                \
	    int64_t issuer_id, int shard), void *arg, struct err *e), (s, holder, cb, arg, e))    \
	X(lease_mark, (struct store *s, const char *holder, int64_t issuer_id,                   \
	    const struct store_signed_upto *u, struct err *e), (s, holder, issuer_id, u, e))      \
	X(lease_signs, (struct store *s, const char *holder, const int64_t *issuer_ids,          \
	    size_t n, struct err *e), (s, holder, issuer_ids, n, e))                              \
	X(lease_signers, (struct store *s, int64_t now, int (*cb)(void *arg, const char *holder,  \
	    int64_t issuer_id, struct err *e), void *arg, struct err *e), (s, now, cb, arg, e))   \
	X(ocsp_purge, (struct store *s, int64_t expired_before, int64_t *deleted,                 \
	    struct err *e), (s, expired_before, deleted, e))                                      \
	X(ocsp_future_due, (struct store *s, int64_t after, int64_t *newest, int64_t *n,          \
	    struct err *e), (s, after, newest, n, e))                                             \
	X(ocsp_hold, (struct store *s, int64_t issuer_id, int64_t now, int64_t *n,                \
	    struct err *e), (s, issuer_id, now, n, e))                                            \
	X(ocsp_release, (struct store *s, int64_t issuer_id, int64_t *n, struct err *e),          \
	    (s, issuer_id, n, e))                                                                 \
	X(key_state_set, (struct store *s, int64_t issuer_id, int available, struct err *e),      \
	    (s, issuer_id, available, e))                                                         \
	X(key_state_get, (struct store *s, int64_t issuer_id, int *available, int64_t *seq,       \
	    struct err *e), (s, issuer_id, available, seq, e))                                    \
	X(refusals_add, (struct store *s, const int64_t add[STORE_REFUSED_COUNT], struct err *e),   \
	    (s, add, e))                                                                          \
	X(refusals_get, (struct store *s, int64_t out[STORE_REFUSED_COUNT], struct err *e),         \
	    (s, out, e))                                                                          \
	X(changes_wait, (struct store *s, int timeout_ms, struct err *e), (s, timeout_ms, e))      \
	X(ocsp_each, (struct store *s, int64_t after_seq,                                         \
	    int (*cb)(void *arg, const struct ocsp_record *r), void *arg, struct err *e),         \
	    (s, after_seq, cb, arg, e))                                                           \
	X(ocsp_get, (struct store *s, int64_t issuer_id, enum ocsp_hash hash,                     \
	    const uint8_t *serial, size_t len, int (*cb)(void *arg, const struct ocsp_record *r), \
	    void *arg, struct err *e), (s, issuer_id, hash, serial, len, cb, arg, e))             \
	X(crl_get, (struct store *s, int64_t issuer_id, int shard, struct crl_record *out,        \
	    struct err *e), (s, issuer_id, shard, out, e))                                        \
	X(crl_put, (struct store *s, struct crl_record *r, struct err *e), (s, r, e))             \
	X(crl_each, (struct store *s, int (*cb)(void *arg, const struct crl_record *r,            \
	    struct err *e), void *arg, struct err *e), (s, cb, arg, e))                           \
	X(crl_entries, (struct store *s, int64_t issuer_id, int shard, int64_t min_not_after,     \
	    int64_t after_seq, int (*cb)(void *arg, const struct cert_record *c, struct err *e),  \
	    void *arg, struct err *e), (s, issuer_id, shard, min_not_after, after_seq, cb, arg, e)) \
	X(revoked_since, (struct store *s, int64_t after_seq, int (*cb)(void *arg,                \
	    int64_t issuer_id, int shard, int64_t seq, int64_t n, struct err *e), void *arg,      \
	    struct err *e), (s, after_seq, cb, arg, e))                                           \
	X(issuer_import, (struct store *s, const struct issuer_record *r,                         \
	    const struct store_issuer_keys *keys, struct err *e), (s, r, keys, e))                \
	X(cert_export, (struct store *s, int64_t after_id,                                        \
	    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg,          \
	    struct err *e), (s, after_id, cb, arg, e))                                            \
	X(cert_import, (struct store *s, const struct cert_record *r, size_t n, struct err *e),   \
	    (s, r, n, e))                                                                         \
	X(ocsp_import, (struct store *s, const struct ocsp_record *r, size_t n, struct err *e),   \
	    (s, r, n, e))                                                                         \
	X(crl_import, (struct store *s, const struct crl_record *r, struct err *e), (s, r, e))    \
	X(seq_raise, (struct store *s, enum store_seq which, int64_t v, struct err *e),           \
	    (s, which, v, e))                                                                     \
	X(copy_mark_get, (struct store *s, struct store_copy_mark *m, struct err *e), (s, m, e))  \
	X(copy_mark_set, (struct store *s, const struct store_copy_mark *m, struct err *e),       \
	    (s, m, e))                                                                            \
	X(token_put, (struct store *s, const struct token_record *t, struct err *e), (s, t, e))   \
	X(token_find, (struct store *s, const uint8_t hash[32], struct token_record *out,        \
	    struct err *e), (s, hash, out, e))                                                    \
	X(token_revoke, (struct store *s, const char *name, int64_t now, struct err *e),         \
	    (s, name, now, e))                                                                    \
	X(token_each, (struct store *s, int (*cb)(void *arg, const struct token_record *t,       \
	    struct err *e), void *arg, struct err *e), (s, cb, arg, e))                           \
	X(audit_append, (struct store *s, const struct audit_event *ev, struct err *e),          \
	    (s, ev, e))                                                                           \
	X(audit_append_many, (struct store *s, const struct audit_event *ev, size_t n,           \
	    struct err *e), (s, ev, n, e))                                                        \
	X(audit_each, (struct store *s, const struct audit_filter *f, int (*cb)(void *arg,       \
	    const struct audit_record *r, struct err *e), void *arg, struct err *e),              \
	    (s, f, cb, arg, e))                                                                   \
	X(audit_head, (struct store *s, int64_t *id, uint8_t hash[32], struct err *e),           \
	    (s, id, hash, e))                                                                     \
	X(audit_import, (struct store *s, const struct audit_record *r, size_t n,                \
	    struct err *e), (s, r, n, e))
/* clang-format on */

/*
 * store_lease_signs's set as both backends keep it (meta rows
 * STORE_SIGNS_PREFIX "<issuer id>:<holder>", one with id 0 saying that
 * the holder published): issuer_ids and 0, sorted, each once, into *out
 * (malloc'd, *n of them).  -1 out of memory.
 */
#define STORE_SIGNS_PREFIX "signs:"
int store_signs_set(const int64_t *issuer_ids, size_t n, int64_t **out, size_t *len);
/* qsort/bsearch's order of two int64_t. */
int store_signs_cmp(const void *a, const void *b);
/* The issuer id of such a meta key (len bytes, no NUL needed), or -1 if it is not one. */
int64_t store_signs_id(const char *key, size_t len);

/* A backend: its name, close, and one field per operation of STORE_OPS. */
struct store_ops {
	const char *name;
	void (*close)(struct store *s);
#define STORE_OP_FIELD(name, params, args) int(*name) params;
	STORE_OPS(STORE_OP_FIELD)
#undef STORE_OP_FIELD
};

#define STORE_NOTICE_MAX 1024

/* What every backend's handle starts with. */
struct store {
	const struct store_ops *ops;
	/* What the open that upgraded the store has to tell the operator (""), once. */
	char notice[STORE_NOTICE_MAX];
};

/*
 * Constructors, one per backend, which store_open() picks by the location.
 * The embedded SQLite store: the database file at path.
 */
struct store *store_sqlite_open(const char *path, enum store_mode mode, struct err *e);
/*
 * The shared PostgreSQL store (postgresql.c): location is a postgresql://
 * or postgres:// URL, given to libpq as is; one carrying a password is
 * refused (the password goes in a password file).  st (may be NULL): a
 * standby behind this lancre's schema (store_open_state).
 */
struct store *store_pg_open(const char *location, enum store_mode mode,
    struct store_open_state *st, struct err *e);

#endif
