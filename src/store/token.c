/*
 * token.c - see token.h.
 */
#include "store/token.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const struct {
	const char *word;
	unsigned bit;
} scope_words[] = {
    {"intake", TOKEN_SCOPE_INTAKE},
    {"revoke", TOKEN_SCOPE_REVOKE},
    {"read", TOKEN_SCOPE_READ},
};

int
token_generate(char out[TOKEN_TEXT_LEN + 1], struct err *e)
{
	uint8_t r[TOKEN_RANDOM_BYTES + 1] = {0}; /* one spare zero byte: 33 = 11 groups of 3 */
	char *p = out + strlen(TOKEN_PREFIX);

	if (RAND_bytes(r, TOKEN_RANDOM_BYTES) != 1)
		return err_set(e, "the random generator failed");
	memcpy(out, TOKEN_PREFIX, strlen(TOKEN_PREFIX));
	for (int i = 0; i < TOKEN_RANDOM_BYTES + 1; i += 3) {
		uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];
		for (int k = 0; k < 4; k++)
			*p++ = b64url[(v >> (18 - 6 * k)) & 63];
	}
	/* 44 characters made, the last of which encodes only the spare byte: 43 kept. */
	out[TOKEN_TEXT_LEN] = '\0';
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

int
token_hash(const char *text, size_t len, uint8_t hash[32])
{
	unsigned n = 0;

	return EVP_Digest(text, len, hash, &n, EVP_sha256(), NULL) == 1 && n == 32 ? 0 : -1;
}

int
token_text_valid(const char *text, size_t len)
{
	size_t pre = strlen(TOKEN_PREFIX);

	if (len != TOKEN_TEXT_LEN || memcmp(text, TOKEN_PREFIX, pre) != 0)
		return 0;
	for (size_t i = pre; i < len; i++)
		if (text[i] == '\0' || strchr(b64url, text[i]) == NULL)
			return 0;
	return 1;
}

int
token_name_check(const char *name, struct err *e)
{
	size_t len = strlen(name);

	if (len == 0 || len > STORE_TOKEN_NAME_MAX)
		return err_set(e, "a token's name is 1 to %d characters", STORE_TOKEN_NAME_MAX);
	if (name[0] == '-')
		return err_set(e, "a token's name does not start with '-': '%s'", name);
	for (size_t i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
			(name[i] >= '0' && name[i] <= '9') || name[i] == '.' || name[i] == '_' ||
			name[i] == '-'))
			return err_set(e, "a token's name is letters, digits, '.', '_' and '-': "
					  "not '%s'", name);
	return 0;
}

int
token_scopes_parse(const char *list, unsigned *scopes, struct err *e)
{
	const char *p = list;

	*scopes = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		unsigned bit = 0;

		for (size_t i = 0; i < sizeof(scope_words) / sizeof(scope_words[0]); i++)
			if (strlen(scope_words[i].word) == n && strncmp(p, scope_words[i].word, n) == 0)
				bit = scope_words[i].bit;
		if (bit == 0)
			return err_set(e, "unknown scope '%.*s' (intake, revoke, read)", (int)n, p);
		if (*scopes & bit)
			return err_set(e, "scope '%.*s' given twice", (int)n, p);
		*scopes |= bit;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

void
token_scopes_format(unsigned scopes, char out[TOKEN_SCOPES_TEXT_MAX])
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(scope_words) / sizeof(scope_words[0]); i++)
		if (scopes & scope_words[i].bit)
			len += (size_t)snprintf(out + len, TOKEN_SCOPES_TEXT_MAX - len, "%s%s",
			    len > 0 ? "," : "", scope_words[i].word);
}
