/*
 * pkcs11_uri.h - the one thing lancre's store and commands need to know about
 * the text of a PKCS#11 URI (RFC 7512): whether it carries a PIN.  A PIN is
 * never stored (issue 16): `pin-value=` is refused when a key is registered,
 * and removed from the URIs an older store holds.  The signer gets the PIN
 * from `pin-source=file:PATH` or LANCRE_PKCS11_PIN (signer/pkcs11.c).
 */
#ifndef LANCRE_UTIL_PKCS11_URI_H
#define LANCRE_UTIL_PKCS11_URI_H

#include <stddef.h>

/* What a key reference with a PIN is told to use instead (one clause, no period). */
#define PKCS11_URI_PIN_HINT                                                                  \
	"give the PIN with pin-source=file:PATH in the URI (a file only the signer's user may " \
	"read) or in the signer's environment as LANCRE_PKCS11_PIN"

/* 1 if uri is a pkcs11: URI with a pin-value attribute (any case), else 0. */
int pkcs11_uri_has_pin(const char *uri);

/*
 * uri without its pin-value attributes into out (len bytes, never longer
 * than uri): -1 if it does not fit, else the number of attributes removed.
 */
int pkcs11_uri_strip_pin(const char *uri, char *out, size_t len);

#endif
