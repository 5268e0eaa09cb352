/*
 * signer.h - keeping a pre-signed OCSP response for every unexpired
 * certificate, fresh.
 *
 * One pass (signer_pass) finds the work in the store and does it:
 *   1. certificates changed since the last pass (new ones, revocations):
 *      found by their change sequence number, so a revocation is re-signed on
 *      the next pass, which `lancre sign` runs every 200 ms;
 *   2. responses due for refresh (due_at <= now).
 * Work is signed in batches on every core (each thread with its own signing
 * contexts, responses laid out from a per-issuer template: ocsp/template.h),
 * and each batch is written in one store transaction while the next one is
 * being signed.  When the
 * issuers change (meta issuer_seq: a new issuer, a new delegated responder),
 * the next pass reloads them and their keys first.
 *
 * Policy (lancre.conf [ocsp]):
 *   thisUpdate = producedAt = now truncated to the minute;
 *   nextUpdate = thisUpdate + validity - jitter, where jitter (whole minutes,
 *     from the first serial of the batch, up to SIGNER_BATCH responses that
 *     share their times) is at most a tenth of the validity, never takes the
 *     validity under 8 hours, and never exceeds half the refresh period, so a
 *     million responses signed in one minute do not all expire in one minute;
 *   due_at = thisUpdate + refresh - jitter (at most 4 days after thisUpdate),
 *     or never when the response outlives the certificate;
 *   a SHA-1 CertID response always, a SHA-256 one too unless [ocsp] sha256 = no;
 *   certificates past notAfter are no longer signed, and their responses are
 *   deleted SIGNER_EXPIRED_GRACE after notAfter.
 *
 * Each pass also keeps every issuer's CRLs (crls.c): N shards, and a full
 * CRL, re-signed every [crl] period and within [crl] delay of a revocation.
 *
 * Several signers may share one store (issue 18): the work is split by
 * issuer and CRL shard, each unit leased to one signer at a time through
 * the store (lease.c); a pass signs, writes and publishes only for the
 * units its signer holds, and each write is fenced against a unit taken
 * over meanwhile.  A signer alone holds every unit.
 *
 * A clock that steps back leaves what was signed while it ran ahead dated in
 * the future, refused by clients ("not yet valid") and, by the rules above,
 * not due for days.  Each pass asks the store whether it holds a response
 * dated past now + SIGNER_CLOCK_SKEW (the store keeps the newest thisUpdate
 * written: one read); if so, every such response is made due and re-signed
 * in that pass, and so is any CRL dated in the future (crls.c).
 */
#ifndef LANCRE_SIGNER_SIGNER_H
#define LANCRE_SIGNER_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "store/store.h"
#include "util/err.h"

#include <signal.h>

#define SIGNER_BATCH 4096
#define SIGNER_POLL_MS 200      /* how often a running signer looks for work */
#define SIGNER_PURGE_EVERY 3600 /* how often it deletes responses of expired certificates */
#define SIGNER_EXPIRED_GRACE 86400
#define SIGNER_THREADS_MAX 64
#define SIGNER_NEVER INT64_MAX /* the due_at of a response that outlives its certificate */
/*
 * A response or CRL dated more than this ahead of the clock was signed while
 * the clock ran ahead (then stepped back): it is due at once.
 */
#define SIGNER_CLOCK_SKEW 60

struct signer;

struct signer_stats {
	size_t certs;     /* certificates signed for */
	size_t responses; /* responses written */
	size_t signatures; /* responses signed (key operations), written or not: one whose unit
			    * another signer took meanwhile is dropped at the fence (lease.c) */
	int64_t purged;   /* responses deleted for expired certificates */
	size_t crls;      /* CRLs signed */
	size_t slow;      /* responses built by ocsp_sign(), the issuer's template having failed */
	size_t clock_steps;   /* passes that found responses or CRLs dated in the future */
	int64_t clock_behind; /* the last such pass: how far ahead the newest was, seconds */
	int64_t future;       /* responses found dated in the future, made due */
	size_t republished;   /* published files that differed from the store, written again */
	size_t tmp_removed;   /* temporary files of dead writers removed from DIR/public/ */
	size_t key_failures;  /* signatures that failed (a key gone from its token...) */
	size_t refused; /* certificates refused a good response (revoked before, or no certificate) */
};

/*
 * Load every issuer's key (PEM or PKCS#11) and prove that it signs for the
 * issuer's certificate (key_check_pair).  threads: signing threads, >= 1.
 * An issuer whose key does not load or sign (a moved file, a missing token,
 * a wrong PIN) is left out and the others are signed for: signer_report()
 * says which and why, once until it is signed for again.  A key that stops
 * signing while the signer runs (a token pulled, a module error, a session
 * closed) leaves its issuer out the same way, from the failed signature on
 * (signer_int.h: signer_key_failed).  The signer tries the keys left out
 * again after signer_retry_delay(tries) seconds (1, 2, 4... up to
 * SIGNER_RETRY_MAX), and at once when the issuers change (`lancre issuer
 * set-key`).  While one is left out, the store's mark of changed
 * certificates is not moved, so its revocations are signed once its key is
 * back, even after a restart; what it did not sign is never recorded.
 *
 * A retired issuer (`lancre issuer retire`) is signed for until its last
 * certificate expires (OCSP stops with each certificate's notAfter, as for
 * every issuer); each of its CRLs is then signed once more, after that
 * notAfter, and never again.  Once they all are, its key is not loaded.
 */
struct signer *signer_new(struct store *s, const struct conf *c, const char *dir, int threads,
    struct err *e);
