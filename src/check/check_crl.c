/*
 * check_crl.c - the CRL from the certificate's CRL Distribution Point, as
 * check.h says.
 *
 * The CRL is checked while it streams in (crl_stream.h): only its header,
 * the certificate's own entry and a digest are kept, so memory does not
 * grow with the CRL's size.  Accepted only if: it is a whole DER CRL, its
 * issuer name is the issuer's subject, the issuer's key verifies its
 * signature, it carries no critical extension this code does not know, it
 * is not a delta CRL, its IssuingDistributionPoint (when it has one) names
 * the URL fetched and does not exclude end-entity certificates, and it is
 * fresh (thisUpdate not in the future, nextUpdate present and not past, with
 * the skew allowed).  A CRL without an IssuingDistributionPoint is a complete
 * CRL of the issuer, which covers every certificate (RFC 5280 5.2.5).
 * When the base names a delta CRL, check_delta.c has the last word.
 *
 * With a cache (cache.h), a CRL kept there is streamed from its file through
 * the same parser and checks first; a fetched one that verified is written to
 * the cache while it streams in (up to CHECK_CACHE_CRL_MAX), so neither way
 * holds it in memory.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "check/check.h"
#include "check/check_crl.h"
#include "check/check_delta.h"
#include "check/crl_stream.h"
#include "check/fetch.h"

#define CRL_CACHE_CHUNK 16384 /* a cached CRL is read back in pieces this size */

/* 1 if the CRL's scope covers a leaf fetched from url; else 0 and why. */
static int
crl_scope_ok(const STACK_OF(X509_EXTENSION) *exts, const char *url, char *why, size_t wlen)
{
	ISSUING_DIST_POINT *idp;
	int crit = -1, match = 0, eeok;

	idp = X509V3_get_d2i(exts, NID_issuing_distribution_point, &crit, NULL);
	if (idp == NULL) {
		if (crit == -1)
			return 1; /* a complete CRL */
		snprintf(why, wlen, "the CRL's IssuingDistributionPoint cannot be read");
		return 0;
	}
	eeok = !idp->onlyCA && !idp->onlyattr && !idp->indirectCRL;
	if (idp->distpoint != NULL && idp->distpoint->type == 0) {
		GENERAL_NAMES *gn = idp->distpoint->name.fullname;

		for (int i = 0; i < sk_GENERAL_NAME_num(gn) && !match; i++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(gn, i);
			ASN1_IA5STRING *u = g->d.uniformResourceIdentifier;

			match = g->type == GEN_URI && (size_t)u->length == strlen(url) &&
			    memcmp(u->data, url, strlen(url)) == 0;
		}
	}
	ISSUING_DIST_POINT_free(idp);
	if (!match)
		snprintf(why, wlen, "the CRL's IssuingDistributionPoint does not name %s", url);
	else if (!eeok)
		snprintf(why, wlen, "the CRL does not cover end-entity certificates");
	return match && eeok;
}

/* RFC 5280 5.2: a CRL with a critical extension the client does not know must be refused. */
static int
crl_criticals_known(const STACK_OF(X509_EXTENSION) *exts)
{
	static const int known[] = {NID_authority_key_identifier, NID_issuer_alt_name, NID_crl_number,
	    NID_delta_crl, NID_issuing_distribution_point, NID_freshest_crl};

	for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *x = sk_X509_EXTENSION_value(exts, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(x)), ok = 0;

		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			ok |= nid == known[k];
		if (X509_EXTENSION_get_critical(x) && !ok)
			return 0;
	}
	return 1;
}

/* What every CRL must pass, base or delta: issuer, signature, extensions, freshness. */
static int
crl_validate(struct crl_stream *st, X509 *issuer, int64_t now, int skew, struct check_result *r)
{
	const struct crl_stream_info *in = crl_stream_info(st);
	int64_t tu, nu;

	if (X509_NAME_cmp(in->issuer, X509_get_subject_name(issuer)) != 0) {
		snprintf(r->why, sizeof(r->why), "the CRL's issuer is not the certificate's issuer");
		return -1;
	}
	if (!crl_stream_verify(st, X509_get0_pubkey(issuer))) {
		snprintf(r->why, sizeof(r->why), "%s", crl_stream_why(st));
		return -1;
	}
	if (!crl_criticals_known(in->exts)) {
		snprintf(r->why, sizeof(r->why), "the CRL has a critical extension this client does not know");
		return -1;
	}
	tu = check_asn1_time(in->this_update);
	nu = in->next_update != NULL ? check_asn1_time(in->next_update) : -1;
	if (tu < 0 || (in->next_update != NULL && nu < 0)) {
		snprintf(r->why, sizeof(r->why), "the CRL's thisUpdate or nextUpdate cannot be read");
		return -1;
	}
	if (tu > now + skew) {
		snprintf(r->why, sizeof(r->why), "the CRL's thisUpdate is in the future");
		return -1;
	}
	if (nu < 0) {
		snprintf(r->why, sizeof(r->why), "the CRL has no nextUpdate");
		return -1;
	}
	if (now > nu + skew) {
		snprintf(r->why, sizeof(r->why), "the CRL is stale: past its nextUpdate");
		return -1;
	}
	r->this_update = tu;
	r->next_update = nu;
	return 0;
}

