/*
 * lint.h - one set of named rules over the data a CA publishes (CRLs, OCSP
 * responses, certificates and delegated OCSP responders' certificates), shared
 * by `lancre explain`, and
 * meant for the signer (refuse to publish what fails an e_ check) and a
 * monitor.
 *
 * Each rule has a stable id in zlint's style (e_ error: a MUST of the
 * source is broken; w_ warning: a SHOULD, or a program's guidance; n_
 * notice: worth knowing), the sentence shown when it trips, and the clause
 * it comes from.  Ids never change meaning once published: scripts match
 * them (`lancre explain --json`).  docs/LINTS.md is generated from the
 * tables (`lancre explain --list-lints`), and a test keeps the two equal.
 *
 * Contract: the checks are pure.  They look at the object alone (no clock,
 * no store, no network: "stale now" is explain's business, not a rule), never
 * print, never allocate what they return: a report holds at most one finding
 * per rule, with a short detail naming the offending value, in table order.
 * The tables live one per object kind (lint_crl.c, lint_ocsp.c, lint_cert.c,
 * lint_responder.c).
 */
#ifndef LANCRE_LINT_LINT_H
#define LANCRE_LINT_LINT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "util/err.h"

enum lint_level { LINT_NOTICE, LINT_WARNING, LINT_ERROR };
enum lint_kind { LINT_CRL, LINT_OCSP, LINT_CERT, LINT_RESPONDER };

struct lint_def {
	const char *id;     /* "e_crl_idp_not_critical" */
	enum lint_kind kind;
	const char *text;   /* the finding, one sentence */
	const char *source; /* "RFC 5280 5.2.5" */
};

#define LINT_DETAIL_MAX 160
#define LINT_FINDINGS_MAX 48 /* more than one report's rules (a response's OCSP + responder rules) */

struct lint_finding {
	const struct lint_def *def;
	char detail[LINT_DETAIL_MAX]; /* the value that trips it; may be "" */
};

struct lint_report {
	struct lint_finding v[LINT_FINDINGS_MAX];
	size_t n;
};

/* The level an id's prefix gives. */
enum lint_level lint_level(const struct lint_def *d);
/* "error", "warning", "notice". */
const char *lint_level_name(enum lint_level l);

/* Every rule, CRLs, OCSP, certificates, responders, each table in its order; NULL past the last. */
const struct lint_def *lint_def_at(size_t i);
/* "CRLs", "OCSP responses", ...: the heading of a kind in docs/LINTS.md. */
const char *lint_kind_title(enum lint_kind k);
/* The rule with this id, or NULL. */
const struct lint_def *lint_def_find(const char *id);
/* The same per kind (lint_crl.c, lint_ocsp.c). */
const struct lint_def *lint_crl_def_at(size_t i);
const struct lint_def *lint_ocsp_def_at(size_t i);
const struct lint_def *lint_cert_def_at(size_t i);
const struct lint_def *lint_responder_def_at(size_t i);

/* Number of findings at this level. */
size_t lint_count(const struct lint_report *r, enum lint_level l);

/*
 * Every CRL rule over the CRL der[0..len) (read by crl_der.h: its entries are
 * walked in place, never parsed into OpenSSL objects).  r is emptied first.
 * -1 when der is not a CRL, an entry is malformed, or memory runs out.
 */
int lint_crl(const uint8_t *der, size_t len, struct lint_report *r, struct err *e);

/*
 * Every OCSP rule over a response, then, when the response names a delegated
 * responder whose certificate it carries, the responder rules over that
 * certificate.  Only successful responses carry data to check; any other
 * status gives no finding.
 */
void lint_ocsp(const OCSP_RESPONSE *resp, struct lint_report *r);

/*
 * Every certificate rule over x, and the responder rules when x carries
 * id-kp-OCSPSigning.  r is emptied first.
 */
void lint_cert(X509 *x, struct lint_report *r);

/*
 * 1 if a certificate valid from not_before to not_after is a Short-lived
 * Subscriber Certificate (BR 1.6.1: at most 7 days if issued since
 * 2026-03-15, 10 days if since 2024-03-15; the period counts both ends).
 */
int lint_cert_short_lived(int64_t not_before, int64_t not_after);

/* For the tables: add a finding for d, detail from fmt (lint.c). */
void lint_add(struct lint_report *r, const struct lint_def *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
