/*
 * hash.h - the one non-cryptographic hash lancre uses (FNV-1a, 64-bit), for
 * hash tables, ETags and spreading values; never for anything an attacker
 * must not forge.  Seed it (ocsp/index.c) where clients choose the input.
 */
#ifndef LANCRE_UTIL_HASH_H
#define LANCRE_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV_OFFSET 1469598103934665603ULL

/* FNV-1a of data[0..len), continuing from h (HASH_FNV_OFFSET to start). */
static inline uint64_t
hash_fnv1a(uint64_t h, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ data[i]) * 1099511628211ULL;
	return h;
}

#endif
