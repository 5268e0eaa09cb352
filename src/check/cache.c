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

/*
 * The header at buf (len bytes, the file's start or all of it): 0 with *hlen
 * (the header's bytes), *blen and *expires when it is a header of key that
 * has not expired at now; else -1 with why.
 */
static int
cache_header(const uint8_t *buf, size_t len, const char *key, int64_t now, size_t *hlen,
    size_t *blen, int64_t *expires, char *why, size_t wlen)
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
	if ((int64_t)exp <= now) {
		timefmt_format((int64_t)exp, t, sizeof(t));
		snprintf(why, wlen, "expired at %s", t);
		return -1;
	}
	*hlen = (size_t)(p - (const char *)buf);
	*blen = (size_t)n;
	*expires = (int64_t)exp;
	return 0;
}

/* "truncated" or "too long": the body's size against the header's length. */
static int
cache_body_size(size_t have, size_t want, char *why, size_t wlen)
{
	if (have == want)
		return 0;
	snprintf(why, wlen, "%s: %zu bytes of body where the header says %zu",
	    have < want ? "truncated" : "too long", have, want);
	return -1;
}

int
check_cache_parse(const uint8_t *buf, size_t len, const char *key, int64_t now,
    const uint8_t **body, size_t *blen, int64_t *expires, char *why, size_t wlen)
{
	size_t hlen;

	if (cache_header(buf, len, key, now, &hlen, blen, expires, why, wlen) != 0 ||
	    cache_body_size(len - hlen, *blen, why, wlen) != 0)
		return -1;
	*body = buf + hlen;
	return 0;
}

/* The entry's path: dir/kind-key. */
static int
cache_path(const struct check_cache *c, const char *kind, const char *key, char *buf, size_t len)
{
	struct err e;

	return fs_path(buf, len, &e, "%s/%s-%s", c->dir, kind, key);
}

