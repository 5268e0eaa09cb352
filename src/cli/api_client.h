/*
 * api_client.h - the CLI's client of the admin API (docs/OPERATOR.md "The
 * admin API"): `lancre cert add`, `revoke` and `status` with `--api URL
 * --token-file F` do their work through a running `lancre run` instead of a
 * data directory, so a CA's issuance host needs none.
 *
 * Library code: every function returns an error (struct err), nothing is
 * printed.  Requests go through libcurl with connect and total timeouts, a
 * cap on the answer's size, no redirects (a bearer token must not follow one
 * elsewhere) and http/https only.  Over https:// (the admin listener's TLS,
 * admin/tls.h): TLS 1.2 at least, the server verified against --cacert (else
 * the system's CAs), and a client certificate (--cert, --key) for mutual
 * TLS; with one the API lists, no token is needed.
 *
 * --wait asks a change (cert add, revoke) to be answered only once the
 * public server serves it (?wait=served&timeout=S, docs/OPERATOR.md): a
 * 504 then means recorded but not served in time, which the commands
 * report with API_EXIT_NOT_SERVED.
 */
#ifndef LANCRE_CLI_API_CLIENT_H
#define LANCRE_CLI_API_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"

#define API_TOKEN_MAX 128           /* "lct_" + 43 characters, with room to spare */
#define API_URL_MAX 1024
#define API_CONNECT_TIMEOUT_MS 5000L
#define API_TIMEOUT_MS 300000L      /* a bundle of 10,000 certificates, checked one by one */
#define API_ANSWER_MAX ((size_t)64 << 20) /* 10,000 certificates' JSON is ~3 MB */
#define API_BUNDLE_CERTS 10000      /* the API's limit per POST /api/v1/certificates */
#define API_BUNDLE_BYTES ((size_t)1000 << 10) /* under the API's default max_body, 1M */
#define API_ISSUER_MAX 64
#define API_WAIT_MAX_S 120 /* the API's own cap on timeout= (admin/wait.h) */
#define API_EXIT_NOT_SERVED 3 /* --wait: recorded, but not served within the timeout */

/* What the command line says about the API (--api and the options that go with it). */
struct api_opts {
	const char *url;        /* --api URL; NULL: not over the API */
	const char *token_file; /* --token-file F, or NULL (then a client certificate) */
	const char *cacert;     /* --cacert F: the CA(s) the API's certificate chains to */
	const char *cert, *key; /* --cert F --key F: a client certificate and its key (PEM) */
	int wait;               /* --wait: changes answered once served */
	int wait_timeout;       /* --wait-timeout S (1 to API_WAIT_MAX_S); 0: the API's 10 s */
};

struct api_client {
	char url[API_URL_MAX];     /* the base, e.g. http://127.0.0.1:8082, no trailing '/' */
	char token[API_TOKEN_MAX]; /* never printed or logged; "" with a client certificate */
	char token_file[API_URL_MAX];
	char cacert[API_URL_MAX], cert[API_URL_MAX], key[API_URL_MAX]; /* "" when not given */
	char wait[48];             /* "?wait=served[&timeout=S]" for a change, or "" */
	size_t not_served;         /* certificates a --wait's 504 said were not served */
	char first_not_served[256]; /* the first of them, "e1 serial 1a2b (OCSP, CRL)" */
	char asking[128];          /* the 504's "asking": why the admin process could not ask the
	                              public server (it may never be served), or "" */
	void *curl;                /* one handle: keep-alive across a command's requests */
};

/*
 * The token in path: its first line.  The file must not be readable by group
 * or others (as PIN files), nor empty.
 */
int api_token_read(const char *path, char *out, size_t len, struct err *e);

/*
 * Is url one lancre sends a token to?  https:// anywhere; http:// only to a
 * loopback host (127.0.0.0/8, [::1], localhost): the token would cross the
 * network in clear text, and the admin listener itself refuses other
 * addresses until it has TLS.  0, or -1 with the reason in e.
 */
