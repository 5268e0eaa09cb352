/*
 * cache.h - the cache of `lancre check`: what it fetched (OCSP responses,
 * CRLs, issuer certificates), kept so that a second check within the
 * answer's lifetime makes no request.
 *
 * Where: $XDG_CACHE_HOME/lancre (an absolute XDG_CACHE_HOME only, as the XDG
 * base directory specification says), else ~/.cache/lancre; created 0700,
 * entries 0600.  One file per entry, named by the kind and the SHA-256 of
 * what identifies the request (kind, URL, POST body), holding a short text
 * header (the key again, the URL, the expiry time, the body's length) and the
 * body exactly as the server sent it.
 *
 * Nothing read from the cache is trusted: an entry is only a candidate, and
 * the caller runs it through the same checks as a fresh answer (signature,
 * CertID or scope, freshness) before using it; one that fails them is
 * fetched again.  A file that is truncated, too long, of another key, or not
 * an entry at all is ignored the same way.  An entry expires at the earlier
 * of the answer's nextUpdate and the server's Cache-Control max-age, and
 * never later than CHECK_CACHE_MAX_SECONDS after it was stored; `no-store`
 * and `no-cache` answers are not stored.  Writes go through
 * fs_write_atomic() (a temporary name per process, O_EXCL|O_NOFOLLOW, then
 * rename), so two checks writing the same entry leave one complete entry and
 * a reader never sees half of one.
 *
 * What is kept of a CRL: the CRL file itself, up to CHECK_CACHE_CRL_MAX
 * (Microsoft's 10 MB guidance: the CRLs clients are expected to fetch); a
 * larger CRL is fetched again by each check.  Keeping the file rather than a
 * verdict per certificate lets every use re-verify its signature.  A CRL is
 * written to the cache as it streams in and read back as a stream (the tee
 * and check_cache_open_entry below), so caching it does not hold it in memory.
 */
#ifndef LANCRE_CHECK_CACHE_H
#define LANCRE_CHECK_CACHE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CHECK_CACHE_MAX_SECONDS (7L * 86400)   /* no entry lives longer, whatever it says */
#define CHECK_CACHE_CERT_SECONDS 86400L        /* an issuer certificate without max-age */
#define CHECK_CACHE_CRL_MAX (10L * 1024 * 1024) /* larger CRLs are not cached */
#define CHECK_CACHE_HEADER_MAX 4096            /* the text header of an entry */
#define CHECK_CACHE_KEY_LEN 65                 /* SHA-256 in hex, and the NUL */
#define CHECK_CACHE_DIR_MODE 0700
#define CHECK_CACHE_FILE_MODE 0600

/* kinds: the first word of each entry's name */
#define CHECK_CACHE_OCSP "ocsp"
#define CHECK_CACHE_CRL "crl"
#define CHECK_CACHE_CERT "cert"

struct check_cache {
	char dir[PATH_MAX];
};

/*
 * The cache directory for the environment given (xdg: $XDG_CACHE_HOME, home:
 * $HOME; either may be NULL): xdg/lancre when xdg is absolute, else
 * home/.cache/lancre.  0, or -1 when neither gives a directory.
 */
int check_cache_dir(char *buf, size_t len, const char *xdg, const char *home, struct err *e);

/*
 * Open the cache of this user: the directory from the environment created
 * (parents too) with CHECK_CACHE_DIR_MODE, and refused unless it is a
 * directory (not a link) owned by this user; a wider mode is narrowed.
 */
int check_cache_open(struct check_cache *c, struct err *e);

/* The key of a request: hex SHA-256 of kind, url and the POST body (req may be NULL). */
void check_cache_key(const char *kind, const char *url, const uint8_t *req, size_t reqlen,
    char key[CHECK_CACHE_KEY_LEN]);

/*
 * Read a Cache-Control header value: *max_age the max-age in seconds (-1 when
 * none, or unreadable), *no_store 1 for no-store or no-cache.
 */
void check_cache_control(const char *value, long *max_age, int *no_store);

/*
 * When an answer fetched at now may be kept until: the earlier of now +
 * max_age (when max_age >= 0) and next_update (when > 0), else now +
 * dflt_seconds when neither is given (0: not kept), never beyond now +
 * CHECK_CACHE_MAX_SECONDS.  0 when it must not be kept (no_store, or
 * already expired).
 */
int64_t check_cache_expiry(int64_t now, long max_age, int no_store, int64_t next_update,
    long dflt_seconds);

/*
 * Parse an entry read from a file: 0 with *body, *len (pointing into buf) and
 * *expires when it is a whole entry of key that has not expired at now; else
 * -1 with why ("truncated", "expired at ...", ...).
 */
int check_cache_parse(const uint8_t *buf, size_t len, const char *key, int64_t now,
    const uint8_t **body, size_t *blen, int64_t *expires, char *why, size_t wlen);

/*
 * The body stored for (kind, url, req), if there is a whole, unexpired entry
 * no larger than max: 0 with *body (malloc'd) and *len; 1 when there is no
 * entry at all; -1 with why when there is one that cannot be used (expired,
 * truncated, garbage, too big, not a regular file).  c NULL: no entry.
 */
int check_cache_get(const struct check_cache *c, const char *kind, const char *url,
    const uint8_t *req, size_t reqlen, int64_t now, size_t max, uint8_t **body, size_t *len,
    char *why, size_t wlen);

/*
 * The entry for (kind, url, req) opened for reading as it streams: 0 with
 * *fd at the first byte of the body and *len its length (the file's size
 * checked against the header), the caller closes *fd; 1 when there is no
 * entry; -1 with why as check_cache_get.
 */
int check_cache_open_entry(const struct check_cache *c, const char *kind, const char *url,
    const uint8_t *req, size_t reqlen, int64_t now, size_t max, int *fd, size_t *len, char *why,
    size_t wlen);

/*
 * Store body for (kind, url, req) until expires (from check_cache_expiry;
 * 0 stores nothing and succeeds).  Atomic, as above.
 */
int check_cache_put(const struct check_cache *c, const char *kind, const char *url,
    const uint8_t *req, size_t reqlen, const uint8_t *body, size_t len, int64_t expires,
    struct err *e);

/*
 * A body kept while it streams in (a CRL), in bounded memory: written to a
 * temporary file of this process beside the entry (O_EXCL|O_NOFOLLOW) with
 * a header of fixed width, filled in and renamed into place by commit.  A
 * body over max, a failed write or no cache make it a no-op (fd -1); commit
 * with expires 0 or abort leave nothing behind.  url must outlive the tee.
 */
struct check_cache_tee {
	int fd;
	int hlen;
	size_t len, max;
	const char *url;
	char key[CHECK_CACHE_KEY_LEN];
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	char head[CHECK_CACHE_HEADER_MAX];
};

void check_cache_tee_begin(const struct check_cache *c, const char *kind, const char *url,
    const uint8_t *req, size_t reqlen, size_t max, struct check_cache_tee *t);
void check_cache_tee_write(struct check_cache_tee *t, const uint8_t *p, size_t n);
int check_cache_tee_commit(struct check_cache_tee *t, int64_t expires, struct err *e);
void check_cache_tee_abort(struct check_cache_tee *t);

#endif