void signer_free(struct signer *sg); /* accepts NULL */
/* Tests: the clock a long pass reads to renew its leases (default: the pass's now + time elapsed). */
void signer_set_clock(struct signer *sg, int64_t (*clock)(void *arg), void *arg);
/*
 * Tests: how many CRL entries a second a read is expected to take at least,
 * when no read of the CRL was timed yet (lease.c; default 200,000).
 */
void signer_set_crl_read_rate(struct signer *sg, int64_t entries_per_sec);
/*
 * Tests (SIGNER_SIGN_DELAY_ENV names it for `lancre sign`): a file read at
 * each batch, whose number is the microseconds each signature then waits
 * (a slow HSM), so that a test can stop a signer in the middle of a batch;
 * no file, no wait.  path is kept, not copied.
 */
#define SIGNER_SIGN_DELAY_ENV "LANCRE_TEST_SIGN_DELAY_FILE"
void signer_set_sign_delay_file(struct signer *sg, const char *path);

struct key_file;
/*
 * The files the issuers' key references made signer_new() read (key,
 * passphrase and PIN files, PKCS#11 modules: struct key_file in
 * signer/key.h), into *files: what the signer's sandbox must let it read.
 */
size_t signer_key_files(const struct signer *sg, const struct key_file **files);

/*
 * From now on the signer runs confined: before loading an issuer's key
 * (one added later, or any on a reload) it asks may_read(arg, path, exec)
 * for each file the key reference names, and leaves an issuer out whose
 * files the sandbox would not let it read, with a reason that names
 * [signer] read_dirs, rather than failing on a bare "Permission denied".
 */
void signer_confine_reads(struct signer *sg, int (*may_read)(void *arg, const char *path, int exec),
    void *arg);

/*
 * NULL when every issuer's responses are laid out from a template (see
 * ocsp/template.h); else why one issuer's are not, with *issuer its name.
 * Those responses are then built with OpenSSL's OCSP objects, correct but
 * about twice as slow.
 */
const char *signer_template_warning(const struct signer *sg, const char **issuer);

/*
 * For tests: with on = 0, every response is built by ocsp_sign(), OpenSSL's
 * builder, as when a template fails its check (the default is 1).
 */
void signer_use_templates(struct signer *sg, int on);

/* Sign everything changed or due at now; adds to *st. */
int signer_pass(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e);

/* Delete the responses of certificates expired longer than the grace period. */
int signer_purge(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e);

/* A pass, and a purge when SIGNER_PURGE_EVERY has passed since *last_purge (updated). */
int signer_step(struct signer *sg, int64_t now, int64_t *last_purge, struct signer_stats *st,
    struct err *e);

/*
 * What the running signer tells its caller (any hook may be NULL): on_pass
 * after each step, with the totals before and after it; on_error when a step
 * fails, with why and how many seconds it waits before trying again;
 * on_recover when a step succeeds after `failures` failed ones in a row;
 * on_clock_step when a step found what it had signed dated in the future
 * (the clock went back by about `secs`): once per step of the clock, as the
 * pass re-signs all of it; on_hook when a [crl] hook could not start or
 * failed.
 */
struct signer_events {
	void (*on_pass)(void *arg, const struct signer_stats *before,
	    const struct signer_stats *after);
	void (*on_error)(void *arg, const struct err *e, int retry_secs);
	void (*on_recover)(void *arg, int failures);
	/* An issuer the signer cannot sign for, and why; why NULL: it can again. */
	void (*on_issuer)(void *arg, const char *issuer, const char *why);
	void (*on_clock_step)(void *arg, int64_t secs, int64_t responses);
	/*
	 * A [crl] hook that could not start (why: the reason, pid 0), or that ended
	 * with a non-zero status (why NULL; status: its exit code, or 128 + the
	 * signal that killed it).
	 */
	void (*on_hook)(void *arg, int pid, int status, const char *why);
	/*
	 * A certificate the signer refused to sign good (defence in depth: it
	 * signed it revoked before, or its row is not from a certificate): once
	 * per certificate; serial in hex.  dropped: refusals not told (too many
	 * at once), counted in signer_stats.refused all the same.
	 */
	void (*on_refused)(void *arg, const char *issuer, const char *serial, const char *why,
	    size_t dropped);
	void *arg;
};

/*
 * Tell ev->on_issuer what has not been told yet: each issuer left out (once
 * per reason), each signed for again; and ev->on_hook each [crl] hook that
 * could not start or failed (the signer waits only for the hooks it started,
 * at the start of each pass, never blocking).  signer_loop() calls it after every
 * step; a caller running steps itself calls it after signer_new() and each
 * step.
 */
void signer_report(struct signer *sg, const struct signer_events *ev);

/*
 * The running signer (`lancre sign`, `lancre run`): signer_step() every
 * SIGNER_POLL_MS until *stop.  A failed step (a full disk, a store locked
 * too long, a key gone from its token) is tried again after
 * signer_retry_delay() seconds, whole: a step keeps nothing of what it did
 * not commit, and what it committed it finds done.  It does not stop the
 * signer, so `lancre run` keeps serving the responses already signed (valid
 * for days) while the operator mends the cause.
 */
void signer_loop(struct signer *sg, volatile sig_atomic_t *stop, const struct signer_events *ev,
    struct signer_stats *st);

/* Seconds to wait after `failures` failed steps in a row: 1, 2, 4... up to SIGNER_RETRY_MAX. */
#define SIGNER_RETRY_MAX 60
int signer_retry_delay(int failures);

/* The policy's times for one response (exposed for tests). */
void signer_times(const struct conf *c, const uint8_t *serial, size_t len, int64_t now,
    int64_t *this_update, int64_t *next_update, int64_t *due_at);

#endif
