/*
 * template.c - see template.h.
 *
 * The response, outermost first (RFC 6960 4.2.1), with what writes each part:
 *
 *   OCSPResponse SEQUENCE {
 *     responseStatus ENUMERATED successful                  0a 01 00
 *     [0] { ResponseBytes SEQUENCE {
 *       responseType OID id-pkix-ocsp-basic                 constant
 *       response OCTET STRING { BasicOCSPResponse SEQUENCE {
 *         tbsResponseData SEQUENCE {                         put_tbs()
 *           responderID [2] { OCTET STRING keyHash }        template
 *           producedAt GeneralizedTime                      = thisUpdate
 *           responses SEQUENCE { SingleResponse SEQUENCE {
 *             certID SEQUENCE { hashAlgorithm, issuerNameHash,
 *                               issuerKeyHash,              template
 *                               serialNumber INTEGER }      the certificate's bytes
 *             certStatus  good [0] NULL                     80 00
 *                       | revoked [1] { revocationTime,
 *                                       [0] { ENUMERATED reason } }
 *             thisUpdate GeneralizedTime
 *             nextUpdate [0] { GeneralizedTime } } } }
 *         signatureAlgorithm                                template
 *         signature BIT STRING                              sigctx
 *         certs [0] { SEQUENCE OF Certificate } } } } } }   template (delegated only)
 *
 * version (v1, the DEFAULT) and all extensions are absent, as ocsp_sign()
 * leaves them.
 */
#include "ocsp/template.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "pki/revtime.h"
#include "pki/serial.h"
#include "util/der.h"

#define SIG_MAX 1024 /* RSA-8192 */

/* id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1), tag and length included. */
static const uint8_t oid_ocsp_basic[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30,
    0x01, 0x01};

size_t
ocsp_template_max(const struct ocsp_template *t)
{
	/* Five headers of at most 4 bytes around the basic response, and its own. */
	return OCSP_TEMPLATE_TBS_MAX + t->sigalg_len + 5 + t->sig_max + t->certs_len + 48;
}

/* The tbsResponseData for st into out (OCSP_TEMPLATE_TBS_MAX bytes); its length, or 0. */
static size_t
put_tbs(const struct ocsp_template *t, enum ocsp_hash hash, const struct ocsp_status *st,
    uint8_t *out)
{
	const int h = ocsp_hash_index(hash), revoked = st->status == CERT_REVOKED;
	const size_t gt = DER_GENERALIZED_TIME_LEN;
	size_t certid, single, responses, tbs, revinfo = 0, status = 2;
	uint8_t *p = out;

	if (st->serial_len == 0 || st->serial_len > STORE_SERIAL_MAX || st->reason < 0 ||
	    st->reason > 127)
		return 0;
	certid = t->certid_len[h] + 2 + st->serial_len;
	if (revoked) {
		revinfo = gt + (st->reason != 0 ? 5 : 0);
		status = 2 + revinfo;
	}
	single = der_header_len(certid) + certid + status + gt + 2 + gt;
	responses = der_header_len(single) + single;
	tbs = t->responder_id_len + gt + der_header_len(responses) + responses;
	if (der_header_len(tbs) + tbs > OCSP_TEMPLATE_TBS_MAX)
		return 0;

	p = der_put_header(p, DER_SEQUENCE, tbs);
	memcpy(p, t->responder_id, t->responder_id_len);
	p += t->responder_id_len;
	p = der_put_generalized_time(p, st->this_update); /* producedAt */
	p = der_put_header(p, DER_SEQUENCE, responses);
	p = der_put_header(p, DER_SEQUENCE, single);
	p = der_put_header(p, DER_SEQUENCE, certid);
	memcpy(p, t->certid[h], t->certid_len[h]);
	p += t->certid_len[h];
	p = der_put_header(p, DER_INTEGER, st->serial_len);
	memcpy(p, st->serial, st->serial_len);
	p += st->serial_len;
	if (revoked) {
		p = der_put_header(p, DER_CONTEXT_CONS(1), revinfo);
		p = der_put_generalized_time(p, revtime_clamp(st->revoked_at, st->this_update));
		if (st->reason != 0) { /* unspecified is left out, as in CRLs */
			p = der_put_header(p, DER_CONTEXT_CONS(0), 3);
			p = der_put_header(p, DER_ENUMERATED, 1);
			*p++ = (uint8_t)st->reason;
		}
	} else {
		p = der_put_header(p, DER_CONTEXT(0), 0);
	}
	p = der_put_generalized_time(p, st->this_update);
	p = der_put_header(p, DER_CONTEXT_CONS(0), gt);
	p = der_put_generalized_time(p, st->next_update);
	return (size_t)(p - out);
}

