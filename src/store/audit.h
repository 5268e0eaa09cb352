/*
 * audit.h - the audit trail's hash chain (store.h, "The audit trail"):
 * how a row's hash is computed from the one before, shared by both backends
 * (which chain rows as they append them) and by `lancre audit --verify`
 * (which computes the chain again from the rows).
 */
#ifndef LANCRE_STORE_AUDIT_H
#define LANCRE_STORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define AUDIT_HASH_LEN 32

/*
 * Row id's hash: SHA-256 over the domain tag "lancre audit v1\0", prev (the
 * hash of row id - 1; zeros for row 1) and the row's fields in a fixed
 * order (id, at, actor, origin, action, issuer_id, serial, detail), each
 * as an 8-byte big-endian length then its bytes (integers: 8 bytes,
 * big-endian, two's complement; NULL strings as empty).  Length prefixes
 * make the encoding unambiguous: no two different rows encode alike.
 * Returns 0, or -1 if OpenSSL fails (out of memory).
 */
int audit_hash(const uint8_t prev[AUDIT_HASH_LEN], int64_t id, const struct audit_event *ev,
    uint8_t out[AUDIT_HASH_LEN]);

/*
 * s as a JSON string, quoted and escaped (", \\ and control characters),
 * into out (len bytes, always terminated; a string too long is cut at a
 * character boundary, closing quote kept).  For the rows' detail.
 */
void audit_json_str(const char *s, char *out, size_t len);

#endif
