/*
 * detect.c - see detect.h.  The order of attempts matters: DER first (a DER
 * object is never valid text), then PEM, then the POST bodies of a HAR file,
 * then a URL in text, then the whole text as base64; the first that yields
 * an object wins.
 *
 * A URL whose '+' became spaces (log formats that form-decode the request
 * line) is split into several tokens; when no single token holds a request,
 * runs of tokens separated by spaces only are tried whole, each space read
 * as '+' by the GET decoder.  Only a run that starts at a token holding
 * "/M" (every OCSP request's base64 starts with 'M', a DER SEQUENCE) and
 * goes on with base64 characters only is tried, and the attempts are
 * bounded, so a large text stays linear.
 */
#include "explain/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "lint/crl_der.h"
#include "ocsp/request.h"

const char *
explain_kind_name(enum explain_kind k)
{
	static const char *const names[] = {"OCSP request", "OCSP response", "CRL", "certificate"};

	return names[k];
}

const char *
explain_kind_key(enum explain_kind k)
{
	static const char *const keys[] = {"ocsp_request", "ocsp_response", "crl", "certificate"};

	return keys[k];
}

const char *
explain_form_name(enum explain_form f)
{
	static const char *const names[] = {"DER", "PEM", "base64", "URL", "HAR"};

	return names[f];
}

/* takes_all_T(der, len): 1 if d2i_T takes exactly len bytes. */
#define TAKES_ALL(type)                                                              \
	static int takes_all_##type(const uint8_t *der, size_t len)                  \
	{                                                                            \
		const unsigned char *p = der;                                        \
		type *o = d2i_##type(NULL, &p, (long)len);                           \
		int ok = o != NULL && p == der + len;                                \
                                                                                     \
		type##_free(o);                                                      \
		return ok;                                                           \
	}
TAKES_ALL(OCSP_RESPONSE)
TAKES_ALL(X509)
TAKES_ALL(OCSP_REQUEST)

/*
 * A CRL: its shape (crl_der.h), its headers taken by OpenSSL, every entry
 * well formed; d2i_X509_CRL of a million entries would take most of explain's
 * time and 480 MB only to be thrown away.
 */
static int
is_crl(const uint8_t *der, size_t len)
{
	struct crl_der c;
	X509_CRL *headers;
	int ok;

	if (crl_der_open(der, len, &c) != 0 || (headers = crl_der_headers(&c)) == NULL)
		return 0;
	ok = crl_der_count(&c) >= 0;
	X509_CRL_free(headers);
	return ok;
}

int
explain_classify(const uint8_t *der, size_t len, enum explain_kind *kind)
{
	int rc = 0;

	if (len < 2 || der[0] != 0x30 || len > EXPLAIN_INPUT_MAX)
		rc = -1;
	else if (takes_all_OCSP_RESPONSE(der, len))
		*kind = EXPLAIN_OCSP_RESPONSE;
	else if (is_crl(der, len))
		*kind = EXPLAIN_CRL;
	else if (takes_all_X509(der, len))
		*kind = EXPLAIN_CERT;
	else if (takes_all_OCSP_REQUEST(der, len))
		*kind = EXPLAIN_OCSP_REQUEST;
	else
		rc = -1;
	ERR_clear_error();
	return rc;
}

int
explain_input_add(struct explain_input *in, const uint8_t *der, size_t len)
{
	enum explain_kind kind;

	if (in->n == EXPLAIN_OBJECTS_MAX || explain_classify(der, len, &kind) != 0)
		return -1;
	if ((in->v[in->n].der = malloc(len)) == NULL)
		return -1;
	memcpy(in->v[in->n].der, der, len);
	in->v[in->n].len = len;
	in->v[in->n].kind = kind;
	in->n++;
	return 0;
}

/* Every PEM block whose body is an object explain knows; blocks it does not know are skipped. */
static void
from_pem(const uint8_t *data, size_t len, struct explain_input *in)
{
	BIO *b = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long dlen;

	while (b != NULL && PEM_read_bio(b, &name, &header, &der, &dlen) == 1) {
		explain_input_add(in, der, (size_t)dlen);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
		if (in->n == EXPLAIN_OBJECTS_MAX)
			break;
	}
	BIO_free(b);
	ERR_clear_error();
}

