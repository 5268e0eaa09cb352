/*
 * answer.h - from the bytes of a request to the bytes of the answer, without
 * signing anything: either a pre-signed response from the index or one of
 * the fixed unsuccessful responses of RFC 6960 4.2.1.
 *
 *   malformedRequest  the request could not be decoded or parsed
 *   unauthorized      unknown issuer, unknown or never-issued serial, expired
 *                     and purged certificate, or a hash algorithm lancre does
 *                     not answer (RFC 5019 2.2.3) - never "good"
 *   tryLater          the stored response is past its nextUpdate: it is never
 *                     served as if fresh.  This only happens when the signer
 *                     has been down for longer than the refresh margin (half
 *                     the validity); clients retry, and an alert fires on the
 *                     server's metrics (seconds to the earliest nextUpdate).
 */
#ifndef LANCRE_OCSP_ANSWER_H
#define LANCRE_OCSP_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "ocsp/index.h"

enum ocsp_outcome {
	OCSP_OUT_RESPONSE,     /* a signed response: good or revoked */
	OCSP_OUT_MALFORMED,    /* malformedRequest */
	OCSP_OUT_UNAUTHORIZED, /* unauthorized */
	OCSP_OUT_TRY_LATER,    /* tryLater */
};

struct ocsp_answer {
	enum ocsp_outcome outcome;
	const uint8_t *der; /* static or inside the index */
	size_t len;
	int64_t this_update, next_update; /* for OCSP_OUT_RESPONSE */
	uint64_t etag;                    /* for OCSP_OUT_RESPONSE: a hash of the bytes */
	uint8_t serial[STORE_SERIAL_MAX]; /* the serial asked about, when the request parsed */
	size_t serial_len;
};

/*
 * What answers come from: the responses changed recently (may be NULL), laid
 * over a base index.  A server rebuilds the small recent layer often and the
 * base rarely, so that a change is served quickly even with millions of
 * responses.
 */
struct ocsp_view {
	const struct ocsp_index *recent;
	const struct ocsp_index *base;
};

/* Answer a DER request (a POST body). */
void ocsp_answer_der(const struct ocsp_view *v, const uint8_t *req, size_t len, int64_t now,
    struct ocsp_answer *out);

/* Answer a GET: path is the part after "/ocsp/" (or after "/" on an OCSP host). */
void ocsp_answer_get(const struct ocsp_view *v, const char *path, size_t len, int64_t now,
    struct ocsp_answer *out);

/*
 * What a view lacked: the request parsed and named an issuer the view knows
 * (issuer_id), but the view holds no response for the serial of q.  The
 * answer is then unauthorized, which is final for a view that holds every
 * stored response; a server whose view does not (snapshot.h: still loading,
 * or a bounded cache) asks the store instead (ocsp_answer_entry).
 */
struct ocsp_miss {
	int64_t issuer_id; /* 0: no miss, the answer is final */
	struct ocsp_query q;
	/*
	 * Set by the caller: the view is not to be trusted even where it holds
	 * a response (it is older than an answer the store gave already), so
	 * every request naming an issuer it knows is a miss.
	 */
	int always;
};

/* ocsp_answer_der and ocsp_answer_get, telling a miss (miss->issuer_id != 0). */
void ocsp_answer_der_miss(const struct ocsp_view *v, const uint8_t *req, size_t len,
    int64_t now, struct ocsp_answer *out, struct ocsp_miss *miss);
void ocsp_answer_get_miss(const struct ocsp_view *v, const char *path, size_t len, int64_t now,
    struct ocsp_answer *out, struct ocsp_miss *miss);

/*
 * The answer with en, found outside the view for out's request (out->serial
 * stays), as the view would have given it: tryLater past its nextUpdate; en
 * NULL: unauthorized (the store has no response either).
 */
void ocsp_answer_entry(const struct ocsp_entry *en, int64_t now, struct ocsp_answer *out);

/* One of the fixed unsuccessful answers (o is not OCSP_OUT_RESPONSE); out->serial stays. */
void ocsp_answer_fail(struct ocsp_answer *out, enum ocsp_outcome o);

/* "response", "malformedRequest", "unauthorized", "tryLater". */
const char *ocsp_outcome_name(enum ocsp_outcome o);

#endif