/* What the fetched chunks go to: the parser, and the cache's copy of the file. */
struct crl_feed {
	struct crl_stream *st;
	struct check_cache_tee tee;
};

/*
 * The size a CRL announces in its first bytes (the outer SEQUENCE's length),
 * or 0 when they do not tell: a CRL larger than the cache keeps is then not
 * written to the cache at all, rather than up to the cap and thrown away.
 */
static uint64_t
crl_announced(const uint8_t *p, size_t n)
{
	uint64_t len = 0;
	size_t k;

	if (n < 2 || p[0] != 0x30 || !(p[1] & 0x80))
		return n >= 2 && p[0] == 0x30 ? (uint64_t)p[1] + 2 : 0;
	k = p[1] & 0x7f;
	if (k == 0 || k > 4 || n < 2 + k)
		return 0;
	for (size_t i = 0; i < k; i++)
		len = len << 8 | p[2 + i];
	return len + 2 + k;
}

/* Feeds libcurl's chunks to the parser (its refusal stops the fetch) and the cache. */
static int
crl_sink(void *arg, const uint8_t *data, size_t len, struct err *e)
{
	struct crl_feed *f = arg;

	if (crl_stream_feed(f->st, data, len) != 0)
		return err_set(e, "%s", crl_stream_why(f->st));
	if (f->tee.len == 0 && crl_announced(data, len) > f->tee.max)
		check_cache_tee_abort(&f->tee);
	check_cache_tee_write(&f->tee, data, len);
	return 0;
}

/* The step's note: the verdict, and what streaming cost. */
static void
crl_note(struct check_step *s, const struct crl_stream_info *in, const char *prefix, const char *what)
{
	snprintf(s->note, sizeof(s->note), "%s%s; %zu entries streamed, at most %zu bytes held%s", prefix,
	    what, in->entries, in->peak, in->held_whole ? " (the signature algorithm needs the whole CRL)" : "");
}

/*
 * The CRL the cache keeps for url, streamed from its file through the same
 * parser and checks as a fetched one (cache.h: never trusted as stored).  The
 * stream when it passed; NULL when there is none, or (a step saying why) when
 * it did not.
 */
static struct crl_stream *
crl_cached(X509 *leaf, X509 *issuer, const char *url, const char *kind, int64_t now, int skew,
    const struct check_cache *cache, struct check_result *r)
{
	uint8_t buf[CRL_CACHE_CHUNK];
	char why[CHECK_NOTE_MAX];
	struct crl_stream *st = NULL;
	struct check_step *s;
	size_t len, left = 0;
	ssize_t got = 0;
	int fd, rc, ok = 0;

	rc = check_cache_open_entry(cache, CHECK_CACHE_CRL, url, NULL, 0, now, CHECK_CACHE_CRL_MAX, &fd, &len,
	    why, sizeof(why));
	if (rc == 1)
		return NULL;
	s = check_step_add(r, kind, url);
	s->from_cache = 1;
	s->bytes = len;
	if (rc == 0)
		snprintf(why, sizeof(why), "out of memory");
	if (rc == 0 && (st = crl_stream_new(X509_get0_serialNumber(leaf), CHECK_FETCH_CRL_MAX)) != NULL) {
		for (left = len; left > 0 && (got = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf))) > 0;
		     left -= (size_t)got)
			if (crl_stream_feed(st, buf, (size_t)got) != 0)
				break;
		if (left != 0 || crl_stream_end(st) != 0)
			snprintf(why, sizeof(why), "%s", got <= 0 && left != 0 ? "cannot read it whole" : crl_stream_why(st));
		else if (crl_validate(st, issuer, now, skew, r) != 0)
			snprintf(why, sizeof(why), "%s", r->why);
		else
			ok = 1;
	}
	if (rc == 0)
		close(fd);
	if (ok) {
		s->ok = 1;
		crl_note(s, crl_stream_info(st), "from cache: ", "verified and fresh");
		ERR_clear_error();
		return st;
	}
	snprintf(s->note, sizeof(s->note), "the cached CRL is not used (%.250s): fetched again", why);
	crl_stream_free(st);
	ERR_clear_error();
	return NULL;
}

