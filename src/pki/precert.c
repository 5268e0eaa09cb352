/*
 * precert.c - see precert.h.
 *
 * OpenSSL does the re-encoding rather than a hand-written DER splice: both
 * sides go through the same code, so a certificate whose DER OpenSSL
 * normalises (it keeps the original bytes only while nothing changed)
 * hashes the same whichever side it is on.  It costs a full parse, paid
 * only for precertificates and for a certificate whose serial is already
 * recorded, never on the bulk import's fast path.
 */
#include "pki/precert.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

int
precert_poisoned(X509 *x, struct err *e)
{
	int at = X509_get_ext_by_NID(x, NID_ct_precert_poison, -1);
	const ASN1_OCTET_STRING *v;
	X509_EXTENSION *ext;

	if (at < 0)
		return 0;
	ext = X509_get_ext(x, at);
	v = X509_EXTENSION_get_data(ext);
	if (X509_get_ext_by_NID(x, NID_ct_precert_poison, at) >= 0)
		return err_set(e, "a precertificate with two CT poison extensions");
	if (!X509_EXTENSION_get_critical(ext))
		return err_set(e, "a CT poison extension (1.3.6.1.4.1.11129.2.4.3) that is not "
				  "critical: RFC 6962 3.1 makes it critical");
	if (v == NULL || ASN1_STRING_length(v) != 2 || ASN1_STRING_get0_data(v)[0] != 0x05 ||
	    ASN1_STRING_get0_data(v)[1] != 0x00)
		return err_set(e, "a CT poison extension (1.3.6.1.4.1.11129.2.4.3) whose value is "
				  "not NULL");
	return 1;
}

/* Remove every extension nid from x. */
static void
drop_ext(X509 *x, int nid)
{
	int at;

	while ((at = X509_get_ext_by_NID(x, nid, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, at));
}

int
precert_tbs_sha256(X509 *x, uint8_t out[PRECERT_TBS_LEN], struct err *e)
{
	X509 *c = X509_dup(x);
	unsigned char *tbs = NULL;
	unsigned int n = 0;
	int len, ok;

	if (c == NULL)
		return err_ossl(e, "copying the certificate");
	drop_ext(c, NID_ct_precert_poison);
	drop_ext(c, NID_ct_precert_scts);
	/* i2d_re_X509_tbs: encode the changed TBSCertificate, not the bytes parsed. */
	len = i2d_re_X509_tbs(c, &tbs);
	ok = len > 0 && EVP_Digest(tbs, (size_t)len, out, &n, EVP_sha256(), NULL) == 1 &&
	     n == PRECERT_TBS_LEN;
	OPENSSL_free(tbs);
	X509_free(c);
	if (!ok)
		return err_ossl(e, "encoding the TBSCertificate");
	return 0;
}

int
precert_tbs_sha256_der(const uint8_t *der, size_t len, uint8_t out[PRECERT_TBS_LEN],
    struct err *e)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int rc;

	if (x == NULL || p != der + len) {
		X509_free(x);
		return err_ossl(e, "not a valid X.509 certificate");
	}
	rc = precert_tbs_sha256(x, out, e);
	X509_free(x);
	return rc;
}

enum precert_verdict
precert_decide(const struct precert_facts *recorded, const struct precert_facts *incoming)
{
	int same_tbs = recorded->has_tbs && incoming->has_tbs &&
		       memcmp(recorded->tbs, incoming->tbs, PRECERT_TBS_LEN) == 0;

	if (recorded->precert && !incoming->precert)
		return same_tbs ? PRECERT_COMPLETES : PRECERT_DIFFERENT;
	if (!recorded->precert && incoming->precert)
		return !recorded->has_tbs || same_tbs ? PRECERT_SAME : PRECERT_DIFFERENT;
	return PRECERT_DIFFERENT;
}
