/*
 * audit.c - see audit.h.
 */
#include "store/audit.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

static const char audit_tag[] = "lancre audit v1"; /* hashed with its NUL */

/*
 * SHA-256 fetched once: EVP_sha256() is looked up by name, under a lock, at
 * each EVP_DigestInit_ex (pki/sigverify.h).  With that and the fields
 * gathered into one buffer (22 EVP_DigestUpdate calls a row before), a row's
 * hash took 16k instructions, 3 times the hashing itself (callgrind, bundles
 * of 1,000 through the admin API).  Kept for the process's life.
 */
static EVP_MD *audit_md;
static pthread_once_t audit_md_once = PTHREAD_ONCE_INIT;

static void
audit_md_fetch(void)
{
	audit_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* The bytes to hash, gathered: hashed when full and at the end. */
struct audit_hasher {
	EVP_MD_CTX *ctx;
	uint8_t buf[512];
	size_t n;
	int failed;
};

static void
put_raw(struct audit_hasher *h, const void *p, size_t len)
{
	if (h->n + len > sizeof(h->buf)) {
		if (EVP_DigestUpdate(h->ctx, h->buf, h->n) != 1)
			h->failed = 1;
		h->n = 0;
	}
	if (len > sizeof(h->buf)) {
		if (EVP_DigestUpdate(h->ctx, p, len) != 1)
			h->failed = 1;
		return;
	}
	if (len > 0)
		memcpy(h->buf + h->n, p, len);
	h->n += len;
}

static void
put_bytes(struct audit_hasher *h, const void *p, size_t len)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	put_raw(h, be, sizeof(be));
	put_raw(h, p, len);
}

static void
put_int(struct audit_hasher *h, int64_t v)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
	put_bytes(h, be, sizeof(be));
}

static void
put_str(struct audit_hasher *h, const char *s)
{
	put_bytes(h, s, s != NULL ? strlen(s) : 0);
}

int
audit_hash(const uint8_t prev[AUDIT_HASH_LEN], int64_t id, const struct audit_event *ev,
    uint8_t out[AUDIT_HASH_LEN])
{
	struct audit_hasher h = {.ctx = EVP_MD_CTX_new()};
	unsigned len = 0;
	int ok;

	if (h.ctx == NULL || pthread_once(&audit_md_once, audit_md_fetch) != 0 ||
	    audit_md == NULL || EVP_DigestInit_ex(h.ctx, audit_md, NULL) != 1) {
		EVP_MD_CTX_free(h.ctx);
		return -1;
	}
	put_raw(&h, audit_tag, sizeof(audit_tag));
	put_raw(&h, prev, AUDIT_HASH_LEN);
	put_int(&h, id);
	put_int(&h, ev->at);
	put_str(&h, ev->actor);
	put_str(&h, ev->origin);
	put_str(&h, ev->action);
	put_int(&h, ev->issuer_id);
	put_bytes(&h, ev->serial, ev->serial != NULL ? ev->serial_len : 0);
	put_str(&h, ev->detail);
	ok = !h.failed && EVP_DigestUpdate(h.ctx, h.buf, h.n) == 1 &&
	     EVP_DigestFinal_ex(h.ctx, out, &len) == 1 && len == AUDIT_HASH_LEN;
	EVP_MD_CTX_free(h.ctx);
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
