/*
 * explain_ocsp_id.c - a CertID (RFC 6960 4.1.1) in words: the hash
 * algorithm, the serial, and the issuer when one of the known certificates
 * hashes to it (a CertID carries only hashes of the issuer's name and key).
 */
#include "cli/explain_ocsp.h"

#include <stdio.h>

#include <openssl/evp.h>

#include "lint/hex.h"

X509 *
explain_certid_issuer(const struct explain_ctx *c, OCSP_CERTID *id)
{
	ASN1_OBJECT *alg = NULL;
	ASN1_INTEGER *serial = NULL;
	const EVP_MD *md;

	OCSP_id_get0_info(NULL, &alg, NULL, &serial, id);
	if (alg == NULL || (md = EVP_get_digestbyobj(alg)) == NULL)
		return NULL;
	for (int i = 0; c->known != NULL && i < sk_X509_num(c->known); i++) {
		X509 *x = sk_X509_value(c->known, i);
		OCSP_CERTID *mine = OCSP_cert_id_new(md, X509_get_subject_name(x),
		    X509_get0_pubkey_bitstr(x), serial);
		int same = mine != NULL && OCSP_id_issuer_cmp(mine, id) == 0;

		OCSP_CERTID_free(mine);
		if (same)
			return x;
	}
	return NULL;
}

static void
hex(const ASN1_OCTET_STRING *h, char *buf, size_t len)
{
	snprintf(buf, len, "?");
	for (int i = 0; h != NULL && i < h->length && (size_t)(2 * i + 3) <= len; i++)
		snprintf(buf + 2 * i, 3, "%02x", h->data[i]);
}

void
explain_certid_read(const struct explain_ctx *c, OCSP_CERTID *id, struct explain_certid *out)
{
	ASN1_OCTET_STRING *name_hash = NULL, *key_hash = NULL;
	ASN1_OBJECT *alg = NULL;
	ASN1_INTEGER *serial = NULL;

	OCSP_id_get0_info(&name_hash, &alg, &key_hash, &serial, id);
	lint_hex(serial, out->serial, sizeof(out->serial));
	snprintf(out->hash, sizeof(out->hash), "%s", alg != NULL ? OBJ_nid2sn(OBJ_obj2nid(alg)) : "?");
	hex(name_hash, out->name_hash, sizeof(out->name_hash));
	hex(key_hash, out->key_hash, sizeof(out->key_hash));
	out->issuer_cert = explain_certid_issuer(c, id);
	if (out->issuer_cert != NULL)
		explain_issuer_label(c, out->issuer_cert, X509_get_subject_name(out->issuer_cert),
		    out->issuer, sizeof(out->issuer));
	else
		snprintf(out->issuer, sizeof(out->issuer), "%s",
		    c->dir != NULL ? "an issuer this data directory does not have"
				   : "an issuer known only by hashes (give --issuer or -d to name it)");
}

void
explain_certid_print(struct xout *o, const struct explain_certid *id)
{
	xout_obj(o, "certid", "CertID");
	xout_str(o, "hash_algorithm", "hash algorithm", "%s", id->hash);
	xout_str(o, "issuer_name_hash", "issuer name hash", "%s", id->name_hash);
	xout_str(o, "issuer_key_hash", "issuer key hash", "%s", id->key_hash);
	xout_str(o, "serial", "serial", "%s", id->serial);
	if (id->issuer_cert != NULL)
		xout_str(o, "issuer", "issuer", "%s", id->issuer);
	xout_close(o, '}');
}
