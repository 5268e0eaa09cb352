/*
 * explain_ocsp_request.c - `lancre explain` for an OCSP request (or a GET
 * URL carrying one): who is asked about which certificate, and that it is
 * routine.  A request is not signed data a CA publishes, so no lint rule
 * applies to it.
 */
#include "cli/explain_ocsp.h"

#include <stdio.h>

#include "cli/explain_dir.h"

int
explain_ocsp_request(struct explain_ctx *c, const struct explain_object *obj, struct err *e)
{
	const unsigned char *p = obj->der;
	OCSP_REQUEST *req = d2i_OCSP_REQUEST(NULL, &p, (long)obj->len);
	struct explain_certid id;
	char say[1536], answer[256] = "";
	int n;

	if (req == NULL || (n = OCSP_request_onereq_count(req)) < 1) {
		OCSP_REQUEST_free(req);
		return err_set(e, "an OCSP request that asks about no certificate");
	}
	xout_str(c->o, "kind", NULL, "%s", "ocsp_request");
	explain_certid_read(c, OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, 0)), &id);
	if (c->dir != NULL)
		explain_dir_answer(c->dir, obj->der, obj->len, c->now, answer, sizeof(answer));
	snprintf(say, sizeof(say),
	    "A client asking %s whether certificate %s is still valid (OCSP, RFC 6960). This is "
	    "routine certificate checking by a browser, an operating system or an app, not "
	    "malicious by itself; to know why it was made, look at the connection made just "
	    "before it (the TLS site whose certificate this is).%s%s%s",
	    id.issuer, id.serial, answer[0] != '\0' ? " lancre answers today: " : "", answer,
	    answer[0] != '\0' ? "." : "");
	xout_say(c->o, say);
	xout_obj(c->o, "details", NULL);
	explain_certid_print(c->o, &id);
	if (answer[0] != '\0')
		xout_str(c->o, "lancre_answers", "lancre answers today", "%s", answer);
	xout_int(c->o, "certificates_asked", "certificates asked about", n);
	xout_bool(c->o, "nonce", "nonce",
	    OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1) >= 0);
	xout_bool(c->o, "signed", "signed request", OCSP_request_is_signed(req));
	xout_int(c->o, "size", "size (bytes)", (long long)obj->len);
	/* RFC 9919 (as RFC 5019): GET when the base64 of the request is at most 255 bytes. */
	xout_bool(c->o, "fits_get", "fits a GET (its base64 in 255 bytes, RFC 9919)",
	    (obj->len + 2) / 3 * 4 <= 255);
	xout_close(c->o, '}');
	if (!c->o->json)
		fputs("\nLint: no rule applies to requests.\n", c->o->f);
	xout_arr(c->o, "findings", NULL);
	xout_close(c->o, ']');
	OCSP_REQUEST_free(req);
	return 0;
}
