/*
 * request.c - see request.h.
 *
 * The base64 clean-up is done by hand into a stack buffer (it is the hot path
 * of every GET and it is a character mapping, not crypto); the decoding is
 * OpenSSL's EVP_DecodeBlock.
 *
 * Parsing is OpenSSL's d2i_OCSP_REQUEST, behind a fast path for the one
 * shape nearly every client sends (ocsp_request_parse_fast() below): d2i builds a
 * tree of allocated objects and took 1.8 us of the server's 2.7 us per GET,
 * 17% of its CPU (docs/BENCHMARKS.md).  The fast path never refuses
 * anything: whatever it does not fully understand goes to OpenSSL, so it can
 * only answer what OpenSSL would answer, the same way.  The fuzz target
 * fuzz_ocsp_request and tests/unit/ocsp/test_request.c hold it to that,
 * comparing the two on every input.
 */
#include "ocsp/request.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "pki/serial.h"
#include "util/der.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One character of the path, with percent escapes decoded; advances *i. */
static int
next_char(const char *p, size_t len, size_t *i)
{
	int c = (unsigned char)p[*i], hi, lo;

	if (c == '%' && *i + 2 < len && (hi = hexval(p[*i + 1])) >= 0 &&
	    (lo = hexval(p[*i + 2])) >= 0) {
		*i += 3;
		return hi << 4 | lo;
	}
	(*i)++;
	return c;
}

int
ocsp_request_from_get(const char *path, size_t len, uint8_t *out, size_t *out_len)
{
	char b64[OCSP_GET_PATH_MAX + 4];
	size_t n = 0, i = 0, pad = 0;
	int c, got;

	while (i < len && path[i] == '/')
		i++;
	while (i < len) {
		c = next_char(path, len, &i);
		if (c == ' ')
			c = '+';
		else if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
				   (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return OCSP_REQUEST_MALFORMED; /* data after padding, or not base64 */
		if (n == OCSP_GET_PATH_MAX)
			return OCSP_REQUEST_MALFORMED;
		b64[n++] = (char)c;
	}
	if (n == 0 || n % 4 == 1 || pad > 2)
		return OCSP_REQUEST_MALFORMED;
	pad = (4 - n % 4) % 4;
	for (size_t k = 0; k < pad; k++)
		b64[n++] = '=';
	got = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
	if (got < 0)
		return OCSP_REQUEST_MALFORMED;
	/* EVP_DecodeBlock counts the padding as zero bytes: drop them. */
	*out_len = (size_t)got - pad;
	return OCSP_REQUEST_OK;
}

int
ocsp_request_to_get(const uint8_t *der, size_t len, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char b64[4 * ((OCSP_GET_DER_MAX + 2) / 3) + 1];
	size_t o = 0;
	int blen;

	if (len > OCSP_GET_DER_MAX)
		return -1;
	blen = EVP_EncodeBlock(b64, der, (int)len);
	for (int i = 0; i < blen; i++) {
		int esc = b64[i] == '+' || b64[i] == '/' || b64[i] == '=';

		if (o + (esc ? 3 : 1) >= outlen)
			return -1;
		if (esc) {
			out[o++] = '%';
			out[o++] = hex[b64[i] >> 4];
			out[o++] = hex[b64[i] & 15];
		} else {
			out[o++] = (char)b64[i];
		}
	}
	if (outlen == 0)
		return -1;
	out[o] = '\0';
	return (int)o;
}

/* The hashAlgorithm OIDs lancre answers (content bytes), as OCSP_cert_id_new writes them. */
static const uint8_t oid_sha1[] = {0x2b, 0x0e, 0x03, 0x02, 0x1a};
static const uint8_t oid_sha256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};

