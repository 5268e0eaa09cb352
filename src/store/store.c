/*
 * store.c - picks a backend from the store location and forwards each call
 * through its ops table (the forwarders generated from STORE_OPS, backend.h).
 * Nothing backend-specific belongs here.
 */
#include "store/backend.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/fsutil.h"

#define STORE_SCHEME_SQLITE "sqlite:"

struct store *
store_open(const char *dir, const char *location, enum store_mode mode, struct err *e)
{
	return store_open_ex(dir, location, mode, NULL, e);
}

struct store *
store_open_ex(const char *dir, const char *location, enum store_mode mode,
    struct store_open_state *st, struct err *e)
{
	char path[PATH_MAX];

	if (st != NULL)
		*st = (struct store_open_state){0};
	if (strncmp(location, STORE_SCHEME_SQLITE, strlen(STORE_SCHEME_SQLITE)) == 0)
		location += strlen(STORE_SCHEME_SQLITE); /* the default said outright */
	if (strncmp(location, "postgresql://", 13) == 0 || strncmp(location, "postgres://", 11) == 0)
		return store_pg_open(location, mode, st, e);
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

const char *
store_notice(const struct store *s)
{
	return s->notice[0] != '\0' ? s->notice : NULL;
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

/* Each operation of the contract, forwarded to the handle's backend. */
#define STORE_FORWARD(name, params, args)                                                      \
	int store_##name params                                                                    \
	{                                                                                          \
		return s->ops->name args;                                                             \
	}
STORE_OPS(STORE_FORWARD)
#undef STORE_FORWARD

int
store_signs_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t
store_signs_id(const char *key, size_t len)
{
	size_t p = sizeof(STORE_SIGNS_PREFIX) - 1, i;
	int64_t id = 0;

	if (key == NULL || len <= p || memcmp(key, STORE_SIGNS_PREFIX, p) != 0)
		return -1;
	for (i = p; i < len && key[i] >= '0' && key[i] <= '9'; i++) {
		if (id > (INT64_MAX - 9) / 10)
			return -1;
		id = id * 10 + (key[i] - '0');
	}
	return i > p && i < len && key[i] == ':' ? id : -1;
}

int
store_signs_set(const int64_t *issuer_ids, size_t n, int64_t **out, size_t *len)
{
	int64_t *v = malloc((n + 1) * sizeof(*v));
	size_t k = 0;

	if (v == NULL)
		return -1;
	v[0] = 0;
	if (n > 0)
		memcpy(v + 1, issuer_ids, n * sizeof(*v));
	qsort(v, n + 1, sizeof(*v), store_signs_cmp);
	for (size_t i = 0; i <= n; i++)
		if (k == 0 || v[i] != v[k - 1])
			v[k++] = v[i];
	*out = v;
	*len = k;
	return 0;
}
