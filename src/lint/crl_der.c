/*
 * crl_der.c - see crl_der.h.  Only low tag numbers and definite lengths of
 * at most four octets (a CRL is at most EXPLAIN_INPUT_MAX, 256 MB) are read.
 */
#include "lint/crl_der.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "pki/cert.h"

#define DER_SEQUENCE 0x30
#define DER_INTEGER 0x02
#define DER_BITSTRING 0x03
#define DER_OCTETSTRING 0x04
#define DER_BOOLEAN 0x01
#define DER_OID 0x06
#define DER_ENUMERATED 0x0a
#define DER_UTCTIME 0x17
#define DER_GENTIME 0x18
#define DER_CTX0 0xa0
#define DER_LEN_MAX_OCTETS 4

static const uint8_t oid_crl_reason[] = {0x55, 0x1d, 0x15}; /* 2.5.29.21 */

struct tlv {
	uint8_t tag;
	const uint8_t *at;   /* the TLV's first byte */
	size_t hdr, clen;    /* header and content lengths */
};

#define TLV_BODY(t) ((t).at + (t).hdr)
#define TLV_END(t) ((t).at + (t).hdr + (t).clen)

static int
tlv_read(const uint8_t *p, const uint8_t *end, struct tlv *t)
{
	size_t avail, l, h = 2;

	if (p == NULL || p >= end || (avail = (size_t)(end - p)) < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	l = p[1];
	if (l & 0x80) {
		size_t k = l & 0x7f;

		if (k == 0 || k > DER_LEN_MAX_OCTETS || avail < 2 + k)
			return -1;
		l = 0;
		for (size_t i = 0; i < k; i++)
			l = l << 8 | p[2 + i];
		h += k;
	}
	if (l > avail - h)
		return -1;
	t->tag = p[0];
	t->at = p;
	t->hdr = h;
	t->clen = l;
	return 0;
}

static int
is_time(uint8_t tag)
{
	return tag == DER_UTCTIME || tag == DER_GENTIME;
}

/* The inside of tbsCertList: version?, signature, issuer, thisUpdate, nextUpdate?, entries?, [0]?. */
static int
open_tbs(const struct tlv *tbs, struct crl_der *c)
{
	const uint8_t *q = TLV_BODY(*tbs), *te = TLV_END(*tbs);
	struct tlv x;

	if (tlv_read(q, te, &x) != 0)
		return -1;
	if (x.tag == DER_INTEGER && (q = TLV_END(x), tlv_read(q, te, &x) != 0))
		return -1;
	if (x.tag != DER_SEQUENCE)
		return -1;
	c->inner_alg = x.at;
	c->inner_alg_len = x.hdr + x.clen;
	q = TLV_END(x);
	if (tlv_read(q, te, &x) != 0 || x.tag != DER_SEQUENCE) /* issuer */
		return -1;
	q = TLV_END(x);
	if (tlv_read(q, te, &x) != 0 || !is_time(x.tag)) /* thisUpdate */
		return -1;
	q = TLV_END(x);
	if (q < te && tlv_read(q, te, &x) == 0 && is_time(x.tag)) /* nextUpdate */
		q = TLV_END(x);
	if (q < te && tlv_read(q, te, &x) == 0 && x.tag == DER_SEQUENCE) {
		c->entries = x.at;
		c->entries_len = x.hdr + x.clen;
		q = TLV_END(x);
	}
	if (q < te && (tlv_read(q, te, &x) != 0 || x.tag != DER_CTX0 || (q = TLV_END(x)) != te))
		return -1;
	return q == te ? 0 : -1;
}

int
crl_der_open(const uint8_t *der, size_t len, struct crl_der *c)
{
	const uint8_t *end = der + len, *p;
	struct tlv outer, tbs, alg, sig;

	memset(c, 0, sizeof(*c));
	if (len == 0 || tlv_read(der, end, &outer) != 0 || outer.tag != DER_SEQUENCE ||
	    TLV_END(outer) != end)
		return -1;
	p = TLV_BODY(outer);
	if (tlv_read(p, end, &tbs) != 0 || tbs.tag != DER_SEQUENCE)
		return -1;
	p = TLV_END(tbs);
	if (tlv_read(p, end, &alg) != 0 || alg.tag != DER_SEQUENCE)
		return -1;
	p = TLV_END(alg);
	if (tlv_read(p, end, &sig) != 0 || sig.tag != DER_BITSTRING || sig.clen < 1 ||
	    TLV_END(sig) != end)
		return -1;
	c->der = der;
	c->len = len;
	c->tbs = tbs.at;
	c->tbs_len = tbs.hdr + tbs.clen;
	c->alg = alg.at;
	c->alg_len = alg.hdr + alg.clen;
	c->sig = TLV_BODY(sig);
	c->sig_len = sig.clen;
	return open_tbs(&tbs, c);
}

static size_t
put_len(uint8_t *b, size_t l)
{
	size_t n = 0;

	if (l < 0x80) {
		b[0] = (uint8_t)l;
		return 1;
	}
	for (size_t v = l; v != 0; v >>= 8)
		n++;
	b[0] = (uint8_t)(0x80 | n);
	for (size_t i = 0; i < n; i++)
		b[1 + i] = (uint8_t)(l >> (8 * (n - 1 - i)));
	return 1 + n;
}

X509_CRL *
crl_der_headers(const struct crl_der *c)
{
	struct tlv tbs;
	size_t body, pre, post, tail, outer, at = 0;
	uint8_t hdr[1 + 1 + DER_LEN_MAX_OCTETS], *buf;
	const unsigned char *p;
	X509_CRL *crl;

	if (c->der == NULL || tlv_read(c->tbs, c->tbs + c->tbs_len, &tbs) != 0)
		return NULL;
	pre = c->entries != NULL ? (size_t)(c->entries - TLV_BODY(tbs)) : tbs.clen;
	post = c->entries != NULL ? tbs.clen - pre - c->entries_len : 0;
	body = pre + post;
	tail = (size_t)(c->der + c->len - (c->tbs + c->tbs_len)); /* signatureAlgorithm, signature */
	outer = 1 + put_len(hdr, body) + body + tail;
	if ((buf = malloc(outer + 2 + 2 * DER_LEN_MAX_OCTETS)) == NULL)
		return NULL;
	buf[at++] = DER_SEQUENCE;
	at += put_len(buf + at, outer);
	buf[at++] = DER_SEQUENCE;
	at += put_len(buf + at, body);
	memcpy(buf + at, TLV_BODY(tbs), pre);
	at += pre;
	if (post > 0)
		memcpy(buf + at, c->entries + c->entries_len, post);
	at += post;
	memcpy(buf + at, c->tbs + c->tbs_len, tail);
	at += tail;
	p = buf;
	crl = d2i_X509_CRL(NULL, &p, (long)at);
	if (crl != NULL && p != buf + at) {
		X509_CRL_free(crl);
		crl = NULL;
	}
	free(buf);
	ERR_clear_error();
	return crl;
}

static int
digits(const uint8_t *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* A UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ; other forms through OpenSSL. */
static int
der_time(const struct tlv *t, int64_t *out)
{
	const uint8_t *s = TLV_BODY(*t);
	int ylen = t->tag == DER_UTCTIME ? 2 : 4, y, mo, d, h, mi, sec;
	const unsigned char *p = t->at;
	ASN1_TIME *at;
	int rc;

	if (t->clen == (size_t)ylen + 11 && s[ylen + 10] == 'Z' && digits(s, ylen, &y) == 0 &&
	    digits(s + ylen, 2, &mo) == 0 && digits(s + ylen + 2, 2, &d) == 0 &&
	    digits(s + ylen + 4, 2, &h) == 0 && digits(s + ylen + 6, 2, &mi) == 0 &&
	    digits(s + ylen + 8, 2, &sec) == 0 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
	    h < 24 && mi < 60 && sec < 60) {
		if (ylen == 2)
			y += y < 50 ? 2000 : 1900; /* RFC 5280 4.1.2.5.1 */
		*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
		return 0;
	}
	at = d2i_ASN1_TIME(NULL, &p, (long)(t->hdr + t->clen));
	rc = at != NULL ? cert_time(at, out) : -1;
	ASN1_TIME_free(at);
	ERR_clear_error();
	return rc;
}

/* The reasonCode among an entry's extensions (-1 when absent or unreadable); -1 if malformed. */
static int
read_reason(const uint8_t *p, const uint8_t *end, int *reason)
{
	struct tlv ext, oid, x;

	while (p < end) {
		const uint8_t *q;

		if (tlv_read(p, end, &ext) != 0 || ext.tag != DER_SEQUENCE)
			return -1;
		q = TLV_BODY(ext);
		if (tlv_read(q, TLV_END(ext), &oid) != 0 || oid.tag != DER_OID)
			return -1;
		q = TLV_END(oid);
		if (tlv_read(q, TLV_END(ext), &x) != 0)
			return -1;
		if (x.tag == DER_BOOLEAN && (q = TLV_END(x), tlv_read(q, TLV_END(ext), &x) != 0))
			return -1;
		if (x.tag != DER_OCTETSTRING || TLV_END(x) != TLV_END(ext))
			return -1;
		if (oid.clen == sizeof(oid_crl_reason) &&
		    memcmp(TLV_BODY(oid), oid_crl_reason, sizeof(oid_crl_reason)) == 0) {
			const uint8_t *v = TLV_BODY(x);

			/* ENUMERATED of one octet: every RFC 5280 code, and any unknown one below 128 */
			if (x.clen == 3 && v[0] == DER_ENUMERATED && v[1] == 1 && v[2] < 0x80)
				*reason = v[2];
		}
		p = TLV_END(ext);
	}
	return 0;
}

int
crl_der_next(const struct crl_der *c, size_t *pos, struct crl_der_entry *e)
{
	struct tlv all, ent, x;
	const uint8_t *p, *q, *end;

	if (c->entries == NULL || tlv_read(c->entries, c->entries + c->entries_len, &all) != 0)
		return 0;
	end = TLV_END(all);
	if (*pos >= all.clen)
		return 0;
	p = TLV_BODY(all) + *pos;
	if (tlv_read(p, end, &ent) != 0 || ent.tag != DER_SEQUENCE)
		return -1;
	*pos = (size_t)(TLV_END(ent) - TLV_BODY(all));
	q = TLV_BODY(ent);
	if (tlv_read(q, TLV_END(ent), &x) != 0 || x.tag != DER_INTEGER || x.clen == 0)
		return -1;
	e->serial = TLV_BODY(x);
	e->serial_len = x.clen;
	q = TLV_END(x);
	if (tlv_read(q, TLV_END(ent), &x) != 0 || !is_time(x.tag))
		return -1;
	e->date_ok = der_time(&x, &e->date) == 0;
	q = TLV_END(x);
	e->reason = -1;
	if (q == TLV_END(ent))
		return 1;
	if (tlv_read(q, TLV_END(ent), &x) != 0 || x.tag != DER_SEQUENCE || TLV_END(x) != TLV_END(ent))
		return -1;
	return read_reason(TLV_BODY(x), TLV_END(x), &e->reason) == 0 ? 1 : -1;
}

long
crl_der_count(const struct crl_der *c)
{
	struct crl_der_entry e;
	size_t pos = 0;
	long n = 0;
	int rc;

	while ((rc = crl_der_next(c, &pos, &e)) == 1)
		n++;
	return rc < 0 ? -1 : n;
}

int
crl_der_verify(const struct crl_der *c, EVP_PKEY *key)
{
	const unsigned char *p = c->alg;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)c->alg_len);
	int nid, md_nid = NID_undef, pk_nid, ptype, rc = -1;
	const EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;

	if (alg == NULL || key == NULL)
		goto out;
	/* As X509_CRL_verify: the signature's algorithm is the one the signed part names. */
	if (c->inner_alg_len != c->alg_len || memcmp(c->inner_alg, c->alg, c->alg_len) != 0 ||
	    c->sig[0] != 0) {
		rc = 0;
		goto out;
	}
	nid = OBJ_obj2nid(alg->algorithm);
	if (nid == NID_rsassaPss || !OBJ_find_sigid_algs(nid, &md_nid, &pk_nid))
		goto out; /* parameters this path does not read: the caller asks OpenSSL */
	/*
	 * The key must be of the algorithm's type (X509_CRL_verify refuses an RSA
	 * key for ecdsa-with-SHA256, which EVP_DigestVerify would not see), and
	 * the parameters those this path knows: none, or NULL for RSA PKCS#1.
	 * Anything else is left to OpenSSL.
	 */
	X509_ALGOR_get0(NULL, &ptype, NULL, alg);
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_type(pk_nid) ||
	    !(ptype == V_ASN1_UNDEF || (pk_nid == NID_rsaEncryption && ptype == V_ASN1_NULL)))
		goto out;
	if (md_nid != NID_undef && (md = EVP_get_digestbynid(md_nid)) == NULL)
		goto out;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	rc = EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, c->sig + 1, c->sig_len - 1, c->tbs, c->tbs_len) == 1;
out:
	EVP_MD_CTX_free(ctx);
	X509_ALGOR_free(alg);
	ERR_clear_error();
	return rc;
}

ASN1_INTEGER *
crl_der_serial(const uint8_t *p, size_t n)
{
	uint8_t *buf = malloc(n + 2 + DER_LEN_MAX_OCTETS);
	const unsigned char *q = buf;
	ASN1_INTEGER *ai = NULL;
	size_t h;

	if (buf == NULL)
		return NULL;
	buf[0] = DER_INTEGER;
	h = 1 + put_len(buf + 1, n);
	memcpy(buf + h, p, n);
	ai = d2i_ASN1_INTEGER(NULL, &q, (long)(h + n));
	free(buf);
	ERR_clear_error();
	return ai;
}

int
crl_der_serial_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

int
crl_der_serial_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int na = alen > 0 && (a[0] & 0x80), nb = blen > 0 && (b[0] & 0x80);

	if (na != nb)
		return na ? -1 : 1;
	if (alen != blen) /* same sign: more octets is farther from zero */
		return (alen < blen) != na ? -1 : 1;
	return memcmp(a, b, alen);
}