/* Wrap a signed tbsResponseData into the whole OCSPResponse at out; its length. */
static size_t
put_response(const struct ocsp_template *t, const uint8_t *tbs, size_t tbs_len,
    const uint8_t *sig, size_t sig_len, uint8_t *out)
{
	size_t bits = der_header_len(sig_len + 1) + sig_len + 1;
	size_t basic = tbs_len + t->sigalg_len + bits + t->certs_len;
	size_t octets = der_header_len(basic) + basic;
	size_t bytes = sizeof(oid_ocsp_basic) + der_header_len(octets) + octets;
	size_t tagged = der_header_len(bytes) + bytes;
	size_t resp = 3 + der_header_len(tagged) + tagged;
	uint8_t *p = out;

	p = der_put_header(p, DER_SEQUENCE, resp);
	p = der_put_header(p, DER_ENUMERATED, 1);
	*p++ = OCSP_RESPONSE_STATUS_SUCCESSFUL;
	p = der_put_header(p, DER_CONTEXT_CONS(0), tagged);
	p = der_put_header(p, DER_SEQUENCE, bytes);
	memcpy(p, oid_ocsp_basic, sizeof(oid_ocsp_basic));
	p += sizeof(oid_ocsp_basic);
	p = der_put_header(p, DER_OCTET_STRING, octets);
	p = der_put_header(p, DER_SEQUENCE, basic);
	memcpy(p, tbs, tbs_len);
	p += tbs_len;
	memcpy(p, t->sigalg, t->sigalg_len);
	p += t->sigalg_len;
	p = der_put_header(p, DER_BIT_STRING, sig_len + 1);
	*p++ = 0; /* no unused bits */
	memcpy(p, sig, sig_len);
	p += sig_len;
	if (t->certs_len > 0) {
		memcpy(p, t->certs, t->certs_len);
		p += t->certs_len;
	}
	return (size_t)(p - out);
}

int
ocsp_template_sign(const struct ocsp_template *t, struct sigctx *sc, enum ocsp_hash hash,
    const struct ocsp_status *st, uint8_t *out, size_t *len, struct err *e)
{
	uint8_t tbs[OCSP_TEMPLATE_TBS_MAX], sig[SIG_MAX];
	size_t tbs_len = put_tbs(t, hash, st, tbs), sig_len;

	if (tbs_len == 0)
		return err_set(e, "cannot lay out an OCSP response for this certificate");
	if (sigctx_sign(sc, tbs, tbs_len, sig, &sig_len, e) != 0)
		return err_prefix(e, "OCSP response");
	*len = put_response(t, tbs, tbs_len, sig, sig_len, out);
	return 0;
}

/* The CertID's content before the serial, as OpenSSL encodes it for this hash. */
static int
make_certid(struct ocsp_template *t, const struct ocsp_signer *sg, enum ocsp_hash hash,
    struct err *e)
{
	ASN1_INTEGER *one = ASN1_INTEGER_new();
	OCSP_CERTID *id = NULL;
	unsigned char *der = NULL;
	struct der_reader top, in;
	struct der_tlv seq, x, serial;
	int n, rc = -1, h = ocsp_hash_index(hash);

	if (one == NULL || ASN1_INTEGER_set(one, 1) != 1 ||
	    (id = OCSP_cert_id_new(ocsp_hash_md(hash), X509_get_subject_name(sg->issuer),
		 X509_get0_pubkey_bitstr(sg->issuer), one)) == NULL ||
	    (n = i2d_OCSP_CERTID(id, &der)) <= 0) {
		err_ossl(e, "making the %s CertID", ocsp_hash_name(hash));
		goto out;
	}
	top = der_reader(der, (size_t)n);
	if (der_expect(&top, DER_SEQUENCE, &seq, &in) != 0 || !der_at_end(&top) ||
	    der_next(&in, &x) != 0 || der_expect(&in, DER_OCTET_STRING, &x, NULL) != 0 ||
	    der_expect(&in, DER_OCTET_STRING, &x, NULL) != 0 ||
	    der_expect(&in, DER_INTEGER, &serial, NULL) != 0 || !der_at_end(&in) ||
	    (size_t)(serial.start - seq.val) > sizeof(t->certid[h])) {
		err_set(e, "OpenSSL's %s CertID has an unexpected shape", ocsp_hash_name(hash));
		goto out;
	}
	t->certid_len[h] = (size_t)(serial.start - seq.val);
	memcpy(t->certid[h], seq.val, t->certid_len[h]);
	rc = 0;
out:
	OPENSSL_free(der);
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(one);
	return rc;
}

