/*
 * fetch.c - see fetch.h.  One libcurl easy handle per fetch: a check makes
 * two or three requests, so reusing connections is not worth a shared handle.
 * curl_global_init runs once, lazily, under pthread_once (it is not
 * thread-safe itself).
 */
#include "check/fetch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "check/cache.h"

#define FETCH_HEADER_MAX 1024 /* a Cache-Control value longer than this is ignored */

struct fetch_sink {
	struct check_fetch *out;
	size_t max, cap;
	int over;
	int refused;          /* the answer is not a 200: its body is not read */
	CURL *curl;
	check_fetch_sink fn;  /* NULL: keep the body in out */
	void *arg;
	int sink_failed;
	struct err sink_err;
};

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void
fetch_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/*
 * Append to the body, or hand it to the sink; returning less than given
 * makes curl stop (CURLE_WRITE_ERROR).  The body of an answer other than 200
 * is not read at all (an error page may be endless): the status is reported
 * instead.  Followed redirects never reach here.
 */
static size_t
fetch_write(char *data, size_t size, size_t n, void *arg)
{
	struct fetch_sink *s = arg;
	size_t len = size * n, want;
	long status = 0;
	uint8_t *p;

	if (curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
		s->refused = 1;
		return 0;
	}
	if (len > s->max - s->out->len) {
		s->over = 1;
		return 0;
	}
	if (s->fn != NULL) {
		if (s->fn(s->arg, (const uint8_t *)data, len, &s->sink_err) != 0) {
			s->sink_failed = 1;
			return 0;
		}
		s->out->len += len;
		return len;
	}
	if (s->out->len + len > s->cap) {
		want = s->cap ? s->cap * 2 : 16384;
		while (want < s->out->len + len)
			want *= 2;
		if (want > s->max)
			want = s->max;
		if ((p = realloc(s->out->body, want)) == NULL)
			return 0;
		s->out->body = p;
		s->cap = want;
	}
	memcpy(s->out->body + s->out->len, data, len);
	s->out->len += len;
	return len;
}

/*
 * Each header line of each answer (redirects too): a status line starts a new
 * answer, so only the last one's Cache-Control counts; several Cache-Control
 * lines combine (the smallest max-age, any no-store).
 */
static size_t
fetch_header(char *data, size_t size, size_t n, void *arg)
{
	struct check_fetch *out = arg;
	size_t len = size * n, vlen;
	char val[FETCH_HEADER_MAX];
	long ma;
	int ns;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		out->max_age = -1;
		out->no_store = 0;
	} else if (len > 14 && strncasecmp(data, "Cache-Control:", 14) == 0) {
		vlen = len - 14;
		while (vlen > 0 && (data[14 + vlen - 1] == '\r' || data[14 + vlen - 1] == '\n'))
			vlen--;
		if (vlen < sizeof(val)) {
			memcpy(val, data + 14, vlen);
			val[vlen] = '\0';
			check_cache_control(val, &ma, &ns);
			if (ma >= 0 && (out->max_age < 0 || ma < out->max_age))
				out->max_age = ma;
			out->no_store |= ns;
		}
	}
	return len;
}

static int
fetch_setup(CURL *c, const char *url, struct fetch_sink *sink, long timeout_ms, char *errbuf)
{
	int bad = 0;

	bad |= curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)CHECK_FETCH_REDIRECTS) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CHECK_FETCH_CONNECT_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink->max) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_write) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, sink) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fetch_header) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_HEADERDATA, sink->out) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "lancre-check") != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	return bad ? -1 : 0;
}

/* The fetch itself, into sink (which says where the body goes). */
static int
fetch_run(const char *url, const uint8_t *post, size_t post_len, const char *content_type,
    struct fetch_sink *sink, long timeout_ms, struct check_fetch *out, struct err *e)
{
	char errbuf[CURL_ERROR_SIZE] = "", ctype[128];
	struct curl_slist *hdrs = NULL;
	CURLcode rc;
	long redirects = 0;
	CURL *c;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	out->max_age = -1;
	pthread_once(&fetch_once, fetch_global_init);
	if ((c = curl_easy_init()) == NULL)
		return err_set(e, "%s: cannot start libcurl", url);
	sink->curl = c;
	if (fetch_setup(c, url, sink, timeout_ms, errbuf) != 0) {
		err_set(e, "%s: libcurl refused an option", url);
		goto done;
	}
	if (post != NULL) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type);
		hdrs = curl_slist_append(NULL, ctype);
		if (hdrs == NULL || curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post) != CURLE_OK ||
		    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)post_len) != CURLE_OK) {
			err_set(e, "%s: cannot set up the POST", url);
			goto done;
		}
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->http_status);
	curl_easy_getinfo(c, CURLINFO_REDIRECT_COUNT, &redirects);
	out->redirects = (int)redirects;
	if (sink->sink_failed) {
		err_set(e, "%s", sink->sink_err.msg);
	} else if (sink->refused) {
		err_set(e, "%s: HTTP status %ld", url, out->http_status);
	} else if (sink->over || rc == CURLE_FILESIZE_EXCEEDED) {
		err_set(e, "%s: the answer is larger than %zu bytes", url, sink->max);
	} else if (rc == CURLE_TOO_MANY_REDIRECTS) {
		err_set(e, "%s: more than %d redirects", url, CHECK_FETCH_REDIRECTS);
	} else if (rc != CURLE_OK) {
		err_set(e, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
	} else if (out->http_status != 200) {
		err_set(e, "%s: HTTP status %ld", url, out->http_status);
	} else {
		ret = 0;
	}
done:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return ret;
}

int
check_fetch(const char *url, const uint8_t *post, size_t post_len, const char *content_type,
    size_t max, long timeout_ms, struct check_fetch *out, struct err *e)
{
	struct fetch_sink sink = {.out = out, .max = max};

	return fetch_run(url, post, post_len, content_type, &sink, timeout_ms, out, e);
}

int
check_fetch_stream(const char *url, size_t max, long timeout_ms, check_fetch_sink fn, void *arg,
    struct check_fetch *out, struct err *e)
{
	struct fetch_sink sink = {.out = out, .max = max, .fn = fn, .arg = arg};

	return fetch_run(url, NULL, 0, NULL, &sink, timeout_ms, out, e);
}

void
check_fetch_free(struct check_fetch *f)
{
	free(f->body);
	f->body = NULL;
	f->len = 0;
}
