/*
 * certparse.c - see certparse.h.  A DER walker (util/der.h): each step reads
 * one tag-length-value and checks that it fits its parent; any surprise
 * returns -1.
 */
#include "pki/certparse.h"

#include <string.h>

#include "util/der.h"
#include "util/timefmt.h"

static int
two_digits(const uint8_t *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 4.1.2.5). */
static int
der_time(const struct der_tlv *t, int64_t *out)
{
	const uint8_t *v = t->val;
	int year, f[5];

	if (t->tag == 0x17 && t->len == 13) {
		year = two_digits(v);
		if (year < 0)
			return -1;
		year += year < 50 ? 2000 : 1900;
		v += 2;
	} else if (t->tag == 0x18 && t->len == 15) {
		int hi = two_digits(v), lo = two_digits(v + 2);
		if (hi < 0 || lo < 0)
			return -1;
		year = hi * 100 + lo;
		v += 4;
	} else {
		return -1;
	}
	for (int i = 0; i < 5; i++) {
		if ((f[i] = two_digits(v + 2 * i)) < 0)
			return -1;
	}
	if (v[10] != 'Z' || f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > 31 || f[2] > 23 ||
	    f[3] > 59 || f[4] > 59)
		return -1;
	*out = timefmt_from_civil(year, f[0], f[1], f[2], f[3], f[4]);
	return 0;
}

static int
oid_is(const struct der_tlv *t, const uint8_t *oid, size_t len)
{
	return t->tag == 0x06 && t->len == len && memcmp(t->val, oid, len) == 0;
}

static int
sig_alg(const struct der_tlv *algid, enum cert_sig_alg *out)
{
	static const struct {
		uint8_t oid[9];
		uint8_t len;
		uint8_t params_null; /* RSA: NULL parameters allowed */
		enum cert_sig_alg alg;
	} algs[] = {
	    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}, 8, 0, CERT_SIG_ECDSA_SHA256},
	    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}, 8, 0, CERT_SIG_ECDSA_SHA384},
	    {{0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04}, 8, 0, CERT_SIG_ECDSA_SHA512},
	    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b}, 9, 1, CERT_SIG_RSA_SHA256},
	    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c}, 9, 1, CERT_SIG_RSA_SHA384},
	    {{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d}, 9, 1, CERT_SIG_RSA_SHA512},
	    {{0x2b, 0x65, 0x70}, 3, 0, CERT_SIG_ED25519},
	};
	struct der_reader d = der_reader(algid->val, algid->len);
	struct der_tlv oid, params;

	if (der_next(&d, &oid) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (!oid_is(&oid, algs[i].oid, algs[i].len))
			continue;
		if (d.p != d.end) { /* parameters: only NULL, only for RSA */
			if (!algs[i].params_null || der_next(&d, &params) != 0 || params.tag != 0x05 ||
			    params.len != 0 || d.p != d.end)
				return -1;
		}
		*out = algs[i].alg;
		return 0;
	}
	return -1;
}

static int
extensions(struct der_reader *exts, struct cert_parsed *out)
{
	static const uint8_t oid_bc[] = {0x55, 0x1d, 0x13};    /* basicConstraints */
	static const uint8_t oid_ku[] = {0x55, 0x1d, 0x0f};    /* keyUsage */
	static const uint8_t oid_crldp[] = {0x55, 0x1d, 0x1f}; /* cRLDistributionPoints */
	static const uint8_t oid_aia[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01};
	/* 1.3.6.1.4.1.11129.2.4.3, RFC 6962's precertificate poison */
	static const uint8_t oid_poison[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x03};
	struct der_tlv ext, oid, t, value;
	struct der_reader e, v;

	while (exts->p < exts->end) {
		if (der_expect(exts, 0x30, &ext, &e) != 0 || der_next(&e, &oid) != 0 || oid.tag != 0x06)
			return -1;
		if (der_next(&e, &t) != 0)
			return -1;
		if (t.tag == 0x01 && der_next(&e, &t) != 0) /* critical BOOLEAN */
			return -1;
		if (t.tag != 0x04 || e.p != e.end)
			return -1;
		value = t;
		v = der_reader(value.val, value.len);
		if (oid_is(&oid, oid_bc, sizeof(oid_bc))) {
			struct der_reader bc;
			if (der_expect(&v, 0x30, &t, &bc) != 0)
				return -1;
			if (bc.p < bc.end && bc.p[0] == 0x01) { /* cA BOOLEAN */
				if (der_next(&bc, &t) != 0 || t.len != 1)
					return -1;
				out->is_ca |= t.val[0] != 0;
			}
		} else if (oid_is(&oid, oid_ku, sizeof(oid_ku))) {
			if (der_expect(&v, 0x03, &t, NULL) != 0 || t.len < 2)
				return -1;
			out->is_ca |= (t.val[1] & 0x04) != 0; /* keyCertSign */
		} else if (oid_is(&oid, oid_crldp, sizeof(oid_crldp))) {
			out->crldp = value.val;
			out->crldp_len = value.len;
		} else if (oid_is(&oid, oid_aia, sizeof(oid_aia))) { /* authorityInfoAccess */
			out->aia = value.val;
			out->aia_len = value.len;
		} else if (oid_is(&oid, oid_poison, sizeof(oid_poison))) {
			out->precert = 1;
		}
	}
	return 0;
}

