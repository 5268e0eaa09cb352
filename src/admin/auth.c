/*
 * auth.c - bearer tokens; see auth.h.
 */
#include "admin/auth.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/token.h"

const char *
admin_scopes_text(unsigned scopes, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{TOKEN_SCOPE_INTAKE, "intake"}, {TOKEN_SCOPE_REVOKE, "revoke"},
	    {TOKEN_SCOPE_READ, "read"}};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((scopes & names[i].bit) != 0)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s",
			    n > 0 ? ", " : "", names[i].name);
	}
	if (n == 0)
		snprintf(buf, len, "none");
	return buf;
}

int
admin_auth(struct store *s, const char *header, size_t len, unsigned need,
    struct admin_caller *who, struct err *e)
{
	uint8_t hash[32];
	struct token_record t;
	char have[64], want[64];
	const char *tok;
	size_t toklen;
	int rc;

	memset(who, 0, sizeof(*who));
	if (header == NULL) {
		err_set(e, "a bearer token is needed (Authorization: Bearer lct_...; `lancre "
			   "token add`)");
		return 401;
	}
	/* RFC 6750 2.1: the scheme is case-insensitive, one or more spaces before the token. */
	if (len < 7 || strncasecmp(header, "Bearer ", 7) != 0) {
		err_set(e, "the Authorization header is not 'Bearer <token>'");
		return 401;
	}
	for (tok = header + 7, toklen = len - 7; toklen > 0 && *tok == ' '; tok++, toklen--)
		;
	if (!token_text_valid(tok, toklen)) {
		err_set(e, "not a lancre token (lct_ and 43 base64url characters)");
		return 401;
	}
	/* Looked up by the hash of the text: no stored secret meets a timing comparison. */
	if (token_hash(tok, toklen, hash) != 0) {
		err_set(e, "cannot hash the token");
		return 500;
	}
	rc = store_token_find(s, hash, &t, e);
	if (rc < 0) {
		err_prefix(e, "looking up the token");
		return 500;
	}
	if (rc == 0 || CRYPTO_memcmp(t.hash, hash, sizeof(hash)) != 0) {
		err_set(e, "unknown or revoked token");
		return 401;
	}
	snprintf(who->actor, sizeof(who->actor), "token:%s", t.name);
	who->scopes = t.scopes;
	if ((t.scopes & need) != need) {
		err_set(e, "token '%s' may %s; this needs %s", t.name,
		    admin_scopes_text(t.scopes, have, sizeof(have)),
		    admin_scopes_text(need, want, sizeof(want)));
		return 403;
	}
	return 0;
}

int
admin_auth_client(const struct conf *c, const char *subject, unsigned need,
    struct admin_caller *who, struct err *e)
{
	char have[64], want[64];

	memset(who, 0, sizeof(*who));
	for (int i = 0; i < c->api_nclients; i++) {
		const struct conf_client *cl = &c->api_clients[i];
		if (strcmp(cl->subject, subject) != 0)
			continue;
		snprintf(who->actor, sizeof(who->actor), "tls:%s", subject);
		who->scopes = cl->scopes;
		if ((cl->scopes & need) != need) {
			err_set(e, "client certificate '%s' may %s; this needs %s", subject,
			    admin_scopes_text(cl->scopes, have, sizeof(have)),
			    admin_scopes_text(need, want, sizeof(want)));
			return 403;
		}
		return 0;
	}
	err_set(e, "client certificate '%s' is not listed in [admin] client lines (or send a "
		   "bearer token)", subject);
	return 403;
}
