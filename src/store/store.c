/*
 * store.c - picks a backend from the store location and forwards each call
 * through its ops table.  Nothing backend-specific belongs here.
 */
#include "store/store.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/fsutil.h"

struct store *
store_open(const char *dir, const char *location, enum store_mode mode, struct err *e)
{
	char path[PATH_MAX];

	if (strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0) {
		err_set(e, "the PostgreSQL store is not available in this build yet; "
			   "use the embedded SQLite store");
		return NULL;
	}
	if (strchr(location, '/') != NULL || strcmp(location, "..") == 0 || location[0] == '\0') {
		err_set(e, "[store] store must be a file name inside the data directory or a "
			   "postgresql:// URL, not '%s'", location);
		return NULL;
	}
	if (fs_path(path, sizeof(path), e, "%s/%s", dir, location) != 0)
		return NULL;
	return store_sqlite_open(path, mode, e);
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

int
store_begin(struct store *s, struct err *e)
{
	return s->ops->begin(s, e);
}

int
store_commit(struct store *s, struct err *e)
{
	return s->ops->commit(s, e);
}

int
store_rollback(struct store *s, struct err *e)
{
	return s->ops->rollback(s, e);
}

const char *
store_notice(const struct store *s)
{
	return s->notice[0] != '\0' ? s->notice : NULL;
}

int
store_issuer_add(struct store *s, struct issuer_record *r, const struct store_issuer_keys *keys,
    struct err *e)
{
	return s->ops->issuer_add(s, r, keys, e);
}

int
store_revoked_signed_add(struct store *s, int64_t issuer_id, const uint8_t *serial, size_t len,
    struct err *e)
{
	return s->ops->revoked_signed_add(s, issuer_id, serial, len, e);
}

int
store_revoked_signed_each(struct store *s,
    int (*cb)(void *arg, int64_t issuer_id, const uint8_t *serial, size_t len), void *arg,
    struct err *e)
{
	return s->ops->revoked_signed_each(s, cb, arg, e);
}

int
store_issuer_keys(struct store *s, int64_t issuer_id, struct store_issuer_keys *out,
    struct err *e)
{
	return s->ops->issuer_keys(s, issuer_id, out, e);
}

int
store_issuer_list(struct store *s, struct issuer_record **out, size_t *n, struct err *e)
{
	return s->ops->issuer_list(s, out, n, e);
}

void
issuer_records_free(struct issuer_record *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].cert_der);
		free(v[i].ocsp_cert_der);
	}
	free(v);
}

int
store_cert_insert(struct store *s, struct cert_record *r, enum store_insert_result *res,
    struct err *e)
{
	return s->ops->cert_insert(s, r, res, e);
}

int
store_cert_get(struct store *s, int64_t issuer_id, const uint8_t *serial, size_t len,
    struct cert_record *out, struct err *e)
{
	return s->ops->cert_get(s, issuer_id, serial, len, out, e);
}

int
store_cert_revoke(struct store *s, int64_t cert_id, int64_t revoked_at, int reason,
    struct err *e)
{
	return s->ops->cert_revoke(s, cert_id, revoked_at, reason, e);
}

int
store_cert_count(struct store *s, int64_t issuer_id, int64_t *total, int64_t *revoked,
    struct err *e)
{
	return s->ops->cert_count(s, issuer_id, total, revoked, e);
}

int
store_issuer_set_ocsp_signer(struct store *s, int64_t issuer_id, const uint8_t *der, size_t len,
    const char *key_ref, struct err *e)
{
	return s->ops->issuer_set_ocsp_signer(s, issuer_id, der, len, key_ref, e);
}

int
store_issuer_set_key(struct store *s, int64_t issuer_id, const char *key_ref,
    const char *pass_ref, struct err *e)
{
	return s->ops->issuer_set_key(s, issuer_id, key_ref, pass_ref, e);
}

int
store_issuer_retire(struct store *s, int64_t issuer_id, int64_t at, struct err *e)
{
	return s->ops->issuer_retire(s, issuer_id, at, e);
}

int
store_issuer_certs(struct store *s, int64_t issuer_id, int with_expiry,
    struct store_issuer_certs *out, struct err *e)
{
	return s->ops->issuer_certs(s, issuer_id, with_expiry, out, e);
}

int
store_seq(struct store *s, const char *name, int64_t *v, struct err *e)
{
	return s->ops->seq(s, name, v, e);
}