/* An OBJECT IDENTIFIER's content as OpenSSL accepts it: no 0x80 padding, last byte ends. */
static int
oid_well_formed(const struct der_tlv *t)
{
	if (t->len == 0 || (t->val[t->len - 1] & 0x80))
		return 0;
	for (size_t i = 0; i < t->len; i++) {
		if (t->val[i] == 0x80 && (i == 0 || !(t->val[i - 1] & 0x80)))
			return 0;
	}
	return 1;
}

/* Extensions: SEQUENCE OF { OID, critical BOOLEAN TRUE (optional), OCTET STRING }. */
static int
extensions_plain(struct der_reader *d)
{
	struct der_reader exts, ext;
	struct der_tlv t;

	if (der_expect(d, DER_SEQUENCE, &t, &exts) != 0 || !der_at_end(d) || der_at_end(&exts))
		return 0;
	while (!der_at_end(&exts)) {
		if (der_expect(&exts, DER_SEQUENCE, &t, &ext) != 0 ||
		    der_expect(&ext, DER_OID, &t, NULL) != 0 || !oid_well_formed(&t) ||
		    der_next(&ext, &t) != 0)
			return 0;
		if (t.tag == DER_BOOLEAN &&
		    (t.len != 1 || t.val[0] != 0xff || der_next(&ext, &t) != 0))
			return 0;
		if (t.tag != DER_OCTET_STRING || !der_at_end(&ext))
			return 0;
	}
	return 1;
}

/* A minimal INTEGER of at most STORE_SERIAL_MAX bytes, as OpenSSL would keep it. */
static int
serial_plain(const struct der_tlv *t)
{
	if (t->len == 0 || t->len > STORE_SERIAL_MAX)
		return 0;
	if (t->len > 1 && ((t->val[0] == 0x00 && !(t->val[1] & 0x80)) ||
			      (t->val[0] == 0xff && (t->val[1] & 0x80))))
		return 0;
	return 1;
}

/* CertID with SHA-1 or SHA-256 (parameters NULL or absent) into q; 0 if not that. */
static int
certid_plain(struct der_reader *d, struct ocsp_query *q)
{
	struct der_reader id, alg;
	struct der_tlv t, oid, name, key, serial;
	size_t hlen;

	if (der_expect(d, DER_SEQUENCE, &t, &id) != 0 || !der_at_end(d) ||
	    der_expect(&id, DER_SEQUENCE, &t, &alg) != 0 || der_expect(&alg, DER_OID, &oid, NULL) != 0)
		return 0;
	if (oid.len == sizeof(oid_sha1) && memcmp(oid.val, oid_sha1, oid.len) == 0)
		q->hash = OCSP_HASH_SHA1;
	else if (oid.len == sizeof(oid_sha256) && memcmp(oid.val, oid_sha256, oid.len) == 0)
		q->hash = OCSP_HASH_SHA256;
	else
		return 0;
	if (!der_at_end(&alg) && (der_expect(&alg, DER_NULL, &t, NULL) != 0 || t.len != 0 ||
				     !der_at_end(&alg)))
		return 0;
	hlen = ocsp_hash_len(q->hash);
	if (der_expect(&id, DER_OCTET_STRING, &name, NULL) != 0 || name.len != hlen ||
	    der_expect(&id, DER_OCTET_STRING, &key, NULL) != 0 || key.len != hlen ||
	    der_expect(&id, DER_INTEGER, &serial, NULL) != 0 || !der_at_end(&id) ||
	    !serial_plain(&serial))
		return 0;
	memcpy(q->name_hash, name.val, hlen);
	memcpy(q->key_hash, key.val, hlen);
	memcpy(q->serial, serial.val, serial.len);
	q->serial_len = serial.len;
	return 1;
}

/*
 * OCSPRequest { TBSRequest { requestList { Request { CertID } },
 * [2] requestExtensions OPTIONAL } }: no version, requestor name, second
 * request, per-request extensions or signature.  1 with q filled, or 0:
 * leave it to OpenSSL.
 */