int
certparse(const uint8_t *der, size_t len, struct cert_parsed *out)
{
	struct der_reader top = der_reader(der, len), cert, tbs, validity, exts_wrap, exts;
	struct der_tlv c, t, tbs_tlv, algid, inner_alg, sig, nb, na;
	enum cert_sig_alg inner;

	memset(out, 0, sizeof(*out));
	if (der_expect(&top, 0x30, &c, &cert) != 0 || top.p != top.end)
		return -1;
	if (der_expect(&cert, 0x30, &tbs_tlv, &tbs) != 0 || der_expect(&cert, 0x30, &algid, NULL) ||
	    der_expect(&cert, 0x03, &sig, NULL) != 0 || cert.p != cert.end)
		return -1;
	out->tbs = tbs_tlv.start;
	out->tbs_len = tbs_tlv.total;
	if (sig_alg(&algid, &out->sig_alg) != 0 || sig.len < 2 || sig.val[0] != 0)
		return -1;
	out->sig = sig.val + 1;
	out->sig_len = sig.len - 1;

	/* version [0] EXPLICIT INTEGER 2 (v3) */
	if (der_expect(&tbs, 0xa0, &t, NULL) != 0 || t.len != 3 || t.val[0] != 0x02 ||
	    t.val[1] != 0x01 || t.val[2] != 0x02)
		return -1;
	if (der_expect(&tbs, 0x02, &t, NULL) != 0 || t.len == 0)
		return -1;
	out->serial = t.val;
	out->serial_len = t.len;
	/* The inner signature algorithm must name the outer one (RFC 5280 4.1.2.3). */
	if (der_expect(&tbs, 0x30, &inner_alg, NULL) != 0 || sig_alg(&inner_alg, &inner) != 0 ||
	    inner != out->sig_alg)
		return -1;
	if (der_expect(&tbs, 0x30, &t, NULL) != 0)
		return -1;
	out->issuer = t.start;
	out->issuer_len = t.total;
	if (der_expect(&tbs, 0x30, &t, &validity) != 0 || der_next(&validity, &nb) != 0 ||
	    der_next(&validity, &na) != 0 || validity.p != validity.end ||
	    der_time(&nb, &out->not_before) != 0 || der_time(&na, &out->not_after) != 0)
		return -1;
	if (der_expect(&tbs, 0x30, &t, NULL) != 0 || /* subject */
	    der_expect(&tbs, 0x30, &t, NULL) != 0)   /* subjectPublicKeyInfo: framed, not read */
		return -1;
	out->spki = t.start;
	out->spki_len = t.total;
	if (tbs.p < tbs.end && (tbs.p[0] == 0x81 || tbs.p[0] == 0x82))
		return -1; /* unique identifiers: rare enough to leave to OpenSSL */
	if (tbs.p < tbs.end) {
		if (der_expect(&tbs, 0xa3, &t, &exts_wrap) != 0 ||
		    der_expect(&exts_wrap, 0x30, &t, &exts) != 0 || exts_wrap.p != exts_wrap.end ||
		    extensions(&exts, out) != 0)
			return -1;
	}
	return tbs.p == tbs.end ? 0 : -1;
}

/*
 * Only the framing down to the SubjectPublicKeyInfo, whatever the rest: the
 * version is optional here (v1 certificates), the fields before it any
 * SEQUENCEs, so that every certificate OpenSSL takes (intake's slow path)
 * and every one a by-key request names are hashed from the same bytes as
 * certparse() points at.
 */
int
certparse_spki(const uint8_t *der, size_t len, const uint8_t **spki, size_t *spki_len)
{
	struct der_reader top = der_reader(der, len), cert, tbs;
	struct der_tlv t;

	if (der_expect(&top, 0x30, &t, &cert) != 0 || top.p != top.end ||
	    der_expect(&cert, 0x30, &t, &tbs) != 0)
		return -1;
	if (tbs.p < tbs.end && tbs.p[0] == 0xa0 && der_next(&tbs, &t) != 0)
		return -1;
	if (der_expect(&tbs, 0x02, &t, NULL) != 0 ||  /* serialNumber */
	    der_expect(&tbs, 0x30, &t, NULL) != 0 ||  /* signature */
	    der_expect(&tbs, 0x30, &t, NULL) != 0 ||  /* issuer */
	    der_expect(&tbs, 0x30, &t, NULL) != 0 ||  /* validity */
	    der_expect(&tbs, 0x30, &t, NULL) != 0 ||  /* subject */
	    der_expect(&tbs, 0x30, &t, NULL) != 0)    /* subjectPublicKeyInfo */
		return -1;
	*spki = t.start;
	*spki_len = t.total;
	return 0;
}
