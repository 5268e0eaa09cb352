/*
 * explain.h - the printers of `lancre explain` (cmd_explain.c), one file per
 * kind of object: plain words first, then the details, then the lint
 * findings (lint/lint.h), all through one xout (text or JSON).
 */
#ifndef LANCRE_CLI_EXPLAIN_H
#define LANCRE_CLI_EXPLAIN_H

#include <stdint.h>

#include <openssl/x509.h>

#include "cli/xout.h"
#include "explain/detect.h"
#include "lint/lint.h"
#include "util/err.h"

struct explain_dir;

struct explain_ctx {
	struct xout *o;
	int64_t now;
	STACK_OF(X509) *known; /* certificates that may be issuers: --issuer, -d, the input's own */
	const struct explain_dir *dir; /* -d DIR, or NULL */
};

int explain_crl(struct explain_ctx *c, const struct explain_object *obj, struct err *e);
int explain_ocsp_request(struct explain_ctx *c, const struct explain_object *obj, struct err *e);
int explain_ocsp_response(struct explain_ctx *c, const struct explain_object *obj,
    struct err *e);
int explain_cert(struct explain_ctx *c, const struct explain_object *obj, struct err *e);

/* The "findings" array. */
void explain_findings(struct xout *o, const struct lint_report *r);

/* Helpers shared by the printers (explain_util.c). */
/* "2026-12-06T10:00:00Z" into buf[TIMEFMT_LEN]; "?" when t is NULL or unreadable. */
int explain_time(const ASN1_TIME *t, int64_t *out, char *buf, size_t len);
/* "3 days 4 hours", for freshness. */
void explain_span(int64_t secs, char *buf, size_t len);
/* The certificate in c->known whose subject is name, or NULL (the caller verifies). */
X509 *explain_issuer_by_name(const struct explain_ctx *c, const X509_NAME *name);
/* Short name for sentences: the CN, else the whole one-line name. */
void explain_short_name(const X509_NAME *n, char *buf, size_t len);
/* The same, as "e1 (CN)" when cert is one of -d DIR's issuers (cert may be NULL). */
void explain_issuer_label(const struct explain_ctx *c, X509 *cert, const X509_NAME *n, char *buf,
    size_t len);

#endif
