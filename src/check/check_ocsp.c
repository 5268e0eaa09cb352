/*
 * check_ocsp.c - asking the certificate's OCSP responder, as check.h says.
 *
 * The request holds one SHA-1 CertID and no nonce (RFC 9919/5019 clients:
 * responses are pre-signed and cacheable).  It goes by GET when its
 * URL-encoded base64 fits OCSP_CHECK_GET_MAX bytes (RFC 5019 5), else by POST.
 * The answer is accepted only if every check passes, each with its own reason
 * (as ocspcheck's validate_response does): a successful response, signed by
 * the issuer or by a certificate the issuer signed for id-kp-OCSPSigning and
 * valid now, naming our CertID, thisUpdate not in the future and nextUpdate
 * not past, both with the skew allowed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "check/check.h"
#include "check/fetch.h"
#include "ocsp/request.h"

#define OCSP_CHECK_GET_MAX 255

/* The request's DER as a GET URL in url; 0, or -1 if it does not fit OCSP_CHECK_GET_MAX. */
static int
ocsp_get_url(const char *base, const uint8_t *der, size_t len, char *url, size_t ulen)
{
	char enc[OCSP_CHECK_GET_MAX + 1];
	size_t bl = strlen(base);

	if (ocsp_request_to_get(der, len, enc, sizeof(enc)) < 0)
		return -1;
	if ((size_t)snprintf(url, ulen, "%s%s%s", base, bl && base[bl - 1] == '/' ? "" : "/", enc) >= ulen)
		return -1;
	return 0;
}

/* Whether signer may sign for issuer: it is the issuer, or a delegated responder. */
static int
ocsp_signer_ok(X509 *signer, X509 *issuer, int64_t now, char *why, size_t wlen)
{
	int64_t nb, na;

	if (X509_cmp(signer, issuer) == 0)
		return 1;
	if (X509_check_issued(issuer, signer) != X509_V_OK ||
	    X509_verify(signer, X509_get0_pubkey(issuer)) != 1) {
		snprintf(why, wlen, "the response is signed by a certificate the issuer did not sign");
		return 0;
	}
	if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN)) {
		snprintf(why, wlen, "the delegated responder's certificate lacks id-kp-OCSPSigning");
		return 0;
	}
	nb = check_asn1_time(X509_get0_notBefore(signer));
	na = check_asn1_time(X509_get0_notAfter(signer));
	if (nb < 0 || na < 0 || now < nb || now > na) {
		snprintf(why, wlen, "the delegated responder's certificate is not valid now");
		return 0;
	}
	return 1;
}

/* Find the signer (issuer or a certificate in the response) and check the signature. */
static int
ocsp_verify_sig(OCSP_BASICRESP *bs, X509 *issuer, int64_t now, char *why, size_t wlen)
{
	STACK_OF(X509) *extra = sk_X509_new_null(), *one = sk_X509_new_null();
	X509 *signer = NULL;
	int ok = 0;

	if (extra == NULL || one == NULL || !sk_X509_push(extra, issuer)) {
		snprintf(why, wlen, "out of memory");
		goto done;
	}
	if (OCSP_resp_get0_signer(bs, &signer, extra) != 1 || signer == NULL) {
		snprintf(why, wlen, "the responder ID names neither the issuer nor a certificate in the response");
		goto done;
	}
	if (!ocsp_signer_ok(signer, issuer, now, why, wlen))
		goto done;
	/* The signature alone: who may sign was decided above, by our rules. */
	if (!sk_X509_push(one, signer) ||
	    OCSP_basic_verify(bs, one, NULL, OCSP_NOINTERN | OCSP_NOVERIFY | OCSP_NOCHECKS) != 1) {
		snprintf(why, wlen, "the response's signature does not verify with the %s key",
		    X509_cmp(signer, issuer) == 0 ? "issuer's" : "delegated responder's");
		goto done;
	}
	ok = 1;
done:
	ERR_clear_error();
	sk_X509_free(extra);
	sk_X509_free(one);
	return ok;
}

/* Status and times for id from bs; 0, or -1 with why. */
static int
ocsp_read_status(OCSP_BASICRESP *bs, OCSP_CERTID *id, int64_t now, int skew,
    struct check_result *r)
{
	ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
	int status, reason = -1;

