/*
 * api_client.c - see api_client.h.  The answer is read into memory up to
 * API_ANSWER_MAX (the API's biggest answer is a bundle's list), then parsed
 * with jansson; the mapping of the parsed objects is what
 * tests/fuzz/fuzz_api_answer.c feeds.
 */
#include "cli/api_client.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "pki/reason.h"
#include "util/fsutil.h"
#include "util/timefmt.h"

static pthread_once_t api_once = PTHREAD_ONCE_INIT;

static void
api_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
api_token_read(const char *path, char *out, size_t len, struct err *e)
{
	char buf[API_TOKEN_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t k;
	int fd;

	if ((fd = fs_open_private(path, "token file", NULL, &st, e)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return err_set(e, "token file %s: %s", path, strerror(errno));
	buf[n] = '\0';
	k = strcspn(buf, "\r\n");
	if (k == (size_t)n && (size_t)n == sizeof(buf) - 1)
		return err_set(e, "token file %s: its first line is too long for a token", path);
	buf[k] = '\0';
	if (k == 0)
		return err_set(e, "token file %s: its first line is empty", path);
	for (size_t i = 0; i < k; i++) {
		/* Sent in a header: a control character or a space would split or end it. */
		if ((unsigned char)buf[i] <= ' ' || (unsigned char)buf[i] >= 0x7f)
			return err_set(e, "token file %s: its first line is not a token", path);
	}
	if (k + 1 > len)
		return err_set(e, "token file %s: its first line is too long for a token", path);
	memcpy(out, buf, k + 1);
	memset(buf, 0, sizeof(buf));
	return 0;
}

/* The host of an http:// URL (after the scheme, up to the port, path or end). */
static int
http_host_is_loopback(const char *url)
{
	const char *h = url + 7, *end;
	char host[256];
	size_t n;

	if (*h == '[') /* an IPv6 literal */
		return strncmp(h, "[::1]", 5) == 0 && (h[5] == '\0' || h[5] == ':' || h[5] == '/');
	end = h + strcspn(h, ":/?#");
	n = (size_t)(end - h);
	if (n == 0 || n >= sizeof(host) || memchr(h, '@', n) != NULL)
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	/* 127.x.y.z, each part digits: inet_pton would also take it, this says why. */
	return strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == n;
}

int
api_url_check(const char *url, struct err *e)
{
	if (strncmp(url, "https://", 8) == 0)
		return 0;
	if (strncmp(url, "http://", 7) != 0)
		return err_set(e, "--api %s: give an http:// or https:// URL", url);
	if (!http_host_is_loopback(url))
		return err_set(e, "--api %s: plain http:// only to this machine (127.0.0.1, [::1], "
				  "localhost): the token would cross the network in clear text; use "
				  "https://",
		    url);
	return 0;
}

/* A client key file, refused (as a token file) if group or others may read it. */
static int
key_file_check(const char *path, struct err *e)
{
	struct stat st;
	int fd = fs_open_private(path, "--key", NULL, &st, e);

	if (fd < 0)
		return -1;
	close(fd); /* libcurl reads it */
	return 0;
}

static int
copy_opt(char *dst, size_t len, const char *src, const char *name, struct err *e)
{
	if (src == NULL) {
		dst[0] = '\0';
		return 0;
	}
	if (strlen(src) >= len)
		return err_set(e, "%s: the file's name is too long", name);
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

int
api_client_open(struct api_client *c, const struct api_opts *o, struct err *e)
{
	const char *url = o->url;
	size_t n = strlen(url);

	memset(c, 0, sizeof(*c));
	if (api_url_check(url, e) != 0)
		return -1;
	if (n >= sizeof(c->url))
		return err_set(e, "--api: the URL is too long");
	if (copy_opt(c->token_file, sizeof(c->token_file), o->token_file, "--token-file", e) != 0 ||
	    copy_opt(c->cacert, sizeof(c->cacert), o->cacert, "--cacert", e) != 0 ||
	    copy_opt(c->cert, sizeof(c->cert), o->cert, "--cert", e) != 0 ||
	    copy_opt(c->key, sizeof(c->key), o->key, "--key", e) != 0)
		return -1;
	while (n > 0 && url[n - 1] == '/')
		n--;
	/* The base only: the paths are /api/v1/...; a base given with it works too. */
	if (n >= 7 && strncmp(url + n - 7, "/api/v1", 7) == 0)
		n -= 7;
	memcpy(c->url, url, n);
	c->url[n] = '\0';
	if (o->wait && o->wait_timeout > 0)
		snprintf(c->wait, sizeof(c->wait), "?wait=served&timeout=%d", o->wait_timeout);
	else if (o->wait)
		snprintf(c->wait, sizeof(c->wait), "?wait=served");
	if (o->token_file != NULL && api_token_read(o->token_file, c->token, sizeof(c->token), e) != 0)
		return -1;
	if (o->key != NULL && key_file_check(o->key, e) != 0)
		return -1;
	pthread_once(&api_once, api_global_init);
	if ((c->curl = curl_easy_init()) == NULL)
		return err_set(e, "out of memory");
	return 0;
}

void
api_client_close(struct api_client *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	memset(c->token, 0, sizeof(c->token));
}

struct answer_buf {
	char *p;
	size_t len, cap;
	int over;
};

static size_t
on_data(char *data, size_t size, size_t n, void *arg)
{
	struct answer_buf *b = arg;
	size_t len = size * n;

	if (len > API_ANSWER_MAX - b->len) {
		b->over = 1;
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;
		while (cap < b->len + len + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return 0;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

int
api_call(struct api_client *c, const char *method, const char *path, const void *body,
    size_t len, const char *ctype, long *status, json_t **answer, struct err *e)
{
	char url[API_URL_MAX + 512], auth[API_TOKEN_MAX + 32], ct[128];
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *h;
	struct answer_buf b = {0};
	json_error_t jerr;
	CURL *cu = c->curl;
	CURLcode rc;
	int bad = 0;

	*answer = NULL;
	*status = 0;
	if ((size_t)snprintf(url, sizeof(url), "%s/api/v1%s", c->url, path) >= sizeof(url))
		return err_set(e, "the request's URL is too long");
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
	snprintf(ct, sizeof(ct), "Content-Type: %s", ctype != NULL ? ctype : "application/json");
	/* No "Expect: 100-continue": the API answers a body too big with 413 anyway. */
	hdrs = curl_slist_append(NULL, "Expect:");
	/* No token: the client certificate is the caller (the API's [admin] client lines). */
	if (hdrs != NULL && c->token[0] != '\0' && (h = curl_slist_append(hdrs, auth)) != NULL)
		hdrs = h;
	else if (c->token[0] != '\0')
		bad = 1;
	if (hdrs != NULL && body != NULL && (h = curl_slist_append(hdrs, ct)) != NULL)
		hdrs = h;
	memset(auth, 0, sizeof(auth));
	curl_easy_reset(cu);
	bad |= curl_easy_setopt(cu, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, API_CONNECT_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, API_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)API_ANSWER_MAX) !=
	       CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_data) != CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_WRITEDATA, &b) != CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_USERAGENT, "lancre-cli") != CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	bad |= hdrs == NULL || curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK;
	bad |= curl_easy_setopt(cu, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK;
	/* https://: the admin listener speaks TLS 1.2 and 1.3 only (admin/tls.h). */
	bad |= curl_easy_setopt(cu, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK;
	if (c->cacert[0] != '\0')
		bad |= curl_easy_setopt(cu, CURLOPT_CAINFO, c->cacert) != CURLE_OK;
	if (c->cert[0] != '\0') {
		bad |= curl_easy_setopt(cu, CURLOPT_SSLCERT, c->cert) != CURLE_OK;
		bad |= curl_easy_setopt(cu, CURLOPT_SSLKEY, c->key) != CURLE_OK;
	}
	if (body != NULL) {
		bad |= curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body) != CURLE_OK;
		bad |= curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) !=
		       CURLE_OK;
	}
	if (bad) {
		curl_slist_free_all(hdrs);
		return err_set(e, "libcurl refused an option");
	}
	rc = curl_easy_perform(cu);
	curl_slist_free_all(hdrs);
	/* The header held the token: the handle keeps no copy past the reset. */
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, NULL);
	if (b.over || rc == CURLE_FILESIZE_EXCEEDED) {
		free(b.p);
		return err_set(e, "the admin API at %s: an answer over %zu MiB", c->url,
		    API_ANSWER_MAX >> 20);
	}
	if (rc != CURLE_OK) {
		free(b.p);
		return err_set(e, "could not reach the admin API at %s: %s", c->url,
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	}
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, status);
	*answer = b.p != NULL ? json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (*answer == NULL) {
		/* Only the HTTP layer's own 413 is not JSON (OPERATOR.md). */
		free(b.p);
		if (*status == 413 || *status == 401 || *status == 403 || *status >= 500)
			return 0;
		return err_set(e, "the admin API at %s answered %ld, not JSON (is it lancre's?)",
		    c->url, *status);
	}
	free(b.p);
	return 0;
}

const char *
api_error_text(const json_t *answer)
{
	const json_t *m = json_is_object(answer) ? json_object_get(answer, "error") : NULL;

	return json_is_string(m) ? json_string_value(m) : NULL;
}

int
api_status_error(const struct api_client *c, long status, const json_t *answer,
    struct err *e)
{
	const char *msg = api_error_text(answer);

	if (status == 401 && c->token[0] == '\0')
		return err_set(e, "the admin API at %s wants a token (--token-file): %s", c->url,
		    msg != NULL ? msg : "401");
	if (status == 401)
		return err_set(e, "the admin API at %s refused the token of %s: %s", c->url,
		    c->token_file, msg != NULL ? msg : "401");
	if (status == 403 && c->token[0] == '\0')
		return err_set(e, "the client certificate of %s may not do this: %s", c->cert,
		    msg != NULL ? msg : "403");
	if (status == 403)
		return err_set(e, "the token of %s may not do this: %s", c->token_file,
		    msg != NULL ? msg : "403");
	if (status == 413)
		return err_set(e, "too big for the admin API at %s: %s", c->url,
		    msg != NULL ? msg : "413 (over its [admin] max_body)");
	if (status >= 500)
		return err_set(e, "the admin API at %s failed (%ld): %s", c->url, status,
		    msg != NULL ? msg : "no reason given");
	if (msg != NULL)
		return err_set(e, "%s", msg);
	return err_set(e, "the admin API at %s answered %ld", c->url, status);
}

const char *
api_change_path(const struct api_client *c, const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", path, c->wait);
	return buf;
}

const json_t *
api_unserved(struct api_client *c, long status, const json_t *ans)
{
	const json_t *inner = json_is_object(ans) ? json_object_get(ans, "answer") : NULL;
	const json_t *left = json_is_object(ans) ? json_object_get(ans, "not_served") : NULL;
	const json_t *asking, *it;
	size_t i;

	if (status != 504 || c->wait[0] == '\0' || !json_is_object(inner) || !json_is_array(left))
		return NULL;
	asking = json_object_get(ans, "asking");
	if (c->asking[0] == '\0' && json_is_string(asking))
		snprintf(c->asking, sizeof(c->asking), "%s", json_string_value(asking));
	json_array_foreach(left, i, it) {
		const json_t *is = json_object_get(it, "issuer"), *se = json_object_get(it, "serial");
		c->not_served++;
		if (c->first_not_served[0] != '\0' || !json_is_string(is) || !json_is_string(se))
			continue;
		/* What is still missing: "OCSP", "CRL" or both. */
		snprintf(c->first_not_served, sizeof(c->first_not_served), "%.64s serial %.80s (%s%s%s)",
		    json_string_value(is), json_string_value(se),
		    json_is_true(json_object_get(it, "ocsp")) ? "" : "OCSP",
		    !json_is_true(json_object_get(it, "ocsp")) &&
			    !json_is_true(json_object_get(it, "crl")) ? ", " : "",
		    json_is_true(json_object_get(it, "crl")) ? "" : "CRL");
	}
	return inner;
}

int
api_unserved_error(const struct api_client *c, struct err *e)
{
	return err_set(e, "recorded, but not served within the --wait timeout: %zu certificate%s, "
			  "the first %s not served yet%s%s (nothing is undone; ask again to wait "
			  "again)", c->not_served, c->not_served == 1 ? "" : "s",
	    c->first_not_served[0] != '\0' ? c->first_not_served : "?",
	    c->asking[0] != '\0' ? "; asking the public server: " : "", c->asking);
}

static int
get_string(const json_t *o, const char *key, char *out, size_t len, int need, struct err *e)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL && !need) {
		out[0] = '\0';
		return 0;
	}
	if (!json_is_string(v))
		return err_set(e, "the answer's \"%s\" is missing or not a string", key);
	if (json_string_length(v) >= len)
		return err_set(e, "the answer's \"%s\" is too long", key);
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	if (strlen(out) != json_string_length(v))
		return err_set(e, "the answer's \"%s\" holds a NUL", key);
	return 0;
}

