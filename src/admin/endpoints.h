/*
 * endpoints.h - the admin API's endpoints, one file each (ep_*.c), called by
 * api.c once the route and the caller's token are checked.  Each answers
 * into rs (admin/reply.h); a change is one store transaction with its audit
 * rows, and nothing is changed when the answer is an error.
 */
#ifndef LANCRE_ADMIN_ENDPOINTS_H
#define LANCRE_ADMIN_ENDPOINTS_H

#include <jansson.h>

#include "admin/api.h"
#include "admin/auth.h"
#include "admin/reply.h"
#include "pki/issuer.h"

/* GET /api/v1/status: lancre, its issuers, this process's counters. */
void admin_ep_status(struct admin_api *api, const struct admin_caller *who,
    struct admin_response *rs);

/* GET /api/v1/certificates/<issuer>/<serial>: what lancre knows and what it serves. */
void admin_ep_cert_get(struct admin_api *api, const char *issuer, const char *serial,
    struct admin_response *rs);

/* POST /api/v1/certificates: a PEM bundle or one DER certificate, all or nothing. */
void admin_ep_cert_add(struct admin_api *api, const struct admin_request *rq,
    const struct admin_caller *who, struct admin_response *rs);

/* POST /api/v1/revocations: one revocation or a list (admin/req_revoke.h), all or nothing. */
void admin_ep_revoke(struct admin_api *api, const struct admin_request *rq,
    const struct admin_caller *who, struct admin_response *rs);

/*
 * POST /api/v1/revocations/by-key: every certificate of a key revoked
 * keyCompromise (admin/req_bykey.h, intake/bykey.h), all or nothing.
 */
void admin_ep_bykey(struct admin_api *api, const struct admin_request *rq,
    const struct admin_caller *who, struct admin_response *rs);

/* The JSON of a certificate's record (issuer name, serial, state, dates, shard). */
json_t *admin_cert_json(const char *issuer, const struct cert_record *c);

/*
 * The same object appended to t as text, byte for byte what json_dumps(o,
 * JSON_COMPACT | JSON_ENSURE_ASCII) writes but without the closing brace (the
 * caller adds members, then closes it): 0, or -1 with nothing written when
 * issuer would need escaping (never for a registered name: a-z, 0-9 and
 * '-', issuer_name_check in pki/issuer.h).
 */
int admin_cert_text(struct admin_text *t, const char *issuer, const struct cert_record *c);

/* An RFC 3339 string for t (a JSON value). */
json_t *admin_time_json(int64_t t);

#endif
