/*
 * cache.c - see cache.h.  The pure parts (the directory from the
 * environment, the key, Cache-Control, the expiry, an entry's parse) are
 * apart from the file operations, so the unit tests reach every rule without
 * a file system, and a damaged file goes through the same parse as a good one.
 *
 * An entry:
 *     lancre-check-cache 1\n
 *     key <hex SHA-256>\n
 *     url <the URL, for people reading the directory>\n
 *     expires <seconds since the epoch>\n
 *     length <bytes of body>\n
 *     \n
 *     <body>
 * The length line makes a truncated file (or one with bytes appended) visible.
 */
#include "check/cache.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "util/fsutil.h"
#include "util/num.h"
#include "util/timefmt.h"

#define CACHE_MAGIC "lancre-check-cache 1\n"
#define CACHE_NUM_MAX 20 /* digits of a time or a length */

int
check_cache_dir(char *buf, size_t len, const char *xdg, const char *home, struct err *e)
{
	if (xdg != NULL && xdg[0] == '/')
		return fs_path(buf, len, e, "%s/lancre", xdg);
	if (home != NULL && home[0] == '/')
		return fs_path(buf, len, e, "%s/.cache/lancre", home);
	return err_set(e, "no cache directory: neither XDG_CACHE_HOME nor HOME is an absolute path");
}

