/*
 * served.c - asking the public listener what it serves; see served.h.
 */
#include "admin/served.h"

#include "pki/revtime.h"
#include "pki/serial.h"

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

#define OCSP_ANSWER_MAX (64u << 10)

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

/*
 * One HTTP/1.0 exchange (the server closes after it): the body of a 200
 * answer into *body (malloc'd), at most max bytes.  1 a 200 answer, 0 any
 * other status (404: nothing published yet), -1 error.
 */
static int exchange(const struct admin_public *p, const char *head, const uint8_t *payload,
                    size_t plen, size_t max, uint8_t **body, size_t *blen, struct err *e)
{
	struct timeval tv = {ADMIN_SERVED_IO_MS / 1000, (ADMIN_SERVED_IO_MS % 1000) * 1000};
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	size_t cap = 16384, n = 0, hl = strlen(head);
	uint8_t *buf = NULL, *sep;
	int fd, rc = -1, status = 0;
	ssize_t r;

	*body = NULL;
	*blen = 0;
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
	if ((fd = socket(p->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return err_set(e, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		err_set(e, "cannot reach the public listener on port %u: %s", (unsigned)p->port,
		        strerror(errno));
		goto out;
	}
	if (send(fd, head, hl, MSG_NOSIGNAL) != (ssize_t)hl ||
	    (plen > 0 && send(fd, payload, plen, MSG_NOSIGNAL) != (ssize_t)plen)) {
		err_set(e, "writing to the public listener: %s", strerror(errno));
		goto out;
	}
	if ((buf = malloc(cap)) == NULL) {
		err_set(e, "out of memory");
		goto out;
	}
	for (;;) {
		if (n == cap) {
			uint8_t *nb;
			if (cap >= max + 4096) {
				err_set(e, "the public listener's answer is over %zu bytes", max);
				goto out;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				err_set(e, "out of memory");
				goto out;
			}
			buf = nb;
		}
		if ((r = recv(fd, buf + n, cap - n, 0)) < 0) {
			if (errno == EINTR)
				continue;
			err_set(e, "reading the public listener: %s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	sep = n >= 4 ? memmem(buf, n, "\r\n\r\n", 4) : NULL;
	if (sep == NULL || sscanf((const char *)buf, "HTTP/1.%*d %d", &status) != 1) {
		err_set(e, "the public listener's answer is not HTTP");
		goto out;
	}
	if (status != 200) {
		rc = 0;
		goto out;
	}
	*blen = n - (size_t)(sep + 4 - buf);
	memmove(buf, sep + 4, *blen);
	*body = buf;
	buf = NULL;
	rc = 1;
out:
	free(buf);
	close(fd);
	return rc;
}

/* The serial's DER content bytes as an ASN1_INTEGER, parsed as a certificate's would be. */
static ASN1_INTEGER *serial_int(const uint8_t *v, size_t n)
{
	uint8_t der[2 + STORE_SERIAL_MAX];
	const uint8_t *q = der;

	if (n == 0 || n > STORE_SERIAL_MAX || n > 127)
		return NULL;
	der[0] = 0x02;
	der[1] = (uint8_t)n;
	memcpy(der + 2, v, n);
	return d2i_ASN1_INTEGER(NULL, &q, (long)(n + 2));
}

static int64_t time_of(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	return (int64_t)timegm(&tm);
}

int admin_served_ocsp(const struct admin_public *p, const struct admin_served_want *w,
                      struct err *e)
{
	const uint8_t *q = w->issuer_der;
	X509 *issuer = d2i_X509(NULL, &q, (long)w->issuer_len);
	ASN1_INTEGER *serial = NULL;
	OCSP_CERTID *id = NULL;
	OCSP_REQUEST *req = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *basic = NULL;
	ASN1_GENERALIZEDTIME *revtime = NULL, *thisupd = NULL;
	uint8_t *der = NULL, *body = NULL;
	const uint8_t *b;
	char head[256];
	size_t blen;
	int len, rc = -1, status = -1, reason = -1;

	/* The exact bytes, as a client's CertID carries them (pki/serial.h: matched byte for byte).
	 */
	if (issuer == NULL || (serial = serial_to_asn1(w->serial, w->serial_len)) == NULL) {
		err_set(e, "the issuer's certificate or the serial does not parse");
		goto out;
	}
	if ((id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer),
	                           X509_get0_pubkey_bitstr(issuer), serial)) == NULL ||
	    (req = OCSP_REQUEST_new()) == NULL || OCSP_request_add0_id(req, id) == NULL) {
		err_set(e, "cannot make the OCSP request");
		goto out;
	}
	id = NULL; /* the request's now */
	if ((len = i2d_OCSP_REQUEST(req, &der)) <= 0) {
		err_set(e, "cannot encode the OCSP request");
		goto out;
	}
	snprintf(
	    head, sizeof(head),
	    "POST /ocsp HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/ocsp-request\r\n"
	    "Content-Length: %d\r\nConnection: close\r\n\r\n",
	    len);
	if ((rc = exchange(p, head, der, (size_t)len, OCSP_ANSWER_MAX, &body, &blen, e)) != 1)
		goto out;
	rc = 0;
	b = body;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &b, (long)blen)) == NULL ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (basic = OCSP_response_get1_basic(resp)) == NULL)
		goto out; /* unauthorized, try later: not answered yet */
	if ((id = OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer),
	                           X509_get0_pubkey_bitstr(issuer), serial)) == NULL ||
	    OCSP_resp_find_status(basic, id, &status, &reason, &revtime, &thisupd, NULL) != 1)
		goto out;
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
	OCSP_REQUEST_free(req);
	OPENSSL_free(der);
	free(body);
	ASN1_INTEGER_free(serial);
	X509_free(issuer);
	return rc;
}

int admin_served_crl(const struct admin_public *p, const char *path,
                     const struct admin_served_want *w, struct err *e)
{
	ASN1_INTEGER *serial = serial_int(w->serial, w->serial_len);
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_ENUMERATED *r;
	uint8_t *body = NULL;
	const uint8_t *b;
	char head[512];
	size_t blen;
	int rc = -1, reason = 0;

	if (serial == NULL) {
		err_set(e, "the serial does not parse");
		goto out;
	}
	snprintf(head, sizeof(head),
	         "GET %s HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
	if ((rc = exchange(p, head, NULL, 0, ADMIN_SERVED_CRL_MAX, &body, &blen, e)) != 1)
		goto out;
	rc = 0;
	b = body;
	if ((crl = d2i_X509_CRL(NULL, &b, (long)blen)) == NULL ||
	    X509_CRL_get0_by_serial(crl, &rev, serial) != 1)
		goto out;
	if ((r = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL)) != NULL) {
		reason = (int)ASN1_ENUMERATED_get(r);
		ASN1_ENUMERATED_free(r);
	}
	rc = reason == w->reason &&
	     time_of(X509_REVOKED_get0_revocationDate(rev)) ==
	         revtime_clamp(w->revoked_at, time_of(X509_CRL_get0_lastUpdate(crl)));
out:
	X509_CRL_free(crl);
	free(body);
	ASN1_INTEGER_free(serial);
	return rc;
}