int api_url_check(const char *url, struct err *e);

/*
 * Check o's URL (api_url_check), read the token file if any, check the
 * client key file's mode (as a token file's); 0 or -1 with e.
 */
int api_client_open(struct api_client *c, const struct api_opts *o, struct err *e);
void api_client_close(struct api_client *c);

/*
 * One request: method and path (below /api/v1, e.g. "/status"), an optional
 * body with its Content-Type.  0 with the HTTP status in *status and the
 * parsed answer in *answer (the caller decrefs; an error answer too), or -1
 * with e when there is no answer to read: the API unreachable, a timeout,
 * an answer too big or not JSON.  An error status is not an error here:
 * api_status_error() says it.
 */
int api_call(struct api_client *c, const char *method, const char *path, const void *body,
    size_t len, const char *ctype, long *status, json_t **answer, struct err *e);

/*
 * The path of a change (e.g. "/certificates") with --wait's query into buf;
 * buf.
 */
const char *api_change_path(const struct api_client *c, const char *path, char *buf,
    size_t len);

/*
 * A --wait's 504 (status, ans): the change is recorded but not served in
 * time.  Counts what was not served into c (the first well-formed entry
 * named, the first "asking" kept) and returns the change's own answer (inside ans: the caller reads it as a 200's); NULL when status and
 * ans are not such an answer.
 */
const json_t *api_unserved(struct api_client *c, long status, const json_t *ans);

/*
 * The error line of a command whose changes were recorded but not all
 * served (c->not_served > 0), with why the admin process could not ask the
 * public server when it said; returns -1.
 */
int api_unserved_error(const struct api_client *c, struct err *e);

/*
 * One line for an error answer (status >= 400): 401 and 403 name the token
 * file (or the client certificate), 413 says too big, 5xx names the URL; the others give the API's own
 * message ({"error": "..."}).  Returns -1.
 */
int api_status_error(const struct api_client *c, long status, const json_t *answer,
    struct err *e);

/* The message of an error answer {"error": "..."}, or NULL. */
const char *api_error_text(const json_t *answer);

/* A certificate as the API describes it (admin_cert_json, ep_cert_get.c). */
struct api_cert {
	char issuer[API_ISSUER_MAX + 1];
	char serial[128]; /* hex as the API prints it */
	int revoked;
	int64_t not_before, not_after, added_at, revoked_at;
	int reason; /* REASON_* when revoked */
	int is_ca;
	int shard;
	int precert; /* only a precertificate is recorded (an older API does not say: 0) */
	char result[16]; /* "added", "present", "revoked", "unchanged", ...; "" if none */
	int has_ocsp, ocsp_signed, ocsp_current;
};

/* Map one certificate object of an answer; -1 with e naming what is missing or wrong. */
int api_cert_from_json(const json_t *o, struct api_cert *out, struct err *e);

/* An issuer of GET /status. */
struct api_issuer {
	char name[API_ISSUER_MAX + 1];
	char subject[256]; /* "" when the API does not say */
	int signs;         /* it has a key: only such an issuer is matched to a certificate */
};

/* The issuers of a GET /status answer, into v[0..*n) (at most max). */
int api_issuers_from_json(const json_t *o, struct api_issuer *v, size_t max, size_t *n,
    struct err *e);

/*
 * The "certificate N: " a refused bundle's answer starts with (422): N, or 0
 * when it names none.
 */
size_t api_refused_index(const char *msg);

/*
 * The length of s without tail, when s ends with it after at least one
 * character (an API error's " (nothing was revoked)", which the CLI's own
 * words leave out); strlen(s) when not.
 */
size_t api_sans_tail(const char *s, const char *tail);

/*
 * A 422 refusing one certificate of a bundle: its index (from 1; 0 when the
 * answer names none) and the reason into why, from the answer's "index"
 * and "reason", else (a lancre before them) from the message
 * ("certificate N: why (nothing was recorded)").
 */
size_t api_refused(const json_t *answer, char *why, size_t len);

#endif