int
check_cache_open(struct check_cache *c, struct err *e)
{
	struct stat st;

	if (check_cache_dir(c->dir, sizeof(c->dir), getenv("XDG_CACHE_HOME"), getenv("HOME"), e) != 0 ||
	    fs_mkdir_p(c->dir, CHECK_CACHE_DIR_MODE, e) != 0)
		return -1;
	if (lstat(c->dir, &st) != 0)
		return err_set(e, "%s: %s", c->dir, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return err_set(e, "%s: not a directory of this user: not used", c->dir);
	/* Responses name the certificates someone checks: keep them to the user. */
	if ((st.st_mode & 077) != 0 && chmod(c->dir, CHECK_CACHE_DIR_MODE) != 0)
		return err_set(e, "%s: cannot narrow its mode: %s", c->dir, strerror(errno));
	return 0;
}

void
check_cache_key(const char *kind, const char *url, const uint8_t *req, size_t reqlen,
    char key[CHECK_CACHE_KEY_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	/* The NULs keep ("a", "bc") and ("ab", "c") apart. */
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, kind, strlen(kind) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, url, strlen(url) + 1) == 1 &&
	    (reqlen == 0 || EVP_DigestUpdate(ctx, req, reqlen) == 1) &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	key[0] = '\0';
	for (unsigned int i = 0; ok && i < mdlen; i++)
		snprintf(key + 2 * i, 3, "%02x", md[i]);
}

/* The directive at p (case-insensitive), followed by '=', ',', ';', a space or the end. */
static int
cache_directive(const char *p, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(p, name, n) == 0 &&
	       (p[n] == '\0' || p[n] == '=' || p[n] == ',' || p[n] == ';' || isspace((unsigned char)p[n]));
}

void
check_cache_control(const char *value, long *max_age, int *no_store)
{
	*max_age = -1;
	*no_store = 0;
	for (const char *p = value; p != NULL && *p != '\0';) {
		p += strspn(p, " \t,");
		if (cache_directive(p, "no-store") || cache_directive(p, "no-cache"))
			*no_store = 1;
		else if (cache_directive(p, "max-age") && p[7] == '=') {
			char num[CACHE_NUM_MAX + 1];
			size_t n = strspn(p + 8, "0123456789");
			unsigned long long v;

			/* An unreadable or huge max-age is no max-age; nextUpdate still bounds. */
			if (n > 0 && n <= CACHE_NUM_MAX) {
				memcpy(num, p + 8, n);
				num[n] = '\0';
				if (num_parse(num, 0, CHECK_CACHE_MAX_SECONDS, &v) == 0)
					*max_age = (long)v;
				else if (num_parse(num, 0, ~0ULL, &v) == 0)
					*max_age = CHECK_CACHE_MAX_SECONDS;
			}
		}
		p = strchr(p, ',');
	}
}

int64_t
check_cache_expiry(int64_t now, long max_age, int no_store, int64_t next_update, long dflt_seconds)
{
	int64_t until = now + CHECK_CACHE_MAX_SECONDS;

	if (no_store)
		return 0;
	if (max_age < 0 && next_update <= 0) {
		if (dflt_seconds <= 0)
			return 0;
		if (now + dflt_seconds < until)
			until = now + dflt_seconds;
	}
	if (max_age >= 0 && now + max_age < until)
		until = now + max_age;
	if (next_update > 0 && next_update < until)
		until = next_update;
	return until > now ? until : 0;
}

/* The header line "name value\n" at *p (of end): value copied to val; *p moves past it. */
static int
cache_line(const char **p, const char *end, const char *name, char *val, size_t vlen)
{
	size_t n = strlen(name);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (nl == NULL || (size_t)(nl - *p) < n + 1 || memcmp(*p, name, n) != 0 || (*p)[n] != ' ' ||
	    (size_t)(nl - *p - n - 1) >= vlen)
		return -1;
	memcpy(val, *p + n + 1, (size_t)(nl - *p - n - 1));
	val[nl - *p - n - 1] = '\0';
	*p = nl + 1;
	return 0;
}

int
check_cache_parse(const uint8_t *buf, size_t len, const char *key, int64_t now,
    const uint8_t **body, size_t *blen, int64_t *expires, char *why, size_t wlen)
{
	const char *p = (const char *)buf, *end = p + len;
	char k[CHECK_CACHE_KEY_LEN], u[CHECK_CACHE_HEADER_MAX], num[CACHE_NUM_MAX + 1], t[TIMEFMT_LEN];
	unsigned long long exp, n;

	if (len < sizeof(CACHE_MAGIC) - 1 || memcmp(p, CACHE_MAGIC, sizeof(CACHE_MAGIC) - 1) != 0) {
		snprintf(why, wlen, "not a lancre cache entry");
		return -1;
	}
	p += sizeof(CACHE_MAGIC) - 1;
	if (cache_line(&p, end, "key", k, sizeof(k)) != 0 ||
	    cache_line(&p, end, "url", u, sizeof(u)) != 0 ||
	    cache_line(&p, end, "expires", num, sizeof(num)) != 0 || num_parse(num, 0, INT64_MAX, &exp) != 0 ||
	    cache_line(&p, end, "length", num, sizeof(num)) != 0 || num_parse(num, 0, SIZE_MAX, &n) != 0 ||
	    p >= end || *p != '\n') {
		snprintf(why, wlen, "a damaged header (truncated, or not an entry)");
		return -1;
	}
	p++;
	if (strcmp(k, key) != 0) {
		snprintf(why, wlen, "an entry of another key");
		return -1;
	}
	if ((size_t)(end - p) != n) {
		snprintf(why, wlen, "%s: %zu bytes of body where the header says %llu",
		    (size_t)(end - p) < n ? "truncated" : "too long", (size_t)(end - p), n);
		return -1;
	}
	if ((int64_t)exp <= now) {
		timefmt_format((int64_t)exp, t, sizeof(t));
		snprintf(why, wlen, "expired at %s", t);
		return -1;
	}
	*body = (const uint8_t *)p;
	*blen = (size_t)n;
	*expires = (int64_t)exp;
	return 0;
}

/* The entry's path: dir/kind-key. */
static int
cache_path(const struct check_cache *c, const char *kind, const char *key, char *buf, size_t len)
{
	struct err e;

	return fs_path(buf, len, &e, "%s/%s-%s", c->dir, kind, key);
}

/* The whole file, no larger than max, never through a link; 1 when it does not exist. */
static int
cache_read(const char *path, size_t max, uint8_t **data, size_t *len, char *why, size_t wlen)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	ssize_t got = 0;

	*data = NULL;
	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(why, wlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		snprintf(why, wlen, "not a regular file of at most %zu bytes", max);
		close(fd);
		return -1;
	}
	/* One byte more than the size: a file that grew since fstat shows as too long. */
	if ((*data = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	*len = 0;
	while (*len <= (size_t)st.st_size &&
	    (got = read(fd, *data + *len, (size_t)st.st_size + 1 - *len)) > 0)
		*len += (size_t)got;
	close(fd);
	if (got < 0 || *len > (size_t)st.st_size) {
		snprintf(why, wlen, "%s", got < 0 ? strerror(errno) : "it grew while read");
		free(*data);
		*data = NULL;
		return -1;
	}
	return 0;
}

int
check_cache_get(const struct check_cache *c, const char *kind, const char *url,
    const uint8_t *req, size_t reqlen, int64_t now, size_t max, uint8_t **body, size_t *len,
    char *why, size_t wlen)
{
	char key[CHECK_CACHE_KEY_LEN], path[PATH_MAX];
	const uint8_t *b;
	uint8_t *data;
	size_t dlen;
	int64_t exp;
	int rc;

	*body = NULL;
	*len = 0;
	if (c == NULL)
		return 1;
	check_cache_key(kind, url, req, reqlen, key);
	if (cache_path(c, kind, key, path, sizeof(path)) != 0)
		return 1;
	if ((rc = cache_read(path, max + CHECK_CACHE_HEADER_MAX, &data, &dlen, why, wlen)) != 0)
		return rc;
	rc = check_cache_parse(data, dlen, key, now, &b, len, &exp, why, wlen);
	if (rc == 0 && *len > max) {
		snprintf(why, wlen, "larger than %zu bytes", max);
		rc = -1;
	}
	if (rc == 0) {
		memmove(data, b, *len); /* the body to the front: one allocation, the caller's */
		*body = data;
	} else {
		free(data);
		*len = 0;
	}
	return rc;
}

int
check_cache_put(const struct check_cache *c, const char *kind, const char *url,
    const uint8_t *req, size_t reqlen, const uint8_t *body, size_t len, int64_t expires,
    struct err *e)
{
	char key[CHECK_CACHE_KEY_LEN], path[PATH_MAX], head[CHECK_CACHE_HEADER_MAX];
	uint8_t *data;
	int hl, rc;

	if (c == NULL || expires <= 0)
		return 0;
	check_cache_key(kind, url, req, reqlen, key);
	if (key[0] == '\0' || cache_path(c, kind, key, path, sizeof(path)) != 0)
		return err_set(e, "%s: no cache key", url);
	hl = snprintf(head, sizeof(head), CACHE_MAGIC "key %s\nurl %s\nexpires %" PRId64 "\nlength %zu\n\n",
	    key, url, expires, len);
	if (hl < 0 || (size_t)hl >= sizeof(head) || strchr(url, '\n') != NULL)
		return err_set(e, "%s: not cacheable (URL too long or with a newline)", url);
	if ((data = malloc((size_t)hl + len)) == NULL)
		return err_set(e, "out of memory");
	memcpy(data, head, (size_t)hl);
	memcpy(data + hl, body, len);
	rc = fs_write_atomic(path, data, (size_t)hl + len, CHECK_CACHE_FILE_MODE, e);
	free(data);
	return rc;
}