static int
get_time(const json_t *o, const char *key, int64_t *out, struct err *e)
{
	char buf[TIMEFMT_LEN + 8];

	if (get_string(o, key, buf, sizeof(buf), 1, e) != 0)
		return -1;
	if (timefmt_parse(buf, out, e) != 0)
		return err_prefix(e, "the answer's \"%s\"", key);
	return 0;
}

static int
get_bool(const json_t *o, const char *key, int *out, struct err *e)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_boolean(v))
		return err_set(e, "the answer's \"%s\" is missing or not true/false", key);
	*out = json_is_true(v);
	return 0;
}

int
api_cert_from_json(const json_t *o, struct api_cert *out, struct err *e)
{
	char status[16], reason[64];
	const json_t *v, *ocsp;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(o))
		return err_set(e, "the answer is not a certificate's object");
	if (get_string(o, "issuer", out->issuer, sizeof(out->issuer), 1, e) != 0 ||
	    get_string(o, "serial", out->serial, sizeof(out->serial), 1, e) != 0 ||
	    get_string(o, "result", out->result, sizeof(out->result), 0, e) != 0)
		return -1;
	/* A "duplicate" (the same certificate twice in a list) carries nothing else. */
	if (strcmp(out->result, "duplicate") == 0)
		return 0;
	if (get_string(o, "status", status, sizeof(status), 1, e) != 0 ||
	    get_time(o, "not_before", &out->not_before, e) != 0 ||
	    get_time(o, "not_after", &out->not_after, e) != 0 ||
	    get_time(o, "added_at", &out->added_at, e) != 0 ||
	    get_bool(o, "is_ca", &out->is_ca, e) != 0)
		return -1;
	v = json_object_get(o, "crl_shard");
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535)
		return err_set(e, "the answer's \"crl_shard\" is missing or out of range");
	out->shard = (int)json_integer_value(v);
	if ((v = json_object_get(o, "precert")) != NULL && get_bool(o, "precert", &out->precert, e) != 0)
		return -1;
	if (strcmp(status, "revoked") == 0) {
		out->revoked = 1;
		if (get_time(o, "revoked_at", &out->revoked_at, e) != 0 ||
		    get_string(o, "reason", reason, sizeof(reason), 1, e) != 0)
			return -1;
		if (reason_parse(reason, &out->reason, e) != 0)
			return err_prefix(e, "the answer's \"reason\"");
	} else if (strcmp(status, "good") != 0) {
		return err_set(e, "the answer's \"status\" is neither good nor revoked");
	}
	if ((ocsp = json_object_get(o, "ocsp")) != NULL) {
		if (!json_is_object(ocsp) || get_bool(ocsp, "signed", &out->ocsp_signed, e) != 0)
			return err_set(e, "the answer's \"ocsp\" is not an object with \"signed\"");
		if (out->ocsp_signed && get_bool(ocsp, "current", &out->ocsp_current, e) != 0)
			return -1;
		out->has_ocsp = 1;
	}
	return 0;
}

