/*
 * auth.h - who is asking: the bearer token of an admin API request.
 *
 * `Authorization: Bearer lct_<43 base64url characters>` (store/token.h,
 * store/store.h's struct token_record).  The token's text is hashed (SHA-256 of the whole
 * text, as stored) and looked up by that hash, so what the lookup's timing
 * could tell an attacker is about the hash of what they sent, never about a
 * stored secret; the hash found is compared again with CRYPTO_memcmp.  No
 * token, a malformed one or one lancre does not know (or that was revoked)
 * is 401; a known token without the scope the endpoint needs is 403.
 * Either way nothing is changed and the answer says which.
 */
#ifndef LANCRE_ADMIN_AUTH_H
#define LANCRE_ADMIN_AUTH_H

#include <stddef.h>

#include "conf/conf.h"
#include "store/store.h"
#include "util/err.h"

struct admin_caller {
	/* "token:NAME" or "tls:SUBJECT", for the audit trail */
	char actor[8 + (STORE_TOKEN_NAME_MAX > CONF_STR_MAX ? STORE_TOKEN_NAME_MAX : CONF_STR_MAX)];
	unsigned scopes;
};

/*
 * Check header (the Authorization value, len bytes; NULL: none) for the
 * scopes need (TOKEN_SCOPE_* bits; 0: any known token).  0 with *who filled;
 * else the HTTP status (401, 403, or 500 when the store failed) with e
 * saying why; on 403 (a known token short of the scopes) *who is filled too,
 * as admin_auth_client fills it: who->actor "" means no known caller.
 */
int admin_auth(struct store *s, const char *header, size_t len, unsigned need,
    struct admin_caller *who, struct err *e);

/*
 * A request without an Authorization header over a connection whose client
 * certificate was verified (admin/tls.h): subject is that certificate's,
 * RFC 2253.  Listed in c's [admin] client lines with the scopes need: 0 with
 * *who ("tls:SUBJECT"); listed without them: 403 with e and *who set (a
 * known caller); not listed: 403 with e and who->actor "".
 * The subject is compared whole, byte for byte.
 */
int admin_auth_client(const struct conf *c, const char *subject, unsigned need,
    struct admin_caller *who, struct err *e);

/* "intake, revoke" for scope bits, into buf. */
const char *admin_scopes_text(unsigned scopes, char *buf, size_t len);

#endif
