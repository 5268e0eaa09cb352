/*
 * audit.c - see audit.h.
 */
#include "store/audit.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

static const char audit_tag[] = "lancre audit v1"; /* hashed with its NUL */

static int
put_bytes(EVP_MD_CTX *ctx, const void *p, size_t len)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	return EVP_DigestUpdate(ctx, be, sizeof(be)) == 1 &&
		       (len == 0 || EVP_DigestUpdate(ctx, p, len) == 1)
		   ? 0
		   : -1;
}

static int
put_int(EVP_MD_CTX *ctx, int64_t v)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
	return put_bytes(ctx, be, sizeof(be));
}

static int
put_str(EVP_MD_CTX *ctx, const char *s)
{
	return put_bytes(ctx, s, s != NULL ? strlen(s) : 0);
}

int
audit_hash(const uint8_t prev[AUDIT_HASH_LEN], int64_t id, const struct audit_event *ev,
    uint8_t out[AUDIT_HASH_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 0;
	int ok;

	if (ctx == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, audit_tag, sizeof(audit_tag)) == 1 &&
	     EVP_DigestUpdate(ctx, prev, AUDIT_HASH_LEN) == 1 && put_int(ctx, id) == 0 &&
	     put_int(ctx, ev->at) == 0 && put_str(ctx, ev->actor) == 0 &&
	     put_str(ctx, ev->origin) == 0 && put_str(ctx, ev->action) == 0 &&
	     put_int(ctx, ev->issuer_id) == 0 &&
	     put_bytes(ctx, ev->serial, ev->serial != NULL ? ev->serial_len : 0) == 0 &&
	     put_str(ctx, ev->detail) == 0 && EVP_DigestFinal_ex(ctx, out, &len) == 1 &&
	     len == AUDIT_HASH_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

void
audit_json_str(const char *s, char *out, size_t len)
{
	size_t o = 0;

	if (len < 3) {
		if (len > 0)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0'; p++) {
		char esc[8];
		size_t n;

		if (*p == '"' || *p == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c", *p);
		else if (*p < 0x20)
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
		else
			n = (size_t)snprintf(esc, sizeof(esc), "%c", *p);
		/* Room for it, the closing quote and the terminator; a UTF-8 sequence fits whole or
		 * not at all (its lead byte checks for all of it). */
		if (o + n + 2 > len)
			break;
		if (*p >= 0xc0) {
			size_t seq = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
			if (o + seq + 2 > len)
				break;
		}
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o++] = '"';
	out[o] = '\0';
}