int
api_issuers_from_json(const json_t *o, struct api_issuer *v, size_t max, size_t *n,
    struct err *e)
{
	const json_t *list = json_is_object(o) ? json_object_get(o, "issuers") : NULL;
	const json_t *it;
	size_t i;

	*n = 0;
	if (!json_is_array(list))
		return err_set(e, "the status answer has no \"issuers\" list");
	json_array_foreach(list, i, it) {
		if (*n == max)
			return err_set(e, "the status answer lists more than %zu issuers", max);
		if (!json_is_object(it) ||
		    get_string(it, "name", v[*n].name, sizeof(v[*n].name), 1, e) != 0 ||
		    get_string(it, "subject", v[*n].subject, sizeof(v[*n].subject), 0, e) != 0)
			return err_prefix(e, "issuer %zu", i + 1);
		v[*n].signs = !json_is_false(json_object_get(it, "signs"));
		(*n)++;
	}
	return 0;
}

size_t
api_refused_index(const char *msg)
{
	unsigned long long k = 0;
	const char *p;

	if (msg == NULL || strncmp(msg, "certificate ", 12) != 0)
		return 0;
	p = msg + 12;
	if (*p < '1' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9' && k < 1000000000ULL)
		k = k * 10 + (unsigned long long)(*p++ - '0');
	return *p == ':' ? (size_t)k : 0;
}

size_t
api_sans_tail(const char *s, const char *tail)
{
	size_t len = strlen(s), tl = strlen(tail);

	return len > tl && strcmp(s + len - tl, tail) == 0 ? len - tl : len;
}

size_t
api_refused(const json_t *answer, char *why, size_t len)
{
	const json_t *k = json_is_object(answer) ? json_object_get(answer, "index") : NULL;
	const json_t *r = json_is_object(answer) ? json_object_get(answer, "reason") : NULL;
	const char *m = api_error_text(answer);
	size_t n;

	if (json_is_integer(k) && json_integer_value(k) > 0 && json_is_string(r)) {
		snprintf(why, len, "%s", json_string_value(r));
		return (size_t)json_integer_value(k);
	}
	if ((n = api_refused_index(m)) == 0)
		return 0;
	for (m = strchr(m, ':') + 1; *m == ' '; m++) /* "certificate 3:" alone is no overrun */
		;
	snprintf(why, len, "%s", m);
	why[api_sans_tail(why, " (nothing was recorded)")] = '\0';
	return n;
}