static int
make_responder_id(struct ocsp_template *t, const struct ocsp_signer *sg, struct err *e)
{
	OCSP_RESPID *rid = OCSP_RESPID_new();
	unsigned char *der = NULL;
	int n = -1;

	if (rid == NULL || OCSP_RESPID_set_by_key(rid, sg->responder) != 1 ||
	    (n = i2d_OCSP_RESPID(rid, &der)) <= 0 || (size_t)n > sizeof(t->responder_id)) {
		err_ossl(e, "making the ResponderID");
		n = -1;
	} else {
		memcpy(t->responder_id, der, (size_t)n);
		t->responder_id_len = (size_t)n;
	}
	OPENSSL_free(der);
	OCSP_RESPID_free(rid);
	return n < 0 ? -1 : 0;
}

/* [0] EXPLICIT SEQUENCE OF Certificate, holding the delegated responder's certificate. */
static int
make_certs(struct ocsp_template *t, const struct ocsp_signer *sg, struct err *e)
{
	unsigned char *der = NULL;
	size_t seq;
	uint8_t *p;
	int n;

	if (!sg->delegated)
		return 0;
	if ((n = i2d_X509(sg->responder, &der)) <= 0)
		return err_ossl(e, "encoding the responder's certificate");
	seq = der_header_len((size_t)n) + (size_t)n;
	t->certs_len = der_header_len(seq) + seq;
	t->certs = malloc(t->certs_len);
	if (t->certs == NULL) {
		OPENSSL_free(der);
		return err_set(e, "out of memory");
	}
	p = der_put_header(t->certs, DER_CONTEXT_CONS(0), seq);
	p = der_put_header(p, DER_SEQUENCE, (size_t)n);
	memcpy(p, der, (size_t)n);
	OPENSSL_free(der);
	return 0;
}

/* A response OpenSSL built with ocsp_sign(), decoded. */
static OCSP_BASICRESP *
reference(const struct ocsp_signer *sg, enum ocsp_hash hash, const struct ocsp_status *st,
    struct err *e)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	const unsigned char *p;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *bs = NULL;
	size_t len;

	if (ctx == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (ocsp_sign(sg, ctx, hash, st, &der, &len, e) == 0) {
		p = der;
		resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
		if (resp == NULL || (bs = OCSP_response_get1_basic(resp)) == NULL)
			err_ossl(e, "decoding OpenSSL's own response");
	}
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return bs;
}

/* The DER of a tbsResponseData or signature algorithm, for comparing. */
static int
same_encoding(const OCSP_BASICRESP *a, const OCSP_BASICRESP *b)
{
	unsigned char *da = NULL, *db = NULL;
	int na, nb, same;

	na = i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(a), &da);
	nb = i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(b), &db);
	same = na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	da = db = NULL;
	na = i2d_X509_ALGOR(OCSP_resp_get0_tbs_sigalg(a), &da);
	nb = i2d_X509_ALGOR(OCSP_resp_get0_tbs_sigalg(b), &db);
	same = same && na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0 &&
	       sk_X509_num(OCSP_resp_get0_certs(a)) == sk_X509_num(OCSP_resp_get0_certs(b));
	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

/*
 * Ours (der) against OpenSSL's (ref): OpenSSL decodes ours and re-encodes it
 * to the same bytes, finds the same tbsResponseData, signature algorithm and
 * certificates, and verifies the signature with the responder's certificate.
 */
