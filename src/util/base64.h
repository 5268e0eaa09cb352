/*
 * base64.h - the plain form of base64 that PEM writers emit, decoded fast.
 *
 * A PEM bundle of 1,000 certificates sent to the admin API was decoded with
 * EVP_DecodeUpdate at ~35 instructions a character (callgrind: 30k of the
 * request thread's 108k instructions per certificate).  The blocks real
 * writers produce are all alike: alphabet characters in lines ended by LF or
 * CRLF, one or two '=' only at the very end.  That form, and only that, is
 * decoded here; anything else (spaces, tabs, a '-', a '=' inside, a length
 * that is not a multiple of 4, any other byte) is left to EVP_DecodeUpdate,
 * so that what is accepted or refused, and why, stays OpenSSL's.
 */
#ifndef LANCRE_UTIL_BASE64_H
#define LANCRE_UTIL_BASE64_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode in[0..len) into out (room for len bytes is always enough): 0 with
 * *out_len set, or -1 (out's contents undefined) when in is not in the plain
 * form: the caller then decodes it the general way.
 */
int base64_decode_plain(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len);

#endif