	if (OCSP_resp_find_status(bs, id, &status, &reason, &rev, &tu, &nu) != 1) {
		snprintf(r->why, sizeof(r->why), "the response does not answer for this certificate (no matching CertID)");
		return -1;
	}
	r->this_update = check_asn1_time(tu);
	r->next_update = nu != NULL ? check_asn1_time(nu) : 0;
	if (r->this_update < 0 || r->this_update > now + skew) {
		snprintf(r->why, sizeof(r->why), "the response's thisUpdate is in the future");
		return -1;
	}
	if (nu == NULL) {
		snprintf(r->why, sizeof(r->why), "the response has no nextUpdate");
		return -1;
	}
	if (r->next_update < 0 || now > r->next_update + skew) {
		snprintf(r->why, sizeof(r->why), "the response is stale: past its nextUpdate");
		return -1;
	}
	if (status == V_OCSP_CERTSTATUS_GOOD) {
		r->status = CHECK_GOOD;
		snprintf(r->why, sizeof(r->why), "the OCSP responder says good");
	} else if (status == V_OCSP_CERTSTATUS_REVOKED) {
		r->status = CHECK_REVOKED;
		r->revoked_at = check_asn1_time(rev);
		r->reason = reason >= 0 ? reason : -1;
		snprintf(r->why, sizeof(r->why), "the OCSP responder says revoked");
	} else {
		snprintf(r->why, sizeof(r->why), "the OCSP responder does not know the certificate (unknown)");
		return -1;
	}
	r->source = "ocsp";
	return 0;
}

/* Parse and verify the DER answer; 0 when it decided. */
static int
ocsp_judge(const uint8_t *der, size_t len, X509 *issuer, OCSP_CERTID *id, int64_t now, int skew,
    struct check_result *r)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	int st, ret = -1;

	if (resp == NULL) {
		snprintf(r->why, sizeof(r->why), "the answer is not an OCSP response");
		goto done;
	}
	if ((st = OCSP_response_status(resp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		snprintf(r->why, sizeof(r->why), "the responder answered %s", OCSP_response_status_str(st));
		goto done;
	}
	if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		snprintf(r->why, sizeof(r->why), "the response is not a basic OCSP response");
		goto done;
	}
	if (!ocsp_verify_sig(bs, issuer, now, r->why, sizeof(r->why)))
		goto done;
	ret = ocsp_read_status(bs, id, now, skew, r);
done:
	ERR_clear_error();
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return ret;
}

int
check_ocsp_staple(X509 *leaf, X509 *issuer, const uint8_t *der, size_t len, int64_t now, int skew,
    struct check_result *r)
{
	/* A staple answers for the CertID hash the server asked with: SHA-1 (nginx,
	 * RFC 5019) or SHA-256. */
	const EVP_MD *mds[] = {EVP_sha1(), EVP_sha256()};
	struct check_step *s = check_step_add(r, "staple", NULL);
	int ret = -1;

	s->bytes = len;
	for (size_t i = 0; i < sizeof(mds) / sizeof(mds[0]) && ret != 0; i++) {
		OCSP_CERTID *id = OCSP_cert_to_id(mds[i], leaf, issuer);

		if (id == NULL) {
			snprintf(r->why, sizeof(r->why), "cannot build the CertID");
			break;
		}
		ret = ocsp_judge(der, len, issuer, id, now, skew, r);
		OCSP_CERTID_free(id);
		if (ret != 0 && strstr(r->why, "no matching CertID") == NULL)
			break; /* refused for another reason than the hash */
	}
	s->ok = ret == 0;
	r->staple = ret == 0 ? CHECK_STAPLE_VALID : CHECK_STAPLE_INVALID;
	snprintf(r->staple_why, sizeof(r->staple_why), "%s", r->why);
	snprintf(s->note, sizeof(s->note), "%s: %s", ret == 0 ? "the staple is valid" : "the staple is refused", r->why);
	if (ret == 0 && (r->ocsp_response = malloc(len)) != NULL) { /* for --staple */
		memcpy(r->ocsp_response, der, len);
		r->ocsp_response_len = len;
	}
	ERR_clear_error();
	return ret;
}

/*
 * The cached answer for this request, if the cache has one that passes every
 * check a fetched one must: 0 when it decided.  A cached answer that does not
 * (damaged, expired, or no longer verifying) is a step saying why, and the
 * caller fetches.
 */
