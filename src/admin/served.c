/*
 * served.c - asking the public listener what it serves; see served.h.
 */
#include "admin/served.h"

#include "ocsp/certid.h"
#include "pki/revtime.h"
#include "pki/serial.h"
#include "util/der.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

int admin_public_parse(const char *listen, struct admin_public *out, struct err *e)
{
	const char *colon = strrchr(listen, ':');
	char host[64];
	long port;
	char *end;

	memset(out, 0, sizeof(*out));
	if (colon == NULL || (size_t)(colon - listen) >= sizeof(host))
		return err_set(e, "the public listener '%s' is not HOST:PORT", listen);
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || port <= 0 || port > 65535)
		return err_set(e, "the public listener '%s' has no port", listen);
	out->port = (unsigned short)port;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	if (host[0] == '[') { /* [::1] */
		size_t n = strlen(host);
		if (n < 2 || host[n - 1] != ']')
			return err_set(e, "the public listener '%s' is not HOST:PORT", listen);
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	/* Every address, or a name (not resolved inside the sandbox): loopback reaches it. */
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0 ||
	    strcmp(host, "localhost") == 0) {
		out->family = AF_INET;
		inet_pton(AF_INET, "127.0.0.1", out->addr);
	} else if (strcmp(host, "::") == 0) {
		out->family = AF_INET6;
		inet_pton(AF_INET6, "::1", out->addr);
	} else if (inet_pton(AF_INET, host, out->addr) == 1) {
		out->family = AF_INET;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		out->family = AF_INET6;
	} else {
		out->family = AF_INET;
		inet_pton(AF_INET, "127.0.0.1", out->addr);
	}
	return 0;
}

void
admin_public_conn_init(struct admin_public_conn *c, const struct admin_public *p)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->fd = -1;
}

/* Close the socket, keep the buffer (emptied): the next use connects again. */
static void
conn_reset(struct admin_public_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->off = c->len = 0;
}

void
admin_public_conn_close(struct admin_public_conn *c)
{
	conn_reset(c);
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
}