static int
check_one(const struct ocsp_signer *sg, const OCSP_BASICRESP *ref, const uint8_t *der,
    size_t len)
{
	const unsigned char *p = der;
	unsigned char *again = NULL;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs = NULL;
	STACK_OF(X509) *signer = sk_X509_new_null();
	int n, ok = 0;

	if (resp == NULL || p != der + len || signer == NULL ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		goto out;
	n = i2d_OCSP_RESPONSE(resp, &again);
	if (n <= 0 || (size_t)n != len || memcmp(again, der, len) != 0)
		goto out;
	if ((bs = OCSP_response_get1_basic(resp)) == NULL || !same_encoding(bs, ref) ||
	    !sk_X509_push(signer, sg->responder))
		goto out;
	ok = OCSP_basic_verify(bs, signer, NULL, OCSP_NOVERIFY | OCSP_TRUSTOTHER) == 1;
out:
	sk_X509_free(signer);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	OPENSSL_free(again);
	return ok;
}

/* Statuses that exercise every branch of put_tbs() and the serial forms the store keeps. */
static int
self_check(const struct ocsp_template *t, const struct ocsp_signer *sg, struct err *e)
{
	static const uint8_t s_pad[] = {0x00, 0x80, 0x01}, s_neg[] = {0x80, 0x01},
			     s_long[20] = {0x7f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
				 16, 17, 18, 19};
	const int64_t now = 1767225600; /* 2026-01-01T00:00:00Z */
	const struct ocsp_status cases[] = {
	    {s_long, sizeof(s_long), CERT_GOOD, 0, 0, now, now + 4 * 86400},
	    {s_pad, sizeof(s_pad), CERT_REVOKED, now - 86399, 0, now, now + 86400},
	    {s_neg, sizeof(s_neg), CERT_REVOKED, now - 3600, 1, now, 2556144000}, /* 2051 */
	};
	static const enum ocsp_hash hashes[] = {OCSP_HASH_SHA1, OCSP_HASH_SHA256};
	uint8_t *der = malloc(ocsp_template_max(t));
	struct sigctx sc;
	OCSP_BASICRESP *ref;
	size_t len;
	int rc = 0;

	if (der == NULL)
		return err_set(e, "out of memory");
	if (sigctx_init(&sc, sg->key, e) != 0) {
		free(der);
		return -1;
	}
	for (size_t k = 0; rc == 0 && k < sizeof(hashes) / sizeof(hashes[0]); k++) {
		for (size_t i = 0; rc == 0 && i < sizeof(cases) / sizeof(cases[0]); i++) {
			if ((ref = reference(sg, hashes[k], &cases[i], e)) == NULL) {
				rc = -1;
				break;
			}
			if (ocsp_template_sign(t, &sc, hashes[k], &cases[i], der, &len, e) != 0)
				rc = -1;
			else if (!check_one(sg, ref, der, len))
				rc = err_set(e, "the hand-laid %s response (case %zu) differs from "
						"OpenSSL's", ocsp_hash_name(hashes[k]), i + 1);
			OCSP_BASICRESP_free(ref);
		}
	}
	ERR_clear_error();
	sigctx_clear(&sc);
	free(der);
	return rc;
}

/* The signature algorithm OpenSSL writes for this key, from a response it signed. */
static int
make_sigalg(struct ocsp_template *t, const struct ocsp_signer *sg, struct err *e)
{
	static const uint8_t serial[] = {0x01};
	const struct ocsp_status st = {serial, 1, CERT_GOOD, 0, 0, 1767225600, 1767225600 + 86400};
	OCSP_BASICRESP *bs = reference(sg, OCSP_HASH_SHA1, &st, e);
	unsigned char *der = NULL;
	int n;

	if (bs == NULL)
		return -1;
	n = i2d_X509_ALGOR(OCSP_resp_get0_tbs_sigalg(bs), &der);
	if (n > 0 && (size_t)n <= sizeof(t->sigalg)) {
		memcpy(t->sigalg, der, (size_t)n);
		t->sigalg_len = (size_t)n;
	}
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	if (t->sigalg_len == 0)
		return err_ossl(e, "encoding the signature algorithm");
	return 0;
}

int
ocsp_template_init(struct ocsp_template *t, const struct ocsp_signer *sg, struct err *e)
{
	int size = EVP_PKEY_get_size(sg->key);

	memset(t, 0, sizeof(*t));
	if (size <= 0 || size > SIG_MAX)
		return err_set(e, "no OCSP template for a key with %d-byte signatures", size);
	t->sig_max = (size_t)size;
	if (make_certid(t, sg, OCSP_HASH_SHA1, e) != 0 ||
	    make_certid(t, sg, OCSP_HASH_SHA256, e) != 0 || make_responder_id(t, sg, e) != 0 ||
	    make_certs(t, sg, e) != 0 || make_sigalg(t, sg, e) != 0 || self_check(t, sg, e) != 0)
		return -1;
	return 0;
}

void
ocsp_template_clear(struct ocsp_template *t)
{
	free(t->certs);
	memset(t, 0, sizeof(*t));
}
