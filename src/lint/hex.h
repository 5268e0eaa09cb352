/*
 * hex.h - numbers in findings: an ASN1_INTEGER as lower-case hex, bounded,
 * for the detail of a finding ("serial 01a2...").
 */
#ifndef LANCRE_LINT_HEX_H
#define LANCRE_LINT_HEX_H

#include <stddef.h>

#include <openssl/asn1.h>

#define LINT_HEX_MAX 48 /* longer numbers are cut, with "..." */

/* ai as hex ("-" first if negative) into buf, at most LINT_HEX_MAX bytes; "?" if unreadable. */
void lint_hex(const ASN1_INTEGER *ai, char *buf, size_t len);

#endif
