/*
 * issuer_add.c - see issuer_add.h.
 */
#include "intake/issuer_add.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "pki/cert.h"
#include "pki/issuer.h"
#include "signer/key.h"
#include "util/pkcs11_uri.h"
#include "util/timefmt.h"

static int
check_ca_cert(X509 *x, struct err *e)
{
	uint32_t flags = X509_get_extension_flags(x), ku = X509_get_key_usage(x);
	int64_t not_after;
	char when[TIMEFMT_LEN];

	if (!(flags & EXFLAG_CA))
		return err_set(e, "not a CA certificate (basicConstraints cA is not true)");
	if ((flags & EXFLAG_KUSAGE) && !(ku & KU_KEY_CERT_SIGN))
		return err_set(e, "its keyUsage does not allow signing certificates (keyCertSign)");
	if ((flags & EXFLAG_KUSAGE) && !(ku & KU_CRL_SIGN))
		return err_set(e, "its keyUsage does not allow signing CRLs (cRLSign)");
	if (cert_time(X509_get0_notAfter(x), &not_after) != 0)
		return err_set(e, "unreadable notAfter");
	if (not_after < (int64_t)time(NULL)) {
		timefmt_format(not_after, when, sizeof(when));
		return err_set(e, "the certificate expired on %s", when);
	}
	return 0;
}

static void
describe_key(EVP_PKEY *k, char *buf, size_t len)
{
	char group[64];
	size_t glen;

	if (EVP_PKEY_is_a(k, "EC") &&
	    EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), &glen) == 1)
		snprintf(buf, len, "ECDSA %s", group);
	else if (EVP_PKEY_is_a(k, "RSA"))
		snprintf(buf, len, "RSA-%d", EVP_PKEY_get_bits(k));
	else
		snprintf(buf, len, "%s", EVP_PKEY_get0_type_name(k));
}

static int
already_registered(struct store *s, X509 *cert, struct err *e)
{
	struct issuer_set set;
	int rc = 0;

	if (issuer_set_load(s, &set, e) != 0)
		return -1;
	for (size_t i = 0; i < set.n; i++) {
		if (X509_cmp(set.v[i].cert, cert) == 0) {
			rc = err_set(e, "this certificate is already registered as issuer '%s'",
			    set.v[i].rec.name);
			break;
		}
	}
	issuer_set_free(&set);
	return rc;
}

int
issuer_register(struct store *s, const struct conf *c, const char *dir, const char *name,
    X509 *cert, const char *key_ref, const char *pass_ref, int shards, int64_t *id,
    char *key_desc, size_t desc_len, struct err *e)
{
	struct issuer_record rec;
	struct store_issuer_keys keys;
	unsigned char *der = NULL;
	EVP_PKEY *key;
	int derlen, rc;

	if (issuer_name_check(name, e) != 0 || check_ca_cert(cert, e) != 0 ||
	    issuer_key_ref_check(key_ref, pass_ref, e) != 0)
		return -1;
	key = key_load(key_ref, pass_ref, c, dir, e);
	if (key == NULL || key_check_pair(key, cert, e) != 0) {
		EVP_PKEY_free(key);
		return err_prefix(e, "%s", key_ref_is_pkcs11(key_ref) ? "PKCS#11 key" : key_ref);
	}
	describe_key(key, key_desc, desc_len);
	EVP_PKEY_free(key);
	if (already_registered(s, cert, e) != 0)
		return -1;
	derlen = i2d_X509(cert, &der);
	if (derlen <= 0)
		return err_ossl(e, "encoding the certificate");
	memset(&rec, 0, sizeof(rec));
	memset(&keys, 0, sizeof(keys));
	snprintf(rec.name, sizeof(rec.name), "%s", name);
	snprintf(keys.key_ref, sizeof(keys.key_ref), "%s", key_ref);
	snprintf(keys.key_pass_ref, sizeof(keys.key_pass_ref), "%s", pass_ref ? pass_ref : "");
	rec.cert_der = der;
	rec.cert_len = (size_t)derlen;
	rec.crl_shards = shards > 0 ? shards : c->crl_shards;
	rec.added_at = (int64_t)time(NULL);
	rc = store_issuer_add(s, &rec, &keys, e);
	*id = rec.id;
	OPENSSL_cleanse(&keys, sizeof(keys));
	OPENSSL_free(der);
	return rc;
}

int
issuer_key_ref_check(const char *key_ref, const char *pass_ref, struct err *e)
{
	if (strlen(key_ref) > STORE_KEY_REF_MAX)
		return err_set(e, "key reference longer than %d bytes", STORE_KEY_REF_MAX);
	if (pass_ref != NULL && strlen(pass_ref) > STORE_KEY_REF_MAX)
		return err_set(e, "passphrase file path longer than %d bytes", STORE_KEY_REF_MAX);
	return pkcs11_uri_refuse_pin(key_ref, e);
}

int
issuer_set_responder(struct store *s, const struct conf *c, const char *dir, int64_t issuer_id,
    X509 *issuer, X509 *responder, const char *key_ref, struct err *e)
{
	unsigned char *der = NULL;
	int64_t not_after;
	EVP_PKEY *key;
	int len, rc;

	if (X509_NAME_cmp(X509_get_issuer_name(responder), X509_get_subject_name(issuer)) != 0 ||
	    X509_verify(responder, X509_get0_pubkey(issuer)) != 1) {
		ERR_clear_error();
		return err_set(e, "the responder certificate is not issued by this issuer");
	}
	if (!(X509_get_extension_flags(responder) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(responder) & XKU_OCSP_SIGN))
		return err_set(e, "the responder certificate lacks extendedKeyUsage "
				  "id-kp-OCSPSigning (RFC 6960 4.2.2.2)");
	if (X509_get_ext_by_NID(responder, NID_id_pkix_OCSP_noCheck, -1) < 0)
		return err_set(e, "the responder certificate lacks id-pkix-ocsp-nocheck, so clients "
				  "would have to check its own revocation (RFC 6960 4.2.2.2.1)");
	if (cert_time(X509_get0_notAfter(responder), &not_after) != 0 ||
	    not_after < (int64_t)time(NULL))
		return err_set(e, "the responder certificate has expired");
	if (issuer_key_ref_check(key_ref, NULL, e) != 0)
		return -1;
	key = key_load(key_ref, NULL, c, dir, e);
	if (key == NULL || key_check_pair(key, responder, e) != 0) {
		EVP_PKEY_free(key);
		return err_prefix(e, "%s", key_ref_is_pkcs11(key_ref) ? "PKCS#11 key" : key_ref);
	}
	EVP_PKEY_free(key);
	len = i2d_X509(responder, &der);
	if (len <= 0)
		return err_ossl(e, "encoding the responder certificate");
	rc = store_issuer_set_ocsp_signer(s, issuer_id, der, (size_t)len, key_ref, e);
	OPENSSL_free(der);
	return rc;
}
