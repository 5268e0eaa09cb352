/*
 * detect.h - what an investigator has at hand, turned into DER objects that
 * `lancre explain` can decode, without being told what it is.
 *
 * Input is bytes (a file, stdin, or a command-line argument):
 *   - DER: one OCSP request, OCSP response, CRL or certificate;
 *   - PEM: any number of blocks (a chain bundle), whatever their labels say;
 *   - bare base64 of one DER object (whitespace ignored);
 *   - text holding an OCSP GET URL: the URL alone, raw or URL-encoded, host-
 *     style (http://o.example/MFMw...) or path-style (/ocsp/MFMw...), with or
 *     without scheme, or a whole log line that contains one (common and
 *     combined log formats, squid, a HAR file's "url"): every token between
 *     blanks and quotes is tried, at each '/' of its path, through the
 *     server's own GET decoder (ocsp/request.h), so explain accepts exactly
 *     the manglings the server does; a URL whose '+' a log turned into
 *     spaces too (tokens joined again, see detect.c);
 *   - a HAR file whose entries POST a body (request.postData.text: base64,
 *     or binary carried as text, one character per byte; har.c).
 * Each DER object's kind comes from which OpenSSL decoder takes all of its
 * bytes, never from a PEM label or a file name.
 */
#ifndef LANCRE_EXPLAIN_DETECT_H
#define LANCRE_EXPLAIN_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define EXPLAIN_INPUT_MAX ((size_t)256 << 20) /* a 1M-entry CRL is ~40 MB */
#define EXPLAIN_OBJECTS_MAX 32                /* PEM blocks in one input */
#define EXPLAIN_URL_MAX 512                   /* the URL shown back (cut) */
#define EXPLAIN_SPACED_URL_MAX 4096           /* a URL rejoined over spaces, at most */
#define EXPLAIN_SPACED_TRIES_MAX 64           /* rejoined runs tried in one input */

enum explain_kind {
	EXPLAIN_OCSP_REQUEST,
	EXPLAIN_OCSP_RESPONSE,
	EXPLAIN_CRL,
	EXPLAIN_CERT,
};

enum explain_form {
	EXPLAIN_DER,
	EXPLAIN_PEM,
	EXPLAIN_BASE64,
	EXPLAIN_URL, /* an OCSP GET URL, alone or inside a log line */
	EXPLAIN_HAR, /* the POST bodies of a HAR file */
};

struct explain_object {
	enum explain_kind kind;
	uint8_t *der; /* owned */
	size_t len;
};

struct explain_input {
	enum explain_form form;
	struct explain_object v[EXPLAIN_OBJECTS_MAX];
	size_t n;
	char url[EXPLAIN_URL_MAX]; /* EXPLAIN_URL: the token the request was found in */
	int spaces_as_plus;        /* EXPLAIN_URL: found only by reading spaces as '+' */
};

/*
 * Detect and decode data[0..len).  0 with at least one object, or -1 with
 * one line saying what the input is not.  in is always left freeable.
 */
int explain_detect(const uint8_t *data, size_t len, struct explain_input *in, struct err *e);
/*
 * The same over a buffer from malloc, which this takes: a DER object is kept
 * as it is instead of copied (a 50 MB CRL is held once, not twice).
 */
int explain_detect_take(uint8_t *data, size_t len, struct explain_input *in, struct err *e);
void explain_input_free(struct explain_input *in);

/* Add a copy of one DER object if explain knows its kind: 0, or -1 (unknown kind, full, no memory). */
int explain_input_add(struct explain_input *in, const uint8_t *der, size_t len);

/*
 * The OCSP requests (or any object explain knows) POSTed in a HAR file's
 * entries (har.c): 0 with at least one added, -1 when there is none.
 */
int explain_har_posts(const uint8_t *data, size_t len, struct explain_input *in);

/* The kind of one DER object: 0 and *kind set, or -1 if no decoder takes all of it. */
int explain_classify(const uint8_t *der, size_t len, enum explain_kind *kind);

/* "OCSP request", "OCSP response", "CRL", "certificate". */
const char *explain_kind_name(enum explain_kind k);
/* Stable, for --json: "ocsp_request", "ocsp_response", "crl", "certificate". */
const char *explain_kind_key(enum explain_kind k);
/* "DER", "PEM", "base64", "URL", "HAR". */
const char *explain_form_name(enum explain_form f);

#endif