static int
conn_open(struct admin_public_conn *c, struct err *e)
{
	struct timeval tv = {ADMIN_SERVED_IO_MS / 1000, (ADMIN_SERVED_IO_MS % 1000) * 1000};
	const struct admin_public *p = c->p;
	struct sockaddr_storage ss = {0};
	socklen_t sl;

	if (c->fd >= 0)
		return 0;
	c->off = c->len = 0;
	if (p->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(p->port);
		memcpy(&a->sin6_addr, p->addr, 16);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)(void *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(p->port);
		memcpy(&a->sin_addr, p->addr, 4);
		sl = sizeof(*a);
	}
	if ((c->fd = socket(p->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return err_set(e, "socket: %s", strerror(errno));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&ss, sl) != 0) {
		err_set(e, "cannot reach the public listener on port %u: %s", (unsigned)p->port,
		    strerror(errno));
		conn_reset(c);
		return -1;
	}
	return 0;
}

static int
conn_send(struct admin_public_conn *c, const uint8_t *p, size_t n, struct err *e)
{
	while (n > 0) {
		ssize_t r = send(c->fd, p, n, MSG_NOSIGNAL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err_set(e, "writing to the public listener: %s",
			    r < 0 ? strerror(errno) : "nothing written");
			conn_reset(c);
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Until c holds want bytes past c->off (want is at most max plus a head):
 * 0, or -1 with e (c reset).  What was used is moved out before the buffer
 * grows, so it holds one answer at most beyond what recv brought with it.
 */
static int
conn_fill(struct admin_public_conn *c, size_t want, size_t max, struct err *e)
{
	while (c->len - c->off < want) {
		ssize_t r;
		if (c->len == c->cap && c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (c->len == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 65536;
			uint8_t *nb;
			if (c->cap >= max + ADMIN_SERVED_HEAD_MAX) {
				err_set(e, "the public listener's answer is over %zu bytes", max);
				conn_reset(c);
				return -1;
			}
			if ((nb = realloc(c->buf, cap)) == NULL) {
				err_set(e, "out of memory");
				conn_reset(c);
				return -1;
			}
			c->buf = nb;
			c->cap = cap;
		}
		if ((r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0)) < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err_set(e, "reading the public listener: %s",
			    r < 0 ? strerror(errno) : "it closed the connection");
			conn_reset(c);
			return -1;
		}
		c->len += (size_t)r;
	}
	return 0;
}

/* ASCII case-insensitive: does the header line [p, p + n) name `name` (lower case)? */
static const uint8_t *
header_value(const uint8_t *p, size_t n, const char *name, size_t *vlen)
{
	size_t k = strlen(name), i;

	if (n <= k || p[k] != ':')
		return NULL;
	for (i = 0; i < k; i++) {
		uint8_t ch = p[i] >= 'A' && p[i] <= 'Z' ? (uint8_t)(p[i] + 32) : p[i];
		if (ch != (uint8_t)name[i])
			return NULL;
	}
	p += k + 1;
	n -= k + 1;
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	*vlen = n;
	return p;
}

static int
value_is(const uint8_t *v, size_t n, const char *word)
{
	size_t k = strlen(word);

	if (n != k)
		return 0;
	for (size_t i = 0; i < k; i++)
		if ((v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]) != word[i])
			return 0;
	return 1;
}

int
admin_http_head_parse(const uint8_t *buf, size_t len, struct admin_http_head *h)
{
	const uint8_t *end, *p, *eol, *v;
	size_t scan = len < ADMIN_SERVED_HEAD_MAX ? len : ADMIN_SERVED_HEAD_MAX, vlen;

	memset(h, 0, sizeof(*h));
	if ((end = scan >= 4 ? memmem(buf, scan, "\r\n\r\n", 4) : NULL) == NULL)
		return len >= ADMIN_SERVED_HEAD_MAX ? -1 : 0;
	h->head_len = (size_t)(end - buf) + 4;
	/* "HTTP/1.x NNN ..." */
	if (h->head_len < 16 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return -1;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		h->status = h->status * 10 + (buf[i] - '0');
	}
	if (buf[12] != ' ' && buf[12] != '\r')
		return -1;
	h->close = buf[7] == '0'; /* HTTP/1.0: closed after it, unless keep-alive (not asked) */
	p = (const uint8_t *)memchr(buf, '\n', h->head_len) + 1;
	for (; p < end + 2; p = eol + 2) {
		eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if (eol == NULL)
			return -1;
		if ((v = header_value(p, (size_t)(eol - p), "content-length", &vlen)) != NULL) {
			size_t cl = 0;
			if (vlen == 0 || vlen > 12 || h->has_length)
				return -1;
			for (size_t i = 0; i < vlen; i++) {
				if (v[i] < '0' || v[i] > '9')
					return -1;
				cl = cl * 10 + (size_t)(v[i] - '0');
			}
			h->content_length = cl;
			h->has_length = 1;
		} else if ((v = header_value(p, (size_t)(eol - p), "transfer-encoding", &vlen)) !=
			   NULL) {
			return -1; /* chunked: the public server sends lengths; anything else is odd */
		} else if ((v = header_value(p, (size_t)(eol - p), "connection", &vlen)) != NULL) {
			if (value_is(v, vlen, "close"))
				h->close = 1;
			else if (value_is(v, vlen, "keep-alive"))
				h->close = 0;
		} else if ((v = header_value(p, (size_t)(eol - p), "etag", &vlen)) != NULL) {
			if (vlen < sizeof(h->etag)) {
				memcpy(h->etag, v, vlen);
				h->etag[vlen] = '\0';
			}
		}
	}
	/* No body without a length: 1xx, 204, 304 (RFC 9112 6.3); else it must be given. */
	if (!h->has_length && !(h->status == 204 || h->status == 304 || h->status / 100 == 1))
		return -1;
	return 1;
}

/*
 * The next answer on c: its head into *h and its body at c->buf + *body
 * (valid until the next read on c), consumed.  0, or -1 with e (c reset).
 */
static int
conn_answer(struct admin_public_conn *c, size_t max, struct admin_http_head *h, size_t *body,
    struct err *e)
{
	int rc;

	for (;;) {
		rc = admin_http_head_parse(c->buf + c->off, c->len - c->off, h);
		if (rc == 1)
			break;
		if (rc < 0) {
			err_set(e, "the public listener's answer is not HTTP this client reads");
			conn_reset(c);
			return -1;
		}
		if (conn_fill(c, c->len - c->off + 1, max, e) != 0)
			return -1;
	}
	if (h->content_length > max) {
		err_set(e, "the public listener's answer is over %zu bytes", max);
		conn_reset(c);
		return -1;
	}
	if (conn_fill(c, h->head_len + h->content_length, max, e) != 0)
		return -1;
	*body = c->off + h->head_len;
	c->off += h->head_len + h->content_length;
	if (h->close) /* the rest of this connection is not for a next request */
		c->len = c->off;
	return 0;
}

int
admin_served_issuer_init(const uint8_t *der, size_t len, struct admin_served_issuer *out,
    struct err *e)
{
	const uint8_t *q = der;
	X509 *x = d2i_X509(NULL, &q, (long)len);
	struct ocsp_issuer_hashes h;
	int sha1 = ocsp_hash_index(OCSP_HASH_SHA1), rc;

	if (x == NULL)
		return err_set(e, "the issuer's certificate does not parse");
	rc = ocsp_issuer_hashes(x, &h, e); /* as the server and the signer hash them */
	X509_free(x);
	if (rc != 0)
		return -1;
	memcpy(out->name_hash, h.name[sha1], sizeof(out->name_hash));
	memcpy(out->key_hash, h.key[sha1], sizeof(out->key_hash));
	return 0;
}

#define CERTID_DER_MAX (3 + 11 + 22 + 22 + 2 + STORE_SERIAL_MAX)

static const uint8_t sha1_alg[] = {0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05,
    0x00}; /* AlgorithmIdentifier { sha1, NULL } */

/* The content of w's CertID: hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber. */
static size_t
certid_content_len(const struct admin_served_want *w)
{
	return sizeof(sha1_alg) + 22 + 22 + der_header_len(w->serial_len) + w->serial_len;
}

/* w's CertID (SHA-1) into out: its length. */
static size_t
certid_der(const struct admin_served_want *w, uint8_t *out)
{
	uint8_t *p = der_put_header(out, DER_SEQUENCE, certid_content_len(w));

	memcpy(p, sha1_alg, sizeof(sha1_alg));
	p = der_put_header(p + sizeof(sha1_alg), DER_OCTET_STRING, 20);
	memcpy(p, w->issuer->name_hash, 20);
	p = der_put_header(p + 20, DER_OCTET_STRING, 20);
	memcpy(p, w->issuer->key_hash, 20);
	/* The serial's exact bytes, as a client's CertID carries them (pki/serial.h). */
	p = der_put_header(p + 20, DER_INTEGER, w->serial_len);
	memcpy(p, w->serial, w->serial_len);
	return (size_t)(p + w->serial_len - out);
}

size_t
admin_served_request_der(const struct admin_served_want *w,
    uint8_t out[ADMIN_SERVED_REQUEST_MAX])
{
	/* OCSPRequest { tbsRequest { requestList { Request { reqCert } } } }: four
	 * SEQUENCEs around the CertID, their lengths worked out from the inside. */
	size_t len[5];
	uint8_t *p = out;

	len[4] = der_header_len(certid_content_len(w)) + certid_content_len(w);
	for (int i = 3; i >= 0; i--)
		len[i] = der_header_len(len[i + 1]) + len[i + 1];
	for (int i = 0; i < 4; i++)
		p = der_put_header(p, DER_SEQUENCE, len[i + 1]);
	return (size_t)(p - out) + certid_der(w, p);
}

static int64_t
time_of(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	return (int64_t)timegm(&tm);
}

/* Does the OCSP answer (body) say w?  1 yes, 0 no (anything else: not served). */
static int
ocsp_says(const uint8_t *body, size_t len, const struct admin_served_want *w)
{
	uint8_t idder[CERTID_DER_MAX];
	const uint8_t *b = body, *q = idder;
	size_t idlen = certid_der(w, idder);
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &b, (long)len);
	OCSP_BASICRESP *basic = NULL;
	OCSP_CERTID *id = d2i_OCSP_CERTID(NULL, &q, (long)idlen);
	ASN1_GENERALIZEDTIME *revtime = NULL, *thisupd = NULL;
	int rc = 0, status = -1, reason = -1;

	if (resp == NULL || id == NULL ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (basic = OCSP_response_get1_basic(resp)) == NULL ||
	    OCSP_resp_find_status(basic, id, &status, &reason, &revtime, &thisupd, NULL) != 1)
		goto out; /* unauthorized, try later: not answered yet */
	if (!w->revoked)
		rc = status == V_OCSP_CERTSTATUS_GOOD;
	else
		rc = status == V_OCSP_CERTSTATUS_REVOKED &&
		     (reason < 0 ? 0 : reason) == w->reason &&
		     time_of(revtime) == revtime_clamp(w->revoked_at, time_of(thisupd));
out:
	OCSP_BASICRESP_free(basic);
	OCSP_RESPONSE_free(resp);
	OCSP_CERTID_free(id);
	return rc;
}

int
admin_served_ocsp_many(struct admin_public_conn *c, const struct admin_served_want *w,
    size_t n, int *served, struct err *e)
{
	size_t cap = n * (ADMIN_SERVED_REQUEST_MAX + 160), k = 0, sent, body;
	uint8_t *out = malloc(cap > 0 ? cap : 1);
	struct admin_http_head h;
	int count = 0;

	if (out == NULL)
		return err_set(e, "out of memory");
	if (conn_open(c, e) != 0) {
		free(out);
		return -1;
	}
	/* Every request first, in one write: the server answers them in order (pipelining). */
	for (size_t i = 0; i < n; i++) {
		uint8_t der[ADMIN_SERVED_REQUEST_MAX];
		size_t len = admin_served_request_der(&w[i], der);
		k += (size_t)snprintf((char *)out + k, cap - k,
		    "POST /ocsp HTTP/1.1\r\nHost: localhost\r\n"
		    "Content-Type: application/ocsp-request\r\nContent-Length: %zu\r\n\r\n", len);
		memcpy(out + k, der, len);
		k += len;
	}
	if (conn_send(c, out, k, e) != 0) {
		free(out);
		return -1;
	}
	free(out);
	for (sent = 0; sent < n; sent++) {
		if (conn_answer(c, ADMIN_SERVED_OCSP_MAX, &h, &body, e) != 0)
			return -1;
		if (h.status == 200 && ocsp_says(c->buf + body, h.content_length, &w[sent])) {
			served[sent] = 1;
			count++;
		}
		if (h.close) { /* the others (if any) were not answered: asked again later */
			conn_reset(c);
			break;
		}
	}
	return count;
}

int
admin_served_crl_fetch(struct admin_public_conn *c, const char *path,
    char etag[ADMIN_SERVED_ETAG_MAX], X509_CRL **out, struct err *e)
{
	char head[512 + ADMIN_SERVED_ETAG_MAX];
	struct admin_http_head h;
	const uint8_t *b;
	size_t body;
	int n;

	*out = NULL;
	if (conn_open(c, e) != 0)
		return -1;
	n = snprintf(head, sizeof(head), "GET %s HTTP/1.1\r\nHost: localhost\r\n%s%s%s\r\n", path,
	    etag[0] != '\0' ? "If-None-Match: " : "", etag, etag[0] != '\0' ? "\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return err_set(e, "the CRL's path is too long");
	if (conn_send(c, (const uint8_t *)head, (size_t)n, e) != 0 ||
	    conn_answer(c, ADMIN_SERVED_CRL_MAX, &h, &body, e) != 0)
		return -1;
	if (h.close)
		conn_reset(c);
	if (h.status != 200)
		return 0; /* 304: the same one; 404: none yet */
	b = c->buf + body;
	if ((*out = d2i_X509_CRL(NULL, &b, (long)h.content_length)) == NULL)
		return err_set(e, "the CRL at %s does not parse", path);
	snprintf(etag, ADMIN_SERVED_ETAG_MAX, "%s", h.etag);
	return 1;
}

int
admin_served_crl_lists(X509_CRL *crl, const struct admin_served_want *w)
{
	ASN1_INTEGER *serial = serial_to_asn1(w->serial, w->serial_len);
	X509_REVOKED *rev = NULL;
	ASN1_ENUMERATED *r;
	int rc = 0, reason = 0;

	/* The lookup sorts the CRL's entries once, then each is a binary search. */
	if (serial == NULL || X509_CRL_get0_by_serial(crl, &rev, serial) != 1)
		goto out;
	if ((r = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL)) != NULL) {
		reason = (int)ASN1_ENUMERATED_get(r);
		ASN1_ENUMERATED_free(r);
	}
	rc = reason == w->reason &&
	     time_of(X509_REVOKED_get0_revocationDate(rev)) ==
		 revtime_clamp(w->revoked_at, time_of(X509_CRL_get0_lastUpdate(crl)));
out:
	ASN1_INTEGER_free(serial);
	return rc;
}
