/*
 * openssl_ca.h - bringing what `openssl ca` knows into the store: each line
 * of its index.txt (import/openssl_index.h) and each certificate it wrote
 * to its newcerts directory.
 *
 * What a line becomes:
 *  - A certificate lancre has not recorded: newcerts/<SERIAL>.pem is read,
 *    must hold that serial, and is recorded with every check of `lancre cert
 *    add` (intake_record_one: signed by a registered issuer, URLs), under the
 *    issuer named for the import and no other.  Status V and E alike: an
 *    expired certificate is recorded (counted in expired), as `cert add`
 *    records one; the signer never signs for it.  A certificate lancre has
 *    recorded is not read again: a run that changes nothing reads no file
 *    but index.txt.
 *  - R: revoked with openssl's date and reason (no reason: unspecified, which
 *    lancre's CRL shows without a reasonCode, as RFC 5280 asks).  keyTime and
 *    CAkeyTime (the key compromised at TIME) are keyCompromise and
 *    cACompromise dated at TIME when that is earlier (BR 7.2.2 lets the
 *    revocationDate say when the key was compromised; lancre keeps no
 *    invalidityDate), but not before the certificate's notBefore.  The rules
 *    of `lancre revoke` apply (intake/revoke.h): cACompromise only for a CA
 *    certificate; an already revoked certificate changes only towards
 *    keyCompromise or to an earlier keyCompromise date; the same reason
 *    again keeps lancre's record (nothing changes).
 *  - certificateHold (also holdInstruction,OID) and removeFromCRL are
 *    refused: BR 7.2.2 forbids certificateHold for subscriber certificates,
 *    and a revocation in lancre is final.
 *  - V or E for a certificate lancre has revoked: refused (un-revoking).
 *  - The same serial on two lines: refused.
 *
 * All or nothing: the whole file is parsed before the store is touched, and
 * every line goes in one transaction, so a malformed or refused line
 * anywhere changes nothing; running the same import again changes nothing.
 * On failure err_line says which line (0: none, e.g. the store failed).
 */
#ifndef LANCRE_IMPORT_OPENSSL_CA_H
#define LANCRE_IMPORT_OPENSSL_CA_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "import/openssl_index.h"
#include "pki/issuer.h"
#include "store/store.h"
#include "util/err.h"

#define OPENSSL_CA_CERT_FILE_MAX (1 << 20) /* one newcerts/<SERIAL>.pem */

/* What a line changed, for the report printed once the import is committed. */
struct openssl_ca_change {
	size_t line;
	char serial_hex[OPENSSL_INDEX_HEX_MAX + 1];
	int added;   /* the certificate was recorded */
	int expired; /* ... already past its notAfter */
	int revoked; /* a revocation was recorded: at, reason */
	int64_t at;
	int reason;
};

struct openssl_ca_import {
	/* Set by the caller. */
	struct store *store;
	const struct conf *conf;
	const struct issuer_set *issuers;
	const struct issuer *issuer; /* every certificate must be this issuer's */
	const char *newcerts;        /* the directory of <SERIAL>.pem files */
	int allow_foreign_urls;      /* as `cert add --allow-foreign-urls` */
	int threads;                 /* checking certificates (intake.h); 0: one */
	int64_t now;
	/* Who imports, for the audit trail (intake.h): a row per change; NULL: none. */
	const char *actor, *origin;

	/* Results. */
	size_t entries;   /* lines read (comments aside) */
	size_t added, expired, revoked, unchanged;
	struct openssl_ca_change *changes; /* nchanges of them, in line order */
	size_t nchanges;
	size_t err_line; /* the line an error is about; 0: not a line's */
};

/*
 * Import index.txt's bytes data[0..len) into im->store in one transaction
 * (opened and committed here).  0 and the results, or -1 with nothing
 * changed, why in *e and im->err_line.  Free the results with
 * openssl_ca_import_free() either way.
 */
int openssl_ca_import(struct openssl_ca_import *im, const char *data, size_t len,
    struct err *e);
void openssl_ca_import_free(struct openssl_ca_import *im);

#endif
