/*
 * sign.c - see sign.h.  Everything here is OpenSSL's OCSP_* API; the only
 * liberty taken is setting producedAt ourselves (see below).
 */
#include "ocsp/sign.h"

#include <string.h>

#include <openssl/ocsp.h>

#include "ocsp/certid.h"
#include "pki/revtime.h"
#include "pki/serial.h"
#include "pki/sigctx.h"

static int
add_status(OCSP_BASICRESP *bs, const struct ocsp_signer *sg, enum ocsp_hash hash,
    const struct ocsp_status *st, ASN1_TIME *thisupd, ASN1_TIME *nextupd)
{
	ASN1_INTEGER *serial = serial_to_asn1(st->serial, st->serial_len);
	ASN1_TIME *revtime = NULL;
	OCSP_CERTID *id = NULL;
	int ok = 0;

	if (serial == NULL)
		goto out;
	id = OCSP_cert_id_new(ocsp_hash_md(hash), X509_get_subject_name(sg->issuer),
	    X509_get0_pubkey_bitstr(sg->issuer), serial);
	if (id == NULL)
		goto out;
	if (st->status == CERT_REVOKED) {
		revtime = ASN1_GENERALIZEDTIME_set(NULL,
		    (time_t)revtime_clamp(st->revoked_at, st->this_update));
		if (revtime == NULL)
			goto out;
		ok = OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_REVOKED,
			 st->reason == 0 ? OCSP_REVOKED_STATUS_NOSTATUS : st->reason, revtime,
			 thisupd, nextupd) != NULL;
	} else {
		ok = OCSP_basic_add1_status(bs, id, V_OCSP_CERTSTATUS_GOOD, 0, NULL, thisupd,
			 nextupd) != NULL;
	}
out:
	ASN1_TIME_free(revtime);
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(serial);
	return ok ? 0 : -1;
}

int
ocsp_sign(const struct ocsp_signer *sg, EVP_MD_CTX *ctx, enum ocsp_hash hash,
    const struct ocsp_status *st, unsigned char **der, size_t *len, struct err *e)
{
	OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
	OCSP_RESPONSE *resp = NULL;
	ASN1_GENERALIZEDTIME *thisupd = ASN1_GENERALIZEDTIME_set(NULL, (time_t)st->this_update);
	ASN1_GENERALIZEDTIME *nextupd = ASN1_GENERALIZEDTIME_set(NULL, (time_t)st->next_update);
	unsigned long flags = OCSP_RESPID_KEY | OCSP_NOTIME | (sg->delegated ? 0 : OCSP_NOCERTS);
	int n, rc = -1;

	*der = NULL;
	if (bs == NULL || thisupd == NULL || nextupd == NULL ||
	    add_status(bs, sg, hash, st, thisupd, nextupd) != 0) {
		err_ossl(e, "building the OCSP response");
		goto out;
	}
	/*
	 * OCSP_basic_sign_ctx would stamp producedAt with the current second;
	 * OCSP_NOTIME tells it not to, and we set producedAt = thisUpdate (to the
	 * minute) so that every response of a batch is byte-for-byte reproducible
	 * apart from its signature.  The accessor is const only by convention:
	 * bs is ours and not yet signed.
	 */
	if (ASN1_GENERALIZEDTIME_set((ASN1_GENERALIZEDTIME *)OCSP_resp_get0_produced_at(bs),
		(time_t)st->this_update) == NULL) {
		err_ossl(e, "setting producedAt");
		goto out;
	}
	EVP_MD_CTX_reset(ctx);
	if (EVP_DigestSignInit(ctx, NULL, sigctx_md(sg->key), NULL, sg->key) != 1 ||
	    OCSP_basic_sign_ctx(bs, sg->responder, ctx, NULL, flags) != 1) {
		err_ossl(e, "signing the OCSP response");
		goto out;
	}
	resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
	if (resp == NULL || (n = i2d_OCSP_RESPONSE(resp, der)) <= 0) {
		err_ossl(e, "encoding the OCSP response");
		goto out;
	}
	*len = (size_t)n;
	rc = 0;
out:
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	ASN1_GENERALIZEDTIME_free(thisupd);
	ASN1_GENERALIZEDTIME_free(nextupd);
	return rc;
}
