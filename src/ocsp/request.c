/*
 * request.c - see request.h.
 *
 * The base64 clean-up is done by hand into a stack buffer (it is the hot path
 * of every GET and it is a character mapping, not crypto); the decoding and
 * parsing themselves are OpenSSL's EVP_DecodeBlock and d2i_OCSP_REQUEST.
 */
#include "ocsp/request.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "pki/serial.h"

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
ocsp_request_parse(const uint8_t *der, size_t len, struct ocsp_query *q)
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
