/*
 * explain_dir.h - what `lancre explain -d DIR` adds: the data directory's
 * issuers (their certificates join the known ones, so signatures are
 * checked, and they are called by their lancre names), and what lancre
 * answers today to an OCSP request, through the server's own answer path
 * (ocsp/answer.h) over the pre-signed responses.  The store is opened
 * read-only and nothing is written.
 */
#ifndef LANCRE_CLI_EXPLAIN_DIR_H
#define LANCRE_CLI_EXPLAIN_DIR_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "cli/cli.h"
#include "ocsp/index.h"
#include "pki/issuer.h"

struct explain_dir {
	struct cli_dir d;
	struct issuer_set set;
	struct ocsp_index *ix;
};

/* Open DIR read-only, load its issuers and responses; the issuers' certificates go into known. */
int explain_dir_open(struct explain_dir *xd, const char *dir, STACK_OF(X509) *known,
    struct err *e);
void explain_dir_close(struct explain_dir *xd); /* accepts a closed or failed one */

/* The lancre name of the issuer whose certificate is x ("e1"), or NULL. */
const char *explain_dir_issuer_name(const struct explain_dir *xd, X509 *x);

/* What lancre answers today to this DER request, in words, into buf. */
void explain_dir_answer(const struct explain_dir *xd, const uint8_t *req, size_t len,
    int64_t now, char *buf, size_t buflen);

#endif
