/*
 * lint_ocsp.c - the rules for OCSP responses (lint.h), read like the CRL
 * table: facts gathered once over every SingleResponse, then one row per
 * rule.  A response whose status is not successful carries nothing signed,
 * so no rule applies to it.
 *
 * Sources: RFC 6960; RFC 9919 (2026, the successor of RFC 5019's
 * lightweight profile: 3.2.1 one SingleResponse, 3.2.4 nextUpdate always
 * present, 3.2.2 ResponderID byKey); BR 4.9.10 (validity interval from 8
 * hours to 10 days); BR 7.3.2 (no reasonCode among a SingleResponse's
 * singleExtensions: the reason belongs in revokedInfo); Microsoft's program
 * requirements 3.2.2 (at most 7
 * days); Mozilla Root Store Policy 6 (nextUpdate no later than the expiry of
 * the certificates the response carries).
 *
 * The certificate that signed the response, when the response carries it and
 * it is not the CA's own (its subject does not hash to the CertID's
 * issuerNameHash and issuerKeyHash), is a delegated responder's: the
 * responder rules (lint_responder.c) run over it, told whether its issuer is
 * the CA the CertID names.
 */
#include "lint/lint.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>

#include "lint/cert_facts.h"
#include "lint/hex.h"
#include "pki/cert.h"
#include "pki/reason.h"

#define LINT_OCSP_MIN_SECS (8 * 3600)       /* BR 4.9.10 */
#define LINT_OCSP_MAX_SECS (10 * 86400)     /* BR 4.9.10 */
#define LINT_OCSP_MS_MAX_SECS (7 * 86400)   /* Microsoft */

struct ocsp_facts {
	int basic;       /* a successful response with a BasicOCSPResponse */
	int count;       /* SingleResponses */
	int sig_nid, sig_md_nid;
	int by_name;     /* ResponderID byName */
	int no_next;     /* SingleResponses without nextUpdate */
	int bad_order;   /* ... whose nextUpdate is before thisUpdate */
	int64_t longest, shortest; /* validity intervals (with nextUpdate) */
	int have_span;
	int64_t latest_next;       /* the latest nextUpdate */
	int64_t first_expiry;      /* the earliest notAfter of the certificates carried */
	int have_certs;
	int unspecified, hold;     /* revoked with these reasons */
	int single_reason;         /* SingleResponses with reasonCode in singleExtensions */
	char first_unspecified[LINT_HEX_MAX], first_hold[LINT_HEX_MAX];
	char first_single_reason[LINT_HEX_MAX];
};

struct ocsp_rule {
	struct lint_def def;
	void (*run)(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r);
};

static void
read_single(OCSP_SINGLERESP *s, struct ocsp_facts *f)
{
	ASN1_GENERALIZEDTIME *rev = NULL, *thisu = NULL, *nextu = NULL;
	const OCSP_CERTID *id = OCSP_SINGLERESP_get0_id(s);
	ASN1_INTEGER *serial = NULL;
	int reason = -1, status = OCSP_single_get0_status(s, &reason, &rev, &thisu, &nextu);
	int64_t t0, t1;

	OCSP_id_get0_info(NULL, NULL, NULL, &serial, (OCSP_CERTID *)id);
	if (status == V_OCSP_CERTSTATUS_REVOKED && reason == REASON_UNSPECIFIED &&
	    f->unspecified++ == 0)
		lint_hex(serial, f->first_unspecified, sizeof(f->first_unspecified));
	if (status == V_OCSP_CERTSTATUS_REVOKED && reason == REASON_CERTIFICATE_HOLD &&
	    f->hold++ == 0)
		lint_hex(serial, f->first_hold, sizeof(f->first_hold));
	if (OCSP_SINGLERESP_get_ext_by_NID(s, NID_crl_reason, -1) >= 0 && f->single_reason++ == 0)
		lint_hex(serial, f->first_single_reason, sizeof(f->first_single_reason));
	if (nextu == NULL) {
		f->no_next++;
		return;
	}
	if (cert_time(thisu, &t0) != 0 || cert_time(nextu, &t1) != 0)
		return;
	if (t1 < t0)
		f->bad_order++;
	if (!f->have_span || t1 > f->latest_next)
		f->latest_next = t1;
	if (!f->have_span || t1 - t0 > f->longest)
		f->longest = t1 - t0;
	if (!f->have_span || t1 - t0 < f->shortest)
		f->shortest = t1 - t0;
	f->have_span = 1;
}

