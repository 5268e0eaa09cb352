/*
 * libFuzzer target: the short texts lancre parses from outside -- an
 * Accept-Language header and a ?lang= query (from any HTTP client), an
 * about-page template (DIR/about/<tag>.html, from the operator), and a
 * PKCS#11 URI (RFC 7512, from `issuer add` and the store), an admin API token
 * (a bearer header's value), a token's name and scopes (`lancre token add`) and
 * the JSON string of an audit row's detail.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/about_lang.h"
#include "server/about_tpl.h"
#include "store/audit.h"
#include "store/token.h"
#include "util/pkcs11_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const tags[] = {"en", "fr", "fr-CA", "de", "zh-Hant-TW"};
	const size_t ntags = sizeof(tags) / sizeof(tags[0]);
	struct about_tpl t;
	struct pkcs11_uri u;
	char *s = malloc(size + 1), *stripped = malloc(size + 1);

	if (s == NULL) {
		free(stripped);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	if (about_lang_pick(size > 0 ? s : NULL, size, tags, ntags, 0) >= ntags ||
	    about_lang_query(s, size, tags, ntags) > ntags)
		abort(); /* an index past the tags would be read by the caller */
	(void)about_lang_tag_ok(s, size);
	memset(&t, 0, sizeof(t));
	if (about_tpl_parse(&t, "en", s, size, NULL) == 0)
		about_tpl_free(&t);
	memset(&u, 0, sizeof(u));
	(void)pkcs11_uri_parse(s, &u, NULL);
	(void)pkcs11_uri_has_pin(s);
	if (stripped != NULL && pkcs11_uri_strip_pin(s, stripped, size + 1) > 0 &&
	    pkcs11_uri_has_pin(stripped))
		abort(); /* a PIN left in what the migration stores */
	(void)token_text_valid(s, size);
	{
		char scopes[TOKEN_SCOPES_TEXT_MAX], q[64];
		unsigned bits = 0;
		struct err e;

		(void)token_name_check(s, &e);
		if (token_scopes_parse(s, &bits, &e) == 0) {
			unsigned again = 0;
			token_scopes_format(bits, scopes);
			if (token_scopes_parse(scopes, &again, &e) != 0 || again != bits)
				abort(); /* what format writes, parse reads back */
		}
		audit_json_str(s, q, sizeof(q));
		if (strlen(q) < 2 || q[0] != '"' || q[strlen(q) - 1] != '"')
			abort(); /* always a whole, quoted string */
	}
	free(stripped);
	free(s);
	return 0;
}
