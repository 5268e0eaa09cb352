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
ocsp_answer_fail(struct ocsp_answer *out, enum ocsp_outcome o)
{
	fail(out, o);
}

void
ocsp_answer_entry(const struct ocsp_entry *en, int64_t now, struct ocsp_answer *out)
{
	if (en == NULL) {
		fail(out, OCSP_OUT_UNAUTHORIZED);
		return;
	}
	if (now >= en->next_update) {
		fail(out, OCSP_OUT_TRY_LATER);
		return;
	}
	out->outcome = OCSP_OUT_RESPONSE;
	out->der = en->der;
	out->len = en->der_len;
	out->this_update = en->this_update;
	out->next_update = en->next_update;
	out->etag = en->etag;
}

void
ocsp_answer_der_miss(const struct ocsp_view *v, const uint8_t *req, size_t len, int64_t now,
    struct ocsp_answer *out, struct ocsp_miss *miss)
{
	struct ocsp_query q;
	struct ocsp_entry en;
	int found, trusted;

	out->serial_len = 0;
	if (miss != NULL)
		miss->issuer_id = 0;
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
	trusted = miss == NULL || !miss->always;
	found = trusted && v->recent != NULL && ocsp_index_find(v->recent, &q, &en) == OCSP_FOUND;
	if (trusted && !found)
		found = v->base != NULL && ocsp_index_find(v->base, &q, &en) == OCSP_FOUND;
	if (!found && miss != NULL) {
		/* The recent layer knows the newest issuers (index.h: it learns them as it loads). */
		if (v->recent != NULL)
			miss->issuer_id = ocsp_index_issuer_of(v->recent, &q);
		if (miss->issuer_id == 0 && v->base != NULL)
			miss->issuer_id = ocsp_index_issuer_of(v->base, &q);
		miss->q = q;
	}
	ocsp_answer_entry(found ? &en : NULL, now, out);
}

void
ocsp_answer_der(const struct ocsp_view *v, const uint8_t *req, size_t len, int64_t now,
    struct ocsp_answer *out)
{
	ocsp_answer_der_miss(v, req, len, now, out, NULL);
}

void
ocsp_answer_get_miss(const struct ocsp_view *v, const char *path, size_t len, int64_t now,
    struct ocsp_answer *out, struct ocsp_miss *miss)
{
	uint8_t der[OCSP_GET_DER_MAX];
	size_t der_len;

	if (miss != NULL)
		miss->issuer_id = 0;
	if (ocsp_request_from_get(path, len, der, &der_len) != OCSP_REQUEST_OK) {
		out->serial_len = 0;
		fail(out, OCSP_OUT_MALFORMED);
		return;
	}
	ocsp_answer_der_miss(v, der, der_len, now, out, miss);
}

void
ocsp_answer_get(const struct ocsp_view *v, const char *path, size_t len, int64_t now,
    struct ocsp_answer *out)
{
	ocsp_answer_get_miss(v, path, len, now, out, NULL);
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
