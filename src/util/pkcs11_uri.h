/*
 * pkcs11_uri.h - lancre's one reader of PKCS#11 URIs (RFC 7512).  The signer
 * reads a key reference into a struct pkcs11_uri (signer/pkcs11.c then only
 * speaks Cryptoki); the commands that register keys and the store's schema-7
 * migration, which must not depend on the signer, ask whether a reference
 * carries a PIN and remove it.  A PIN is never stored (issue 16): pin-value=
 * is refused by pkcs11_uri_refuse_pin(), whoever reads the reference.  The
 * signer gets the PIN from pin-source=file:PATH or LANCRE_PKCS11_PIN.
 */
#ifndef LANCRE_UTIL_PKCS11_URI_H
#define LANCRE_UTIL_PKCS11_URI_H

#include <limits.h>
#include <stddef.h>

#include "util/err.h"

/* An RFC 7512 URI as lancre reads it (pkcs11_uri.c: which attributes, and why). */
#define PKCS11_URI_TEXT_MAX 256 /* a token label, serial... or object label */
struct pkcs11_uri {
	char token[PKCS11_URI_TEXT_MAX];        /* token=, "" = any */
	char manufacturer[PKCS11_URI_TEXT_MAX]; /* manufacturer= */
	char serial[PKCS11_URI_TEXT_MAX];       /* serial= */
	char model[PKCS11_URI_TEXT_MAX];        /* model= */
	long slot_id;                           /* slot-id=, -1 = any */
	char object[PKCS11_URI_TEXT_MAX];       /* object= (CKA_LABEL), "" = any */
	unsigned char id[PKCS11_URI_TEXT_MAX];  /* id= (CKA_ID), %-decoded bytes */
	size_t id_len;                          /* 0: any */
	char module[PATH_MAX];                  /* module-path=, "" if absent */
	char pin_file[PATH_MAX];                /* pin-source=file:PATH's PATH, "" if absent */
};

/* What a key reference with a PIN is told to use instead (one clause, no period). */
#define PKCS11_URI_PIN_HINT                                                                  \
	"give the PIN with pin-source=file:PATH in the URI (a file only the signer's user may " \
	"read) or in the signer's environment as LANCRE_PKCS11_PIN"

/*
 * Read uri (path attributes after "pkcs11:" separated by ';', query
 * attributes after '?' by '&', values %-decoded) into u.  Refuses a
 * pin-value= (pkcs11_uri_refuse_pin), a pin-source that is not
 * file:/absolute/path, a relative module-path, an attribute lancre does not
 * know, one given twice or on the wrong side of '?', a bad %-escape or a NUL
 * byte in a text, and a URI that names no key (object= or id=).  Messages
 * name attributes, never repeat values.
 */
int pkcs11_uri_parse(const char *uri, struct pkcs11_uri *u, struct err *e);

/*
 * -1 with the one message lancre gives for a PIN in a key reference (it
 * points to pin-source=, never repeats the PIN) if ref (NULL: none) is a
 * pkcs11: URI with a pin-value attribute, else 0.
 */
int pkcs11_uri_refuse_pin(const char *ref, struct err *e);

/* 1 if uri is a pkcs11: URI with a pin-value attribute (any case, path or query), else 0. */
int pkcs11_uri_has_pin(const char *uri);

/*
 * uri without its pin-value attributes (and empty ones) into out (len bytes,
 * never longer than uri): -1 if it does not fit, else the number of
 * attributes removed.  Other attributes are kept as written, even ones
 * pkcs11_uri_parse() refuses: the migration keeps what the operator wrote.
 */
int pkcs11_uri_strip_pin(const char *uri, char *out, size_t len);

#endif