static int
ocsp_cached(const char *url, const uint8_t *req, size_t reqlen, X509 *issuer, OCSP_CERTID *id,
    int64_t now, int skew, const struct check_cache *cache, struct check_result *r)
{
	char why[CHECK_NOTE_MAX];
	struct check_step *s;
	uint8_t *body;
	size_t len;
	int rc;

	rc = check_cache_get(cache, CHECK_CACHE_OCSP, url, req, reqlen, now, CHECK_FETCH_OCSP_MAX,
	    &body, &len, why, sizeof(why));
	if (rc == 1)
		return -1;
	s = check_step_add(r, "ocsp", url);
	s->from_cache = 1;
	s->bytes = len;
	if (rc == 0 && ocsp_judge(body, len, issuer, id, now, skew, r) == 0) {
		s->ok = 1;
		snprintf(s->note, sizeof(s->note), "from cache: %s", r->why);
		r->ocsp_response = body; /* kept for --staple */
		r->ocsp_response_len = len;
		return 0;
	}
	snprintf(s->note, sizeof(s->note), "the cached response is not used (%s): fetched again",
	    rc == 0 ? r->why : why);
	free(body);
	return -1;
}

/* Keep a verified answer for as long as its nextUpdate and the server's max-age allow. */
static void
ocsp_keep(const char *url, const uint8_t *req, size_t reqlen, const struct check_fetch *f,
    int64_t now, const struct check_cache *cache, const struct check_result *r, struct check_step *s)
{
	int64_t until = check_cache_expiry(now, f->max_age, f->no_store, r->next_update, 0);
	struct err e;
	size_t n = strlen(s->note);

	if (cache == NULL)
		return;
	if (check_cache_put(cache, CHECK_CACHE_OCSP, url, req, reqlen, f->body, f->len, until, &e) != 0)
		snprintf(s->note + n, sizeof(s->note) - n, " (not cached: %s)", e.msg);
	else if (until == 0)
		snprintf(s->note + n, sizeof(s->note) - n, " (not cached: %s)",
		    f->no_store ? "Cache-Control forbids it" : "already expired");
}

int
check_ocsp(X509 *leaf, X509 *issuer, const char *url, int64_t now, int skew,
    const struct check_cache *cache, struct check_result *r)
{
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), leaf, issuer);
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	char get[URL_MAX];
	struct check_fetch f = {0};
	struct check_step *s;
	struct err e;
	int len, ret = -1, is_get;
	const char *furl;
	size_t plen;

	if (id == NULL || req == NULL || !OCSP_request_add0_id(req, OCSP_CERTID_dup(id)) ||
	    (len = i2d_OCSP_REQUEST(req, &der)) <= 0) {
		snprintf(r->why, sizeof(r->why), "cannot build the OCSP request");
		goto done;
	}
	is_get = ocsp_get_url(url, der, (size_t)len, get, sizeof(get)) == 0;
	furl = is_get ? get : url;
	plen = is_get ? 0 : (size_t)len; /* a POST's body is part of what it asks */
	if (ocsp_cached(furl, der, plen, issuer, id, now, skew, cache, r) == 0) {
		ret = 0;
		goto done;
	}
	s = check_step_add(r, "ocsp", furl);
	if (check_fetch(furl, is_get ? NULL : der, (size_t)len, "application/ocsp-request",
		CHECK_FETCH_OCSP_MAX, CHECK_FETCH_TIMEOUT_MS, &f, &e) != 0) {
		s->http_status = f.http_status;
		snprintf(r->why, sizeof(r->why), "%s", e.msg);
		snprintf(s->note, sizeof(s->note), "%s %s", is_get ? "GET" : "POST", e.msg);
		goto done;
	}
	s->http_status = f.http_status;
	s->bytes = f.len;
	ret = ocsp_judge(f.body, f.len, issuer, id, now, skew, r);
	s->ok = ret == 0;
	snprintf(s->note, sizeof(s->note), "%s: %s", is_get ? "GET" : "POST", r->why);
	if (ret == 0) { /* kept for --staple, and in the cache */
		ocsp_keep(furl, der, plen, &f, now, cache, r, s);
		r->ocsp_response = f.body;
		r->ocsp_response_len = f.len;
		f.body = NULL;
	}
done:
	ERR_clear_error();
	check_fetch_free(&f);
	OPENSSL_free(der);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	return ret;
}