struct crl_stream *
check_crl_fetch(X509 *leaf, X509 *issuer, const char *url, const char *kind, int64_t now,
    int skew, const struct check_cache *cache, struct check_result *r)
{
	struct crl_feed feed;
	const struct crl_stream_info *in;
	struct check_step *s;
	struct check_fetch f;
	struct err e;
	int ok = 0;

	if ((feed.st = crl_cached(leaf, issuer, url, kind, now, skew, cache, r)) != NULL)
		return feed.st;
	s = check_step_add(r, kind, url);
	if ((feed.st = crl_stream_new(X509_get0_serialNumber(leaf), CHECK_FETCH_CRL_MAX)) == NULL) {
		snprintf(r->why, sizeof(r->why), "out of memory");
		return NULL;
	}
	in = crl_stream_info(feed.st);
	check_cache_tee_begin(cache, CHECK_CACHE_CRL, url, NULL, 0, CHECK_CACHE_CRL_MAX, &feed.tee);
	if (check_fetch_stream(url, CHECK_FETCH_CRL_MAX, CHECK_FETCH_CRL_TIMEOUT_MS, crl_sink, &feed, &f,
		&e) != 0)
		snprintf(r->why, sizeof(r->why), "%s", e.msg);
	else if (crl_stream_end(feed.st) != 0)
		snprintf(r->why, sizeof(r->why), "%s", crl_stream_why(feed.st));
	else
		ok = crl_validate(feed.st, issuer, now, skew, r) == 0;
	s->http_status = f.http_status;
	s->bytes = (size_t)in->bytes;
	s->ok = ok;
	crl_note(s, in, "", ok ? "verified and fresh" : r->why);
	/* Kept only once verified, until the earlier of nextUpdate and max-age. */
	if (check_cache_tee_commit(&feed.tee,
		ok ? check_cache_expiry(now, f.max_age, f.no_store, r->next_update, 0) : 0, &e) != 0) {
		size_t n = strlen(s->note);

		snprintf(s->note + n, sizeof(s->note) - n, " (not cached: %s)", e.msg);
	}
	ERR_clear_error();
	if (!ok) {
		crl_stream_free(feed.st);
		return NULL;
	}
	return feed.st;
}

void
check_crl_refused(struct check_result *r)
{
	struct check_step *s = &r->steps[r->nsteps - 1];

	s->ok = 0;
	snprintf(s->note, sizeof(s->note), "%s", r->why);
}

/* The leaf's entry, if any, decides. */
static void
crl_lookup(const struct crl_stream_info *in, struct check_result *r)
{
	ASN1_ENUMERATED *reason;

	r->source = "crl";
	if (in->entry == NULL) {
		r->status = CHECK_GOOD;
		snprintf(r->why, sizeof(r->why), "the certificate is not on the issuer's CRL");
		return;
	}
	r->status = CHECK_REVOKED;
	r->revoked_at = check_asn1_time(X509_REVOKED_get0_revocationDate(in->entry));
	reason = X509_REVOKED_get_ext_d2i(in->entry, NID_crl_reason, NULL, NULL);
	r->reason = reason != NULL ? (int)ASN1_ENUMERATED_get(reason) : -1;
	ASN1_ENUMERATED_free(reason);
	snprintf(r->why, sizeof(r->why), "the certificate is on the issuer's CRL");
}

int
check_crl(X509 *leaf, X509 *issuer, const char *url, int64_t now, int skew,
    const struct check_cache *cache, struct check_result *r)
{
	struct crl_stream *st = check_crl_fetch(leaf, issuer, url, "crl", now, skew, cache, r);
	const struct crl_stream_info *in;
	int ret = -1, crit = -1;
	ASN1_INTEGER *delta;

	if (st == NULL)
		return -1;
	in = crl_stream_info(st);
	delta = X509V3_get_d2i(in->exts, NID_delta_crl, &crit, NULL);
	if (delta != NULL || crit != -1)
		snprintf(r->why, sizeof(r->why), "the CRL at the distribution point is a delta CRL, not a complete one");
	else if (crl_scope_ok(in->exts, url, r->why, sizeof(r->why)))
		ret = 0;
	ASN1_INTEGER_free(delta);
	if (ret == 0) {
		crl_lookup(in, r);
		ret = check_delta(leaf, issuer, in->exts, now, skew, cache, r);
	} else {
		check_crl_refused(r);
	}
	crl_stream_free(st);
	ERR_clear_error();
	return ret;
}

int
check_dp_http_url(const STACK_OF(DIST_POINT) *dps, char *buf, size_t len)
{
	for (int i = 0; dps != NULL && i < sk_DIST_POINT_num(dps); i++) {
		const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);

		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		for (int j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); j++) {
			const GENERAL_NAME *g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
			const ASN1_IA5STRING *u = g->d.uniformResourceIdentifier;

			if (g->type != GEN_URI || (strncmp((const char *)u->data, "http://", 7) != 0 &&
						      strncmp((const char *)u->data, "https://", 8) != 0))
				continue;
			/* A URL cut to fit buf would name another resource: none rather than that. */
			return snprintf(buf, len, "%.*s", u->length, (const char *)u->data) < (int)len;
		}
	}
	return 0;
}
