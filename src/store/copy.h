/*
 * copy.h - copying everything one store holds into another, of any backend
 * (`lancre store copy`): issuers with their key references, certificates,
 * revocations, the signer's record of what it signed revoked, signed OCSP
 * responses, CRLs with their numbers, the counters, the signer's mark, key
 * states and refusal counts.  Records keep their ids and sequence numbers,
 * so that a store switched to the copy re-signs nothing and serves the same
 * bytes.  Resumable: the target keeps a progress mark committed with each
 * batch, and a run on a target a copy from the same source has begun goes
 * on from there, with the result of an uninterrupted copy.  Verified: each
 * table's rows are counted and checksummed through the store contract on
 * both sides.  Streams: bounded memory whatever the size.
 */
#ifndef LANCRE_STORE_COPY_H
#define LANCRE_STORE_COPY_H

#include <stdint.h>

#include "store/store.h"

/* What is copied and verified, table by table. */
enum copy_table {
	COPY_T_ISSUERS,  /* with their key references */
	COPY_T_CERTS,
	COPY_T_OCSP,
	COPY_T_CRLS,
	COPY_T_REVOKED, /* the signer's signed-revoked record */
	COPY_T_TOKENS,  /* the admin API's tokens (their hashes) */
	COPY_T_AUDIT,   /* the audit trail, rows and chain head */
	COPY_T_STATE,   /* counters, the signer's mark, key states, refusal counts */
	COPY_T_COUNT,
};

#define COPY_DIGEST_LEN 32 /* SHA-256 */

struct copy_sum {
	int64_t rows;
	uint8_t digest[COPY_DIGEST_LEN];
};

struct copy_report {
	int resumed;                     /* went on from a copy interrupted before */
	int was_done;                    /* the target was a finished copy: only verified */
	int64_t copied[COPY_T_COUNT];    /* rows written by this run */
	struct copy_sum src[COPY_T_COUNT], dst[COPY_T_COUNT];
};

/*
 * Told after each batch committed (verifying = 0: rows copied by this run
 * in table t so far) and as verification reads (verifying = 1).
 */
typedef void (*copy_progress_fn)(void *arg, enum copy_table t, int verifying, int64_t rows);

/*
 * Copy src into dst, which must be empty or hold a copy of src in progress
 * (else one line, nothing written), then verify.  src must not change while
 * it runs (stop the signer; the verification finds a change).  0: copied
 * and the same on both sides; -1 with *e: failed, or the verification found
 * a difference (rep says which: copy_mismatch).  progress may be NULL.
 */
int copy_run(struct store *src, struct store *dst, copy_progress_fn progress, void *arg,
    struct copy_report *rep, struct err *e);

/* Count and checksum every table of s into sum[COPY_T_COUNT]. */
int copy_checksum(struct store *s, struct copy_sum sum[COPY_T_COUNT], copy_progress_fn progress,
    void *arg, struct err *e);

/* The first table whose count or checksum differs between rep's sides, or -1. */
int copy_mismatch(const struct copy_report *rep);

const char *copy_table_name(enum copy_table t);

#endif