/* The whole text as one base64 object, blanks ignored. */
static void
from_base64(const uint8_t *data, size_t len, struct explain_input *in)
{
	char *b64 = malloc(len + 4);
	uint8_t *der = malloc(len / 4 * 3 + 6);
	size_t n = 0, pad = 0;
	int got;

	for (size_t i = 0; b64 != NULL && i < len; i++) {
		if (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')
			continue;
		b64[n++] = (char)data[i];
	}
	while (n > 0 && b64[n - 1] == '=') {
		n--;
		pad++;
	}
	if (b64 != NULL && der != NULL && n > 0 && n % 4 != 1 && pad <= 2) {
		pad = (4 - n % 4) % 4;
		for (size_t k = 0; k < pad; k++)
			b64[n++] = '=';
		if ((got = EVP_DecodeBlock(der, (const unsigned char *)b64, (int)n)) > (int)pad)
			explain_input_add(in, der, (size_t)got - pad);
	}
	free(b64);
	free(der);
}

/*
 * Where base64 of an OCSP request can start: a DER SEQUENCE (0x30) is 'M' in
 * base64, or %4D escaped.  Anywhere else no decoding is tried, so a token of
 * many '/' costs no decoding at each.
 */
static int
starts_sequence(const char *p, size_t n)
{
	return (n >= 1 && p[0] == 'M') ||
	       (n >= 3 && p[0] == '%' && p[1] == '4' && (p[2] == 'D' || p[2] == 'd'));
}

/*
 * At most this many characters can decode to an OCSP GET request: each base64
 * character (OCSP_GET_PATH_MAX of them, two '=' more) is at most 3 (%XX).
 */
#define DETECT_GET_CHARS_MAX (3 * (OCSP_GET_PATH_MAX + 2))

/* An OCSP request in one token of text, at any '/' of it (or its start). */
static int
from_token(const char *tok, size_t len, struct explain_input *in)
{
	uint8_t der[OCSP_GET_DER_MAX];
	size_t dlen, end = 0;
	enum explain_kind kind;

	while (end < len && tok[end] != '?' && tok[end] != '#')
		end++;
	for (size_t i = 0; i < end; i++) {
		if ((i > 0 && tok[i - 1] != '/') || end - i > DETECT_GET_CHARS_MAX ||
		    !starts_sequence(tok + i, end - i))
			continue;
		if (ocsp_request_from_get(tok + i, end - i, der, &dlen) != OCSP_REQUEST_OK ||
		    explain_classify(der, dlen, &kind) != 0 || kind != EXPLAIN_OCSP_REQUEST)
			continue;
		if (explain_input_add(in, der, dlen) != 0)
			return -1;
		snprintf(in->url, sizeof(in->url), "%.*s",
		    (int)(len < EXPLAIN_URL_MAX ? len : EXPLAIN_URL_MAX - 1), tok);
		return 0;
	}
	return -1;
}

static int
is_separator(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' ||
	       c == '<' || c == '>' || c == '\0';
}

static int
is_base64ish(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/' || c == '=' || c == '%' || c == '-' || c == '_';
}

/*
 * Tokens from start on, joined over gaps of spaces only while they are base64
 * characters: each longer run is tried once.  *tries counts the attempts, a
 * run that grew too long among them; no scan goes further than
 * EXPLAIN_SPACED_URL_MAX + 1 bytes from start, so each call costs at most that.
 */
static int
from_spaced_run(const uint8_t *data, size_t len, size_t start, struct explain_input *in,
    size_t *tries)
{
	size_t limit = len - start > EXPLAIN_SPACED_URL_MAX + 1 ? start + EXPLAIN_SPACED_URL_MAX + 1 : len;
	size_t end = start;

	while (end < limit && !is_separator(data[end]))
		end++;
	for (;;) {
		size_t next = end, stop;

		while (next < limit && data[next] == ' ')
			next++;
		if (next == end || next >= limit || is_separator(data[next]))
			return -1;
		for (stop = next; stop < limit && is_base64ish(data[stop]); stop++)
			;
		if (stop < limit && !is_separator(data[stop]))
			return -1; /* the next token is not base64: the run ends here */
		end = stop;
		if (++*tries > EXPLAIN_SPACED_TRIES_MAX || end - start > EXPLAIN_SPACED_URL_MAX)
			return -1;
		if (from_token((const char *)data + start, end - start, in) == 0) {
			in->spaces_as_plus = 1;
			return 0;
		}
	}
}

/* The first OCSP GET URL in the text: tokens between blanks and quotes. */
static void
from_text(const uint8_t *data, size_t len, struct explain_input *in)
{
	size_t i = 0, start, tries = 0;

	while (i < len && in->n == 0) {
		while (i < len && is_separator(data[i]))
			i++;
		start = i;
		while (i < len && !is_separator(data[i]))
			i++;
		if (i > start)
			from_token((const char *)data + start, i - start, in);
	}
	/* Then runs of tokens whose '+' a log turned into spaces. */
	for (i = 0; i < len && in->n == 0 && tries <= EXPLAIN_SPACED_TRIES_MAX; i++) {
		if (i > 0 && !is_separator(data[i - 1]))
			continue;
		for (start = i; i < len && !is_separator(data[i]); i++)
			;
		if (memmem(data + start, i - start, "/M", 2) != NULL)
			from_spaced_run(data, len, start, in, &tries);
	}
}

static int
looks_like_text(const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (data[i] == 0 || (data[i] < 0x20 && data[i] != '\t' && data[i] != '\r' &&
				     data[i] != '\n'))
			return 0;
	return 1;
}

int
explain_detect(const uint8_t *data, size_t len, struct explain_input *in, struct err *e)
{
	memset(in, 0, sizeof(*in));
	if (len == 0)
		return err_set(e, "the input is empty");
	if (len > EXPLAIN_INPUT_MAX)
		return err_set(e, "the input is larger than %zu MB", EXPLAIN_INPUT_MAX >> 20);
	if (explain_input_add(in, data, len) == 0) {
		in->form = EXPLAIN_DER;
		return 0;
	}
	if (!looks_like_text(data, len))
		return err_set(e, "not an OCSP request, OCSP response, CRL or certificate "
				  "(binary input that is not one of them in DER)");
	if (explain_har_posts(data, len, in) == 0) {
		in->form = EXPLAIN_HAR;
		return 0;
	}
	if (memmem(data, len, "-----BEGIN ", 11) != NULL) {
		in->form = EXPLAIN_PEM;
		from_pem(data, len, in);
		if (in->n > 0)
			return 0;
		return err_set(e, "PEM input without an OCSP request, OCSP response, CRL or "
				  "certificate");
	}
	in->form = EXPLAIN_URL;
	from_text(data, len, in);
	if (in->n > 0)
		return 0;
	in->form = EXPLAIN_BASE64;
	from_base64(data, len, in);
	if (in->n > 0)
		return 0;
	return err_set(e, "no OCSP GET URL, and not the base64 of an OCSP request, OCSP "
			  "response, CRL or certificate");
}

int
explain_detect_take(uint8_t *data, size_t len, struct explain_input *in, struct err *e)
{
	enum explain_kind kind;
	int rc;

	memset(in, 0, sizeof(*in));
	if (len > 0 && len <= EXPLAIN_INPUT_MAX && explain_classify(data, len, &kind) == 0) {
		uint8_t *tight = realloc(data, len); /* a reader's buffer may have grown past len */

		in->v[0] = (struct explain_object){kind, tight != NULL ? tight : data, len};
		in->n = 1;
		in->form = EXPLAIN_DER;
		return 0;
	}
	rc = explain_detect(data, len, in, e);
	free(data);
	return rc;
}

void
explain_input_free(struct explain_input *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->v[i].der);
	in->n = 0;
}
