/*
 * openssl_index.h - reading the database `openssl ca` keeps: index.txt.
 *
 * `openssl ca` writes one line per certificate it issued (its TXT_DB), six
 * fields separated by tabs, a tab inside a field escaped with a backslash:
 *
 *     status  expiry  revocation  serial  filename  subject
 *     V       271231235959Z               0A        unknown  /CN=a.example
 *     R       271231235959Z  261206120000Z,keyCompromise  0B  unknown  /CN=b
 *
 *  - status: V valid, R revoked, E expired (`openssl ca -updatedb`).
 *  - expiry and the dates in the revocation field: an ASN.1 time string,
 *    UTCTime "YYMMDDHHMMSSZ" (GeneralizedTime "YYYYMMDDHHMMSSZ" from 2050 on),
 *    as OpenSSL's own ASN1_TIME_set_string reads them.
 *  - revocation: empty unless status is R, then "date[,reason[,extra]]" as
 *    `openssl ca -revoke` writes it: no reason; one of unspecified,
 *    keyCompromise, CACompromise, affiliationChanged, superseded,
 *    cessationOfOperation, certificateHold, removeFromCRL (case does not
 *    matter, as for openssl); "holdInstruction,OID" (-crl_hold: certificateHold
 *    with that instruction); "keyTime,TIME" and "CAkeyTime,TIME"
 *    (-crl_compromise, -crl_CA_compromise: keyCompromise or cACompromise, the
 *    key compromised at TIME, a GeneralizedTime).
 *  - serial: upper-case hex of the serial (openssl's BN_bn2hex), which also
 *    names the certificate's file, newcerts/<serial>.pem.
 *  - filename: always "unknown" (openssl ca never fills it); not read.
 *  - subject: the subject as X509_NAME_oneline prints it; not read.
 *
 * Lines starting with '#' are skipped, as TXT_DB does.  Anything else that
 * does not have this form is an error, the whole file refused: an empty
 * line, a wrong number of fields, a status, time, serial or reason openssl
 * would not read, an extra where openssl writes none, and a last line
 * without its newline (openssl would drop it silently; a file cut short is
 * better refused).
 *
 * Pure parsing: no file, no store, no policy (what lancre does with a hold
 * is the importer's business, import/openssl_ca.h).  Errors go into *e and
 * never name the line: the reader's line field says which it was.
 */
#ifndef LANCRE_IMPORT_OPENSSL_INDEX_H
#define LANCRE_IMPORT_OPENSSL_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

#define OPENSSL_INDEX_LINE_MAX 65536 /* bytes of one line: a subject DN is far shorter */
#define OPENSSL_INDEX_HEX_MAX (2 * STORE_SERIAL_MAX) /* hex digits of a serial */
#define OPENSSL_INDEX_OID_MAX 128  /* a hold instruction, by name or dotted */

/* The revocation field's second part: which form openssl ca wrote. */
enum openssl_index_rev {
	OPENSSL_REV_NONE = 0,   /* not revoked, or revoked without a reason */
	OPENSSL_REV_REASON,     /* a CRL reason by name */
	OPENSSL_REV_HOLD,       /* holdInstruction,OID */
	OPENSSL_REV_KEY_TIME,   /* keyTime,TIME: keyCompromise, key compromised at TIME */
	OPENSSL_REV_CA_KEY_TIME /* CAkeyTime,TIME: cACompromise, likewise */
};

struct openssl_index_entry {
	char status; /* 'V', 'R' or 'E' */
	int64_t expires;
	/* Revocation (status R only). */
	int64_t revoked_at;
	enum openssl_index_rev rev;
	int reason;             /* RFC 5280 code as openssl ca puts it in its CRL; -1: none */
	int64_t compromised_at; /* keyTime/CAkeyTime: when the key was compromised */
	char hold[OPENSSL_INDEX_OID_MAX + 1]; /* holdInstruction's OID as written */
	/* The serial as written (the file name) and as DER content bytes. */
	char serial_hex[OPENSSL_INDEX_HEX_MAX + 1];
	uint8_t serial[STORE_SERIAL_MAX];
	size_t serial_len;
};

/* Walks a buffer holding index.txt, line by line.  The buffer must outlive it. */
struct openssl_index_reader {
	const char *p, *end;
	size_t line; /* 1-based number of the line last read (or failed on) */
};

void openssl_index_init(struct openssl_index_reader *r, const char *data, size_t len);

/*
 * The next entry into *out: 1, 0 at the end, or -1 with why the line
 * (r->line) is not one openssl ca writes.  After -1 the reader is done.
 */
int openssl_index_next(struct openssl_index_reader *r, struct openssl_index_entry *out,
    struct err *e);

#endif
