/*
 * template.h - pre-signing OCSP responses at the speed of the signature.
 *
 * Building a response with OpenSSL's OCSP object API (ocsp_sign() in
 * sign.h) costs more than signing it: on P-256, the ECDSA signature was 41%
 * of the signer's time and the objects, their encoding (twice) and the
 * per-response hashing of the issuer the rest (docs/BENCHMARKS.md).  Every
 * response of one responder differs only in the serial, the status and the
 * times, so the parts that do not change are made once per issuer, by
 * OpenSSL:
 *   - the CertID's hashAlgorithm, issuerNameHash and issuerKeyHash, for
 *     each hash (OCSP_cert_id_new, i2d_OCSP_CERTID);
 *   - the ResponderID byKey (OCSP_RESPID_set_by_key, i2d_OCSP_RESPID);
 *   - the signatureAlgorithm, taken from a response OpenSSL signed;
 *   - for a delegated responder, its certificate (i2d_X509).
 * Per response, the few DER headers around them, the serial, the status and
 * three GeneralizedTimes are written here (util/der.h), and the
 * tbsResponseData is signed with a per-thread sigctx (pki/sigctx.h).
 *
 * ocsp_template_init() proves the layout on the spot: for both hashes and
 * for good, revoked and revoked-with-reason statuses, it builds a response
 * with ocsp_sign() and one here, and requires OpenSSL to decode ours,
 * re-encode it to the same bytes, find the same tbsResponseData as in its
 * own response, and verify our signature with the responder's certificate.
 * If any of that fails the template is not used and the caller falls back to
 * ocsp_sign(), slower but never wrong.
 */
#ifndef LANCRE_OCSP_TEMPLATE_H
#define LANCRE_OCSP_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/certid.h"
#include "ocsp/sign.h"
#include "pki/sigctx.h"
#include "util/err.h"

#define OCSP_TEMPLATE_CERTID_MAX 96 /* AlgorithmIdentifier and two hashes of up to 32 bytes */
#define OCSP_TEMPLATE_RESPID_MAX 32 /* [2] { OCTET STRING SHA-1 } */
#define OCSP_TEMPLATE_ALG_MAX 64    /* signatureAlgorithm */
#define OCSP_TEMPLATE_TBS_MAX 384   /* a whole tbsResponseData */

struct ocsp_template {
	/* The CertID's content before the serial, per hash (ocsp_hash_index()). */
	uint8_t certid[OCSP_NHASH][OCSP_TEMPLATE_CERTID_MAX];
	size_t certid_len[OCSP_NHASH];
	uint8_t responder_id[OCSP_TEMPLATE_RESPID_MAX];
	size_t responder_id_len;
	uint8_t sigalg[OCSP_TEMPLATE_ALG_MAX];
	size_t sigalg_len;
	uint8_t *certs; /* [0] { SEQUENCE OF Certificate } for a delegated responder, else NULL */
	size_t certs_len;
	size_t sig_max;
};

/*
 * Make and check the template for sg.  0: ready.  -1: not usable, with the
 * reason in e; ocsp_template_clear() it and use ocsp_sign().
 */
int ocsp_template_init(struct ocsp_template *t, const struct ocsp_signer *sg, struct err *e);
void ocsp_template_clear(struct ocsp_template *t);

/* The most bytes one response can take. */
size_t ocsp_template_max(const struct ocsp_template *t);

/*
 * Build and sign the response for st with a CertID hashed with hash, into
 * out (ocsp_template_max() bytes); *len gets its length.  sc signs with the
 * responder's key and belongs to the calling thread.
 */
int ocsp_template_sign(const struct ocsp_template *t, struct sigctx *sc, enum ocsp_hash hash,
    const struct ocsp_status *st, uint8_t *out, size_t *len, struct err *e);

#endif
