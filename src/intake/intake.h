/*
 * intake.h - recording certificates a CA issued (`lancre cert add`, the demo).
 *
 * Certificates arrive as file contents (see cert.h for the formats).  Each
 * one is parsed, refused if it is a CA certificate that is self-issued or
 * not issued by a registered issuer (one that is, an intermediate of a
 * registered root, is recorded as a CA: is_ca), tied to its issuer by
 * signature (issuer.h), given its CRL shard, and inserted.  Work goes in
 * batches through a two-stage pipeline: while worker threads check batch k
 * (parsing and signature checks, the expensive part), the calling thread
 * writes batch k-1 in one store transaction.  A process killed
 * mid-way keeps every committed batch; running the same import again skips
 * what is there (an identical certificate is "already present", not an error)
 * and completes the rest.
 *
 * Precertificates (RFC 6962 3.1, pki/precert.h) are recorded like
 * certificates, marked precert: OCSP answers good for their serial before
 * the final certificate exists.  The final certificate, when it comes,
 * completes the record (its fingerprint replaces the precertificate's, one
 * "cert.complete" audit row) if it matches the precertificate; any other
 * certificate with a recorded serial is refused as before.  A precertificate
 * of a certificate already recorded changes nothing.
 *
 * Certificates are taken one by one: a bad one is reported through on_reject
 * with its source and position and changes nothing; the others go in.  That
 * includes a certificate whose bytes cannot be read (bad base64, a PEM block
 * without its END line): every certificate of the input is either recorded
 * (added or already present) or refused, so added + present + rejected
 * counts them all.
 */
#ifndef LANCRE_INTAKE_INTAKE_H
#define LANCRE_INTAKE_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "pki/issuer.h"
#include "pki/sigverify.h"
#include "store/store.h"
#include "util/err.h"

#define INTAKE_BATCH_DEFAULT 20000
#define INTAKE_THREADS_MAX 64

struct intake_item;
struct intake_batch;

/* What recording a certificate did (intake_record_one's in->last, intake_record_many's). */
enum intake_result {
	INTAKE_PRESENT,   /* recorded already, nothing changed */
	INTAKE_ADDED,     /* a new record: a certificate, or a precertificate (precert set) */
	INTAKE_COMPLETED, /* the final certificate of a recorded precertificate */
	/* A precertificate whose final certificate is recorded already: nothing changed. */
	INTAKE_PRESENT_FINAL,
};

struct intake {
	/* Set by the caller before the first intake_add(). */
	struct store *store;
	const struct conf *conf;
	const struct issuer_set *issuers;
	int threads;  /* parallel workers, >= 1 */
	size_t batch; /* certificates per transaction */
	int64_t now;  /* added_at for new rows */
	/* A certificate was refused: source, its 1-based position there, why. */
	void (*on_reject)(void *arg, const char *source, size_t index, const char *why);
	/* Optional: a certificate of source was already recorded (nothing changed). */
	void (*on_present)(void *arg, const char *source);
	/*
	 * Optional: a source held no certificate at all (a key file or a README
	 * met in a directory walk: PEM without a CERTIFICATE block, or bytes that
	 * are neither PEM nor DER).  Return 1 to skip it (counted in skipped), 0
	 * to refuse it.
	 */
	int (*on_empty)(void *arg, const char *source);
	/*
	 * Optional: an expired certificate was added (recorded all the same: a CA
	 * may need to revoke it, and the record keeps its serial taken), but the
	 * signer never signs for it, so OCSP answers unauthorized.
	 */
	void (*on_expired)(void *arg, const char *source, size_t index, int64_t not_after);
	/*
	 * A certificate names a CRL Distribution Point, OCSP or caIssuers URL
	 * that lancre does not serve for its issuer (urlcheck.h): refused, unless
	 * allow_foreign_urls, when it is recorded and on_foreign (optional) says why.
	 */
	int allow_foreign_urls;
	void (*on_foreign)(void *arg, const char *source, size_t index, const char *why);
	/*
	 * Optional: who adds the certificates, for the audit trail (store.h):
	 * when actor is set, each certificate added (not one already present)
	 * gets a "cert.add" row from actor and origin, in its batch's
	 * transaction (one append for the batch).  NULL: no rows (tests).
	 */
	const char *actor, *origin;
	/*
	 * Optional: a verification context (pki/sigverify.h) for the checks done
	 * on the calling thread (intake_record_many with no worker started: the
	 * admin API's one certificate a request), kept by the caller between
	 * calls instead of set up for each (16% of such a request's CPU).  It
	 * holds a reference to each issuer key it saw; NULL: one per call.
	 */
	struct sigverify *sv;
	/* Called after each written batch with the bytes of the current source done. */
	void (*on_progress)(void *arg, size_t done);
	void *arg;

	/* Results. */
	size_t added, present, rejected;
	size_t skipped; /* sources without certificates that on_empty skipped */
	size_t expired; /* of added: already past notAfter */
	size_t precerts;  /* of added: precertificates */
	size_t completed; /* final certificates that completed a precertificate's record */
	enum intake_result last; /* intake_record_one's */
	/* INTAKE_COMPLETED: the fingerprint of the precertificate it replaced. */
	uint8_t last_replaced[STORE_FINGERPRINT_LEN];

	/* Internal: the batch being filled, and the checked one waiting to be written. */
	struct intake_batch *filling, *checked;
	struct intake_batch *buf[2];
};

void intake_init(struct intake *in);
void intake_free(struct intake *in);

/*
 * Queue every certificate in data; source names it in messages and must
 * stay valid until intake_flush().  Full batches are written as they fill.
 * Returns -1 only if the store failed (the current batch is rolled back).
 */
int intake_add(struct intake *in, const char *source, const uint8_t *data, size_t len,
    struct err *e);

/* Check and write everything queued. */
int intake_flush(struct intake *in, struct err *e);

/*
 * Check one certificate as intake_add() does and insert it inside the
 * caller's open transaction (in: store, conf, issuers and now set; nothing
 * queued).  0 with the recorded row in *out (also when it was already
 * there), or -1 saying why it is refused; in->added, in->present or
 * in->completed counts it and in->last says which.
 * For `lancre revoke CERTFILE` of a certificate not recorded yet: recorded
 * and revoked in one transaction; for the admin API, a bundle in one.
 */
int intake_record_one(struct intake *in, const uint8_t *der, size_t len, struct cert_record *out,
    struct err *e);

/*
 * intake_record_one() for n certificates at once, inside the caller's open
 * transaction (the admin API's bundle): checked on in->threads workers as
 * intake_add() checks a batch, inserted with one store call per chunk of
 * them, their "cert.add" rows (in->actor set) appended together; each chunk
 * is written while the workers check the next.  0 with each recorded row in
 * out[i] and what was done in result[i] (result may be NULL); or -1 with e
 * saying why and *bad the index of the first certificate refused in input
 * order (SIZE_MAX when the store failed), the transaction to be rolled back
 * and in's counts as they were.
 */
int intake_record_many(struct intake *in, const uint8_t *const *der, const size_t *len, size_t n,
    struct cert_record *out, enum intake_result *result, size_t *bad, struct err *e);

#endif
