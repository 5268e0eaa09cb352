/*
 * token.h - the admin API's bearer tokens as text (store.h keeps only
 * their hashes): making one, hashing one, checking a name, and the scopes
 * as words.  A token is TOKEN_PREFIX then 43 base64url characters (32
 * random bytes, no padding); the store keeps the SHA-256 of the whole text.
 */
#ifndef LANCRE_STORE_TOKEN_H
#define LANCRE_STORE_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

#define TOKEN_PREFIX "lct_"
#define TOKEN_RANDOM_BYTES 32
#define TOKEN_TEXT_LEN (4 + 43) /* "lct_" + base64url of 32 bytes, unpadded */
#define TOKEN_SCOPES_TEXT_MAX 32 /* "intake,revoke,read" and its NUL */

/* A new token from the system's random generator (RAND_bytes) into out. */
int token_generate(char out[TOKEN_TEXT_LEN + 1], struct err *e);

/* SHA-256 of text (len bytes: the whole token) into hash: 0, -1 if OpenSSL fails. */
int token_hash(const char *text, size_t len, uint8_t hash[32]);

/*
 * Whether text (len bytes) has a token's form (prefix, length, alphabet):
 * 1 or 0.  Only the form: whether it is a token the store knows is
 * store_token_find's (of token_hash's hash).
 */
int token_text_valid(const char *text, size_t len);

/* A token's name: 1 to STORE_TOKEN_NAME_MAX of [A-Za-z0-9._-], not starting with '-'. */
int token_name_check(const char *name, struct err *e);

/* "intake,revoke,read" (any of them, any order, each once) into TOKEN_SCOPE_* bits. */
int token_scopes_parse(const char *list, unsigned *scopes, struct err *e);
/* The bits as "intake,revoke,read" (in that order; "" for none). */
void token_scopes_format(unsigned scopes, char out[TOKEN_SCOPES_TEXT_MAX]);

#endif