int
ocsp_request_parse_fast(const uint8_t *der, size_t len, struct ocsp_query *q)
{
	struct der_reader top = der_reader(der, len), req, tbs, list, one;
	struct der_tlv t;

	if (der_expect(&top, DER_SEQUENCE, &t, &req) != 0 || !der_at_end(&top) ||
	    der_expect(&req, DER_SEQUENCE, &t, &tbs) != 0 || !der_at_end(&req) ||
	    der_expect(&tbs, DER_SEQUENCE, &t, &list) != 0 ||
	    der_expect(&list, DER_SEQUENCE, &t, &one) != 0 || !der_at_end(&list) ||
	    !certid_plain(&one, q))
		return 0;
	if (der_at_end(&tbs))
		return 1;
	if (der_expect(&tbs, DER_CONTEXT_CONS(2), &t, &one) != 0 || !der_at_end(&tbs))
		return 0;
	return extensions_plain(&one);
}

int
ocsp_request_parse(const uint8_t *der, size_t len, struct ocsp_query *q)
{
	if (len == 0 || len > OCSP_REQUEST_MAX)
		return OCSP_REQUEST_MALFORMED;
	if (ocsp_request_parse_fast(der, len, q))
		return OCSP_REQUEST_OK;
	return ocsp_request_parse_openssl(der, len, q);
}

int
ocsp_request_parse_openssl(const uint8_t *der, size_t len, struct ocsp_query *q)
{
	const unsigned char *p = der;
	OCSP_REQUEST *req;
	OCSP_ONEREQ *one;
	ASN1_OCTET_STRING *name_hash, *key_hash;
	ASN1_OBJECT *md;
	ASN1_INTEGER *serial;
	int rc = OCSP_REQUEST_MALFORMED;

	if (len == 0 || len > OCSP_REQUEST_MAX)
		return OCSP_REQUEST_MALFORMED;
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	if (req == NULL || p != der + len || OCSP_request_onereq_count(req) < 1)
		goto out;
	one = OCSP_request_onereq_get0(req, 0);
	if (OCSP_id_get0_info(&name_hash, &md, &key_hash, &serial, OCSP_onereq_get0_id(one)) != 1)
		goto out;
	if (ocsp_hash_from_nid(OBJ_obj2nid(md), &q->hash) != 0) {
		rc = OCSP_REQUEST_UNSUPPORTED;
		goto out;
	}
	/* A hash of the wrong length cannot match anything: malformed. */
	if ((size_t)ASN1_STRING_length(name_hash) != ocsp_hash_len(q->hash) ||
	    (size_t)ASN1_STRING_length(key_hash) != ocsp_hash_len(q->hash) ||
	    serial_from_asn1(serial, q->serial, sizeof(q->serial), &q->serial_len, NULL) != 0)
		goto out;
	memcpy(q->name_hash, ASN1_STRING_get0_data(name_hash), ocsp_hash_len(q->hash));
	memcpy(q->key_hash, ASN1_STRING_get0_data(key_hash), ocsp_hash_len(q->hash));
	rc = OCSP_REQUEST_OK;
out:
	OCSP_REQUEST_free(req);
	ERR_clear_error();
	return rc;
}

int
ocsp_request_parsers_agree(const uint8_t *der, size_t len)
{
	struct ocsp_query a, b;
	int ra, rb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = ocsp_request_parse(der, len, &a);
	rb = ocsp_request_parse_openssl(der, len, &b);
	if (ra != rb)
		return 0;
	return ra != OCSP_REQUEST_OK ||
	       (a.hash == b.hash && a.serial_len == b.serial_len &&
		   memcmp(a.serial, b.serial, a.serial_len) == 0 &&
		   memcmp(a.name_hash, b.name_hash, ocsp_hash_len(a.hash)) == 0 &&
		   memcmp(a.key_hash, b.key_hash, ocsp_hash_len(a.hash)) == 0);
}