int
store_certs_changed(struct store *s, struct store_changed_cursor *after, int64_t min_not_after,
    struct cert_record *out, size_t max, size_t *n, struct err *e)
{
	return s->ops->certs_changed(s, after, min_not_after, out, max, n, e);
}

int
store_ocsp_due(struct store *s, int64_t now, int64_t min_not_after,
    struct store_due_cursor *after, struct cert_record *out, size_t max, size_t *n,
    struct err *e)
{
	return s->ops->ocsp_due(s, now, min_not_after, after, out, max, n, e);
}

int
store_ocsp_put(struct store *s, struct ocsp_record *r, size_t n, struct err *e)
{
	return s->ops->ocsp_put(s, r, n, e);
}

int
store_ocsp_due_settle(struct store *s, int64_t now, int64_t min_not_after, struct err *e)
{
	return s->ops->ocsp_due_settle(s, now, min_not_after, e);
}

int
store_ocsp_hold(struct store *s, int64_t issuer_id, int64_t now, int64_t *n, struct err *e)
{
	return s->ops->ocsp_hold(s, issuer_id, now, n, e);
}

int
store_ocsp_release(struct store *s, int64_t issuer_id, int64_t *n, struct err *e)
{
	return s->ops->ocsp_release(s, issuer_id, n, e);
}

int
store_key_state_set(struct store *s, int64_t issuer_id, int available, struct err *e)
{
	return s->ops->key_state_set(s, issuer_id, available, e);
}

int
store_refusals_add(struct store *s, const int64_t add[STORE_REFUSED_COUNT], struct err *e)
{
	return s->ops->refusals_add(s, add, e);
}

int
store_refusals_get(struct store *s, int64_t out[STORE_REFUSED_COUNT], struct err *e)
{
	return s->ops->refusals_get(s, out, e);
}

int
store_key_state_get(struct store *s, int64_t issuer_id, int *available, int64_t *seq,
    struct err *e)
{
	return s->ops->key_state_get(s, issuer_id, available, seq, e);
}

int
store_ocsp_future_due(struct store *s, int64_t after, int64_t *newest, int64_t *n,
    struct err *e)
{
	return s->ops->ocsp_future_due(s, after, newest, n, e);
}

int
store_ocsp_purge(struct store *s, int64_t expired_before, int64_t *deleted, struct err *e)
{
	return s->ops->ocsp_purge(s, expired_before, deleted, e);
}

int
store_ocsp_each(struct store *s, int64_t after_seq,
    int (*cb)(void *arg, const struct ocsp_record *r), void *arg, struct err *e)
{
	return s->ops->ocsp_each(s, after_seq, cb, arg, e);
}

int
store_crl_get(struct store *s, int64_t issuer_id, int shard, struct crl_record *out,
    struct err *e)
{
	return s->ops->crl_get(s, issuer_id, shard, out, e);
}

int
store_crl_put(struct store *s, struct crl_record *r, struct err *e)
{
	return s->ops->crl_put(s, r, e);
}

int
store_crl_each(struct store *s, int (*cb)(void *arg, const struct crl_record *r, struct err *e), void *arg,
    struct err *e)
{
	return s->ops->crl_each(s, cb, arg, e);
}

int
store_crl_entries(struct store *s, int64_t issuer_id, int shard, int64_t min_not_after,
    int64_t after_seq, int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg, struct err *e)
{
	return s->ops->crl_entries(s, issuer_id, shard, min_not_after, after_seq, cb, arg, e);
}

int
store_revoked_since(struct store *s, int64_t after_seq,
    int (*cb)(void *arg, int64_t issuer_id, int shard, int64_t seq, struct err *e), void *arg,
    struct err *e)
{
	return s->ops->revoked_since(s, after_seq, cb, arg, e);
}

int
store_signed_upto_get(struct store *s, struct store_signed_upto *u, struct err *e)
{
	return s->ops->signed_upto_get(s, u, e);
}

int
store_signed_upto_set(struct store *s, const struct store_signed_upto *u, struct err *e)
{
	return s->ops->signed_upto_set(s, u, e);
}

int
store_cache(struct store *s, int mib, struct err *e)
{
	return s->ops->cache(s, mib, e);
}

int
store_cert_each(struct store *s, int64_t issuer_id, int only_revoked,
    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg, struct err *e)
{
	return s->ops->cert_each(s, issuer_id, only_revoked, cb, arg, e);
}