static void
read_facts(const OCSP_RESPONSE *resp, struct ocsp_facts *f)
{
	OCSP_BASICRESP *bs;
	const ASN1_OCTET_STRING *key = NULL;
	const X509_NAME *name = NULL;
	int pknid;

	memset(f, 0, sizeof(*f));
	if (OCSP_response_status((OCSP_RESPONSE *)resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic((OCSP_RESPONSE *)resp)) == NULL)
		return;
	f->basic = 1;
	f->sig_nid = OBJ_obj2nid(OCSP_resp_get0_tbs_sigalg(bs)->algorithm);
	if (!OBJ_find_sigid_algs(f->sig_nid, &f->sig_md_nid, &pknid))
		f->sig_md_nid = NID_undef;
	f->by_name = OCSP_resp_get0_id(bs, &key, &name) == 1 && name != NULL;
	f->count = OCSP_resp_count(bs);
	for (int i = 0; i < f->count; i++)
		read_single(OCSP_resp_get0(bs, i), f);
	for (int i = 0; i < sk_X509_num(OCSP_resp_get0_certs(bs)); i++) {
		int64_t t;

		if (cert_time(X509_get0_notAfter(sk_X509_value(OCSP_resp_get0_certs(bs), i)), &t) != 0)
			continue;
		if (!f->have_certs || t < f->first_expiry)
			f->first_expiry = t;
		f->have_certs = 1;
	}
	OCSP_BASICRESP_free(bs);
}

static void
next_missing(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->no_next > 0)
		lint_add(r, d, "%d of %d SingleResponses", f->no_next, f->count);
}

static void
next_before(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->bad_order > 0)
		lint_add(r, d, "%d of %d SingleResponses", f->bad_order, f->count);
}

static void
over(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r, int64_t max)
{
	if (f->have_span && f->longest > max)
		lint_add(r, d, "nextUpdate - thisUpdate = %lld s (%.1f days)", (long long)f->longest,
		    (double)f->longest / 86400);
}

static void
over_10_days(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	over(f, d, r, LINT_OCSP_MAX_SECS);
}

static void
over_7_days(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	/* Past 10 days the error says it; the warning is for 7 to 10. */
	if (!(f->have_span && f->longest > LINT_OCSP_MAX_SECS))
		over(f, d, r, LINT_OCSP_MS_MAX_SECS);
}

static void
under_8_hours(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->have_span && f->shortest >= 0 && f->shortest < LINT_OCSP_MIN_SECS)
		lint_add(r, d, "nextUpdate - thisUpdate = %lld s", (long long)f->shortest);
}

static void
sha1(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->sig_md_nid == NID_sha1)
		lint_add(r, d, "%s", OBJ_nid2ln(f->sig_nid));
}

static void
several(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->count > 1)
		lint_add(r, d, "%d SingleResponses", f->count);
}

static void
by_name(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->by_name)
		lint_add(r, d, "%s", "");
}

static void
unspecified(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->unspecified > 0)
		lint_add(r, d, "serial %s", f->first_unspecified);
}

static void
hold(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->hold > 0)
		lint_add(r, d, "serial %s", f->first_hold);
}

static void
single_reason(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->single_reason > 0)
		lint_add(r, d, "serial %s", f->first_single_reason);
}

static void
after_cert_expiry(const struct ocsp_facts *f, const struct lint_def *d, struct lint_report *r)
{
	if (f->have_span && f->have_certs && f->latest_next > f->first_expiry)
		lint_add(r, d, "nextUpdate %lld s after the first expiry",
		    (long long)(f->latest_next - f->first_expiry));
}

#define OCSP(id, text, source) {id, LINT_OCSP, text, source}