int
check_cache_open_entry(const struct check_cache *c, const char *kind, const char *url,
    const uint8_t *req, size_t reqlen, int64_t now, size_t max, int *fd, size_t *len, char *why,
    size_t wlen)
{
	char key[CHECK_CACHE_KEY_LEN], path[PATH_MAX];
	uint8_t head[CHECK_CACHE_HEADER_MAX];
	size_t hlen;
	ssize_t got;
	struct stat st;
	int64_t exp;

	*fd = -1;
	*len = 0;
	if (c == NULL)
		return 1;
	check_cache_key(kind, url, req, reqlen, key);
	if (key[0] == '\0' || cache_path(c, kind, key, path, sizeof(path)) != 0)
		return 1;
	/* Never through a link; O_NONBLOCK so that a FIFO planted here cannot hang the check. */
	if ((*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 1;
		snprintf(why, wlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, wlen, "not a regular file");
		goto bad;
	}
	if ((got = pread(*fd, head, sizeof(head), 0)) < 0) {
		snprintf(why, wlen, "cannot read: %s", strerror(errno));
		goto bad;
	}
	if (cache_header(head, (size_t)got, key, now, &hlen, len, &exp, why, wlen) != 0 ||
	    cache_body_size((size_t)st.st_size - hlen, *len, why, wlen) != 0)
		goto bad;
	if (*len > max) {
		snprintf(why, wlen, "larger than %zu bytes", max);
		goto bad;
	}
	if (lseek(*fd, (off_t)hlen, SEEK_SET) != (off_t)hlen) {
		snprintf(why, wlen, "cannot seek: %s", strerror(errno));
		goto bad;
	}
	return 0;
bad:
	close(*fd);
	*fd = -1;
	*len = 0;
	return -1;
}

int
check_cache_get(const struct check_cache *c, const char *kind, const char *url,
    const uint8_t *req, size_t reqlen, int64_t now, size_t max, uint8_t **body, size_t *len,
    char *why, size_t wlen)
{
	size_t have = 0;
	ssize_t got = 0;
	int fd, rc;

	*body = NULL;
	if ((rc = check_cache_open_entry(c, kind, url, req, reqlen, now, max, &fd, len, why, wlen)) != 0)
		return rc;
	/* One byte more than the header says: a file that grew since shows as too long. */
	if ((*body = malloc(*len + 1)) == NULL) {
		snprintf(why, wlen, "out of memory");
		rc = -1;
	}
	while (rc == 0 && have <= *len && (got = read(fd, *body + have, *len + 1 - have)) > 0)
		have += (size_t)got;
	close(fd);
	if (rc == 0 && got < 0) {
		snprintf(why, wlen, "cannot read: %s", strerror(errno));
		rc = -1;
	}
	if (rc == 0 && cache_body_size(have, *len, why, wlen) != 0)
		rc = -1;
	if (rc != 0) {
		free(*body);
		*body = NULL;
		*len = 0;
	}
	return rc;
}

/*
 * The header, fixed in width (times and lengths in 20 digits) so that a
 * writer that streams the body can write it first and fill it in at the end.
 */
static int
cache_head(char *head, size_t hsize, const char *key, const char *url, int64_t expires, size_t len)
{
	int hl;

	if (strchr(url, '\n') != NULL)
		return -1;
	hl = snprintf(head, hsize, CACHE_MAGIC "key %s\nurl %s\nexpires %020" PRId64 "\nlength %020zu\n\n",
	    key, url, expires, len);
	return hl < 0 || (size_t)hl >= hsize ? -1 : hl;
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
	if ((hl = cache_head(head, sizeof(head), key, url, expires, len)) < 0)
		return err_set(e, "%s: not cacheable (URL too long or with a newline)", url);
	if ((data = malloc((size_t)hl + len)) == NULL)
		return err_set(e, "out of memory");
	memcpy(data, head, (size_t)hl);
	memcpy(data + hl, body, len);
	rc = fs_write_atomic(path, data, (size_t)hl + len, CHECK_CACHE_FILE_MODE, e);
	free(data);
	return rc;
}

/* Stop writing: the temporary file goes, nothing is stored. */
void
check_cache_tee_abort(struct check_cache_tee *t)
{
	if (t->fd >= 0) {
		close(t->fd);
		unlink(t->tmp);
	}
	t->fd = -1;
}

void
check_cache_tee_begin(const struct check_cache *c, const char *kind, const char *url,
    const uint8_t *req, size_t reqlen, size_t max, struct check_cache_tee *t)
{
	struct err e;

	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->max = max;
	t->url = url;
	if (c == NULL)
		return;
	check_cache_key(kind, url, req, reqlen, t->key);
	if (t->key[0] == '\0' || cache_path(c, kind, t->key, t->path, sizeof(t->path)) != 0 ||
	    (t->hlen = cache_head(t->head, sizeof(t->head), t->key, url, 0, 0)) <= 0 ||
	    fs_path(t->tmp, sizeof(t->tmp), &e, "%s.tmp.%ld", t->path, (long)getpid()) != 0)
		return;
	/* As fs_write_atomic: a name of this process alone, never a link followed. */
	(void)unlink(t->tmp);
	if ((t->fd = open(t->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, CHECK_CACHE_FILE_MODE)) < 0)
		return;
	if (write(t->fd, t->head, (size_t)t->hlen) != t->hlen)
		check_cache_tee_abort(t);
}

void
check_cache_tee_write(struct check_cache_tee *t, const uint8_t *p, size_t n)
{
	ssize_t w;

	if (t->fd < 0)
		return;
	if (n > t->max - t->len) { /* over the cap: this one is not kept */
		check_cache_tee_abort(t);
		return;
	}
	while (n > 0) {
		if ((w = write(t->fd, p, n)) <= 0) {
			check_cache_tee_abort(t);
			return;
		}
		p += w;
		n -= (size_t)w;
		t->len += (size_t)w;
	}
}

int
check_cache_tee_commit(struct check_cache_tee *t, int64_t expires, struct err *e)
{
	int ok, saved;

	if (t->fd < 0 || expires <= 0) {
		check_cache_tee_abort(t);
		return 0;
	}
	/* The same header, now with the expiry and the length: the same width. */
	ok = cache_head(t->head, sizeof(t->head), t->key, t->url, expires, t->len) == t->hlen &&
	    pwrite(t->fd, t->head, (size_t)t->hlen, 0) == t->hlen && fsync(t->fd) == 0;
	saved = errno;
	if (close(t->fd) != 0 && ok) {
		ok = 0;
		saved = errno;
	}
	t->fd = -1;
	if (ok && rename(t->tmp, t->path) != 0) {
		ok = 0;
		saved = errno;
	}
	if (!ok) {
		unlink(t->tmp);
		return err_set(e, "cannot write %s: %s", t->path, strerror(saved));
	}
	return 0;
}
