/*
 * answer.c - see answer.h.
 */
#include "ocsp/answer.h"

#include "ocsp/request.h"

/* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED } for each failure status. */
static const uint8_t resp_malformed[] = {0x30, 0x03, 0x0a, 0x01, 0x01};
static const uint8_t resp_try_later[] = {0x30, 0x03, 0x0a, 0x01, 0x03};
static const uint8_t resp_unauthorized[] = {0x30, 0x03, 0x0a, 0x01, 0x06};

static void
fail(struct ocsp_answer *out, enum ocsp_outcome o)
{
	out->outcome = o;
	out->this_update = out->next_update = 0;
	switch (o) {
	case OCSP_OUT_MALFORMED:
		out->der = resp_malformed;
		out->len = sizeof(resp_malformed);
		break;
	case OCSP_OUT_TRY_LATER:
		out->der = resp_try_later;
		out->len = sizeof(resp_try_later);
		break;
	default:
		out->outcome = OCSP_OUT_UNAUTHORIZED;
		out->der = resp_unauthorized;
		out->len = sizeof(resp_unauthorized);
		break;
	}
}

void
ocsp_answer_der(const struct ocsp_view *v, const uint8_t *req, size_t len, int64_t now,
    struct ocsp_answer *out)
{
	struct ocsp_query q;
	struct ocsp_entry en;
	int found;

	out->serial_len = 0;
	switch (ocsp_request_parse(req, len, &q)) {
	case OCSP_REQUEST_OK:
		memcpy(out->serial, q.serial, q.serial_len);
		out->serial_len = q.serial_len;
		break;
	case OCSP_REQUEST_UNSUPPORTED:
		fail(out, OCSP_OUT_UNAUTHORIZED);
		return;
	default:
		fail(out, OCSP_OUT_MALFORMED);
		return;
	}
	found = v->recent != NULL && ocsp_index_find(v->recent, &q, &en) == OCSP_FOUND;
	if (!found)
		found = v->base != NULL && ocsp_index_find(v->base, &q, &en) == OCSP_FOUND;
	if (!found) {
		fail(out, OCSP_OUT_UNAUTHORIZED);
		return;
	}
	if (now >= en.next_update) {
		fail(out, OCSP_OUT_TRY_LATER);
		return;
	}
	out->outcome = OCSP_OUT_RESPONSE;
	out->der = en.der;
	out->len = en.der_len;
	out->this_update = en.this_update;
	out->next_update = en.next_update;
	out->etag = en.etag;
}

void
ocsp_answer_get(const struct ocsp_view *v, const char *path, size_t len, int64_t now,
    struct ocsp_answer *out)
{
	uint8_t der[OCSP_GET_DER_MAX];
	size_t der_len;

	if (ocsp_request_from_get(path, len, der, &der_len) != OCSP_REQUEST_OK) {
		out->serial_len = 0;
		fail(out, OCSP_OUT_MALFORMED);
		return;
	}
	ocsp_answer_der(v, der, der_len, now, out);
}

const char *
ocsp_outcome_name(enum ocsp_outcome o)
{
	switch (o) {
	case OCSP_OUT_RESPONSE:
		return "response";
	case OCSP_OUT_MALFORMED:
		return "malformedRequest";
	case OCSP_OUT_TRY_LATER:
		return "tryLater";
	case OCSP_OUT_UNAUTHORIZED:
		break;
	}
	return "unauthorized";
}