static const struct ocsp_rule ocsp_rules[] = {
    {OCSP("e_ocsp_next_update_missing", "The OCSP response has no nextUpdate.",
	 "RFC 9919 3.2.4; BR 4.9.10; Mozilla Root Store Policy 6"), next_missing},
    {OCSP("e_ocsp_next_update_before_this_update",
	 "The OCSP response's nextUpdate is before its thisUpdate.", "RFC 6960 4.2.2.1"),
	next_before},
    {OCSP("e_ocsp_validity_over_10_days",
	 "The OCSP response is valid for more than 10 days.", "BR 4.9.10"), over_10_days},
    {OCSP("w_ocsp_validity_over_7_days",
	 "The OCSP response is valid for more than 7 days.",
	 "Microsoft Trusted Root Program Requirements 3.2.2 (8 hours to 7 days)"), over_7_days},
    {OCSP("e_ocsp_validity_under_8_hours",
	 "The OCSP response is valid for less than 8 hours.", "BR 4.9.10"), under_8_hours},
    {OCSP("e_ocsp_sha1_signature", "The OCSP response is signed with SHA-1.",
	 "BR 7.1.3.2; Mozilla Root Store Policy 5.1.3"), sha1},
    {OCSP("w_ocsp_more_than_one_response",
	 "The OCSP response carries more than one SingleResponse.", "RFC 9919 3.2.1"), several},
    {OCSP("w_ocsp_responder_id_by_name",
	 "The OCSP response names its responder byName, not byKey.", "RFC 9919 3.2.2"), by_name},
    {OCSP("e_ocsp_reason_unspecified",
	 "The OCSP response gives the revocation reason unspecified (omit it instead).",
	 "Mozilla Root Store Policy 6.1.1; BR 7.2.2"), unspecified},
    {OCSP("e_ocsp_reason_certificate_hold",
	 "The OCSP response gives the revocation reason certificateHold.",
	 "Mozilla Root Store Policy 6.1.1; BR 7.2.2"), hold},
    {OCSP("e_ocsp_single_extension_reason_code",
	 "The OCSP response carries the reasonCode CRL entry extension in a SingleResponse's "
	 "singleExtensions (the reason belongs in revokedInfo).", "BR 7.3.2"), single_reason},
    {OCSP("e_ocsp_next_update_after_cert_expiry",
	 "The OCSP response's nextUpdate is after the expiry of a certificate it carries (the "
	 "delegated responder's).", "Mozilla Root Store Policy 6"), after_cert_expiry},
};

#define NRULES (sizeof(ocsp_rules) / sizeof(ocsp_rules[0]))

const struct lint_def *
lint_ocsp_def_at(size_t i)
{
	return i < NRULES ? &ocsp_rules[i].def : NULL;
}

/*
 * 1 if cert's name and key are the ones the CertID hashes (the CA itself), 0
 * if not, -1 when the CertID's hash algorithm is unknown (nothing to judge).
 */
static int
is_the_ca(X509 *cert, OCSP_CERTID *id)
{
	ASN1_OCTET_STRING *name_hash = NULL, *key_hash = NULL;
	ASN1_OBJECT *alg = NULL;
	const EVP_MD *md;
	OCSP_CERTID *own;
	int same;

	OCSP_id_get0_info(&name_hash, &alg, &key_hash, NULL, id);
	if ((md = EVP_get_digestbyobj(alg)) == NULL)
		return -1;
	own = OCSP_cert_id_new(md, X509_get_subject_name(cert), X509_get0_pubkey_bitstr(cert), NULL);
	same = own != NULL && OCSP_id_issuer_cmp(own, id) == 0;
	OCSP_CERTID_free(own);
	return same;
}

/* 1 if cert's issuer name hashes to the CertID's issuerNameHash. */
static int
issued_by_ca(X509 *cert, OCSP_CERTID *id)
{
	ASN1_OCTET_STRING *name_hash = NULL;
	ASN1_OBJECT *alg = NULL;
	const EVP_MD *md;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;

	OCSP_id_get0_info(&name_hash, &alg, NULL, NULL, id);
	md = EVP_get_digestbyobj(alg);
	return md != NULL && X509_NAME_digest(X509_get_issuer_name(cert), md, h, &hlen) == 1 &&
	       name_hash != NULL && (int)hlen == name_hash->length &&
	       memcmp(h, name_hash->data, hlen) == 0;
}

/* The delegated responder: the carried certificate the ResponderID names, if not the CA's. */
static void
lint_delegate(const OCSP_RESPONSE *resp, struct lint_report *r)
{
	OCSP_BASICRESP *bs = OCSP_response_get1_basic((OCSP_RESPONSE *)resp);
	OCSP_CERTID *id = bs != NULL && OCSP_resp_count(bs) > 0
			      ? (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(OCSP_resp_get0(bs, 0)) : NULL;
	X509 *signer = NULL;

	if (id != NULL && OCSP_resp_get0_signer(bs, &signer, NULL) == 1 && signer != NULL &&
	    is_the_ca(signer, id) == 0) {
		struct lint_responder_ctx ctx = {1, issued_by_ca(signer, id)};
		struct cert_facts cf;

		cert_facts_read(signer, &cf);
		lint_responder_run(&cf, &ctx, r);
	}
	OCSP_BASICRESP_free(bs);
	ERR_clear_error();
}

void
lint_ocsp(const OCSP_RESPONSE *resp, struct lint_report *r)
{
	struct ocsp_facts f;

	r->n = 0;
	read_facts(resp, &f);
	if (!f.basic)
		return;
	for (size_t i = 0; i < NRULES; i++)
		ocsp_rules[i].run(&f, &ocsp_rules[i].def, r);
	lint_delegate(resp, r);
}
