/*
 * signer_int.h - what the signer's files share (signer.c: loading issuers,
 * OCSP; crls.c: CRLs).  Not for use outside src/signer/.
 */
#ifndef LANCRE_SIGNER_SIGNER_INT_H
#define LANCRE_SIGNER_SIGNER_INT_H

#include "ocsp/sign.h"
#include "ocsp/template.h"
#include "pki/sigctx.h"
#include "signer/key.h"
#include "signer/signer.h"

#include <sys/types.h>
#include <time.h>

/* How a published file looked when the signer last wrote or checked it (public.c). */
struct signer_seen {
	ino_t ino;
	off_t size;
	struct timespec mtime;
	int valid;
};

/* A [crl] hook the signer started (hook.c), until the caller has been told how it went. */
struct signer_hook {
	pid_t pid;       /* 0: it could not start, spawn_errno says why */
	int spawn_errno;
	int done;        /* reaped: status is its exit code, or 128 + the signal that killed it */
	int status;
	int64_t issuer_id; /* a CRL's: its unit (lease.c), waited for when given back; else 0 */
	int shard;
};

/* The hooks started and not yet reported: a list that grows as needed. */
#define SIGNER_HOOKS_INITIAL 16
#define SIGNER_HOOK_ARGS_MAX 32 /* words of [crl] hook (without hook_shell) */
#define SIGNER_HOOK_WAIT_MS 5000 /* the longest a look waits for hooks of units given back */
#define SIGNER_HOOK_POLL_MS 10
struct signer_hooks {
	struct signer_hook *v;
	size_t n, cap;
	size_t nomem; /* hooks not started for want of memory, to be told */
};

/* One unit of work (lease.c): a CRL shard of an issuer, or 0, its full CRL. */
struct signer_unit {
	int held;      /* this signer holds its lease */
	int row;       /* scratch of a look: the store has a lease row for it */
	int free;      /* scratch of a look: nobody holds it (released, or expired) */
	int free_seen; /* free at the last look and not taken: taken at the next, share or not */
	int fenced;    /* scratch of a write: the fence found it still held */
	int given;     /* given back to a peer at the last gift, and not seen taken since */
	int64_t read_secs[2]; /* how long its last CRL read took: [0] base, [1] delta (lease.c) */
	struct store_signed_upto upto; /* its mark when taken, then as set */
};

/* This signer's leases (lease.c). */
struct signer_leases {
	char holder[STORE_LEASE_HOLDER_MAX + 1]; /* holder.c: "name:hostid:pid:start:random" */
	char host[64];    /* this host's id (boot id, PID namespace), as in holder */
	int64_t renew_at; /* when to renew and look again (0: at the next pass) */
	int64_t tick_at;  /* when a long pass renews again (never moves renew_at: looks go on) */
	int64_t live;     /* signers alive at the last look, this one included */
	int64_t gave_at;  /* when units were last given back for a newcomer */
	int64_t gave_live; /* signers alive then: refused gifts are forgotten when it changes */
	size_t held, wanted; /* units held; units of the issuers it signs for */
	int rescan;       /* units taken: the scan of changed certificates starts from their marks */
	int resume;       /* issuers reloaded: the scan starts from the lowest mark of the units held */
	int look;         /* look at the leases at the next pass (issuers reloaded, a unit lost) */
	size_t kept;      /* signatures since the clock was last looked at (signer_lease_keep) */
	int64_t read_rate; /* CRL entries a read is expected to take a second at least (lease.c) */
};

struct signer_issuer {
	int64_t id;
	char name[STORE_ISSUER_NAME_MAX + 1];
	int crl_shards;
	struct ocsp_signer sg; /* signs OCSP: the issuer, or its delegated responder */
	struct ocsp_template tmpl; /* how responses are laid out, when tmpl_ok */
	int tmpl_ok;
	char tmpl_why[ERR_MSG_MAX]; /* why not: responses are then built by ocsp_sign() */
	int broken; /* a signature failed this pass (signer_key_failed): nothing more signed */
	X509 *cert, *responder;
	EVP_PKEY *key;      /* the issuer's own key: signs CRLs (and OCSP unless delegated) */
	EVP_PKEY *ocsp_key; /* the delegated responder's key, or NULL */
	/* CRLs waiting to be re-signed after a revocation: [0] full, [1..shards] shards. */
	int64_t *crl_dirty; /* the newest change_seq not yet in that CRL, or 0 */
	/* Revocations seen since this signer last built that base (all, at its first build). */
	int64_t *crl_new;
	/* Retired (`lancre issuer retire`): when, and its last certificate's notAfter. */
	int64_t retired_at, last_not_after;
	/* Its published files: [shard] bases, [shards + 1 + shard] deltas, [2 * (shards + 1)] JSON. */
	struct signer_seen *seen;
	struct signer_seen cert_seen[2]; /* public/issuer/<name>, <name>.pem (publish_issuers.c) */
	struct signer_unit *units; /* [shard], 0..crl_shards (lease.c); NULL before the first look */
	int peers;   /* scratch of a look: a peer alive holds units of it (so it can sign it) */
	int wanted;  /* scratch of a gift: a peer alive short of its share can sign it (lease.c) */
	int refused; /* its units given back were left free: not given again (lease.c) */
};

/*
 * An issuer the signer cannot sign for (its key would not load), and
 * whether the caller has been told (signer_report): each is told once, and
 * again only when the reason changes.
 */
struct signer_down {
	int64_t id; /* its responses due meanwhile are held (store_ocsp_hold) */
	char name[STORE_ISSUER_NAME_MAX + 1];
	char why[ERR_MSG_MAX];
	int reported;
	int served; /* another signer alive holds a unit of it (lease.c's last look) */
	int was_served; /* served at a look since last told: served no more is told */
	int64_t unserved_since; /* when a look first found it served no more (lease.c) */
	int unserved;   /* told with "no signer alive signs it" (signer_report) */
};

/* A set of 64-bit keys of (issuer, serial) (revoked.c). */
struct signer_revset {
	uint64_t *v; /* open addressing, 0 empty; cap a power of two */
	size_t cap, n;
};

/* A refusal to sign good, to be told by signer_report() (revoked.c). */
#define SIGNER_REFUSALS_MAX 64
struct signer_refusal {
	char issuer[STORE_ISSUER_NAME_MAX + 1];
	char serial[2 * STORE_SERIAL_MAX + 1]; /* hex */
	const char *why;
};

struct signer {
	struct store *store;
	const struct conf *conf;
	const char *dir;
	struct signer_issuer *issuers;
	size_t nissuers;
	int64_t issuer_seq; /* meta issuer_seq when the issuers were loaded */
	struct signer_down *down; /* issuers left out, their keys failing to load */
	size_t ndown;
	int64_t down_retry_at; /* when to try loading them again */
	int down_tries;        /* loads in a row that left some down: the backoff's step */
	int keystate_dirty;    /* issuers loaded or left out since the store was told */
	/* The files the issuers' keys were read from while unconfined (reads.c). */
	struct key_file *key_files;
	size_t nkey_files, key_files_cap;
	/* Once confined (signer_confine_reads()): may the sandbox read path (exec: as code)? */
	int (*may_read)(void *arg, const char *path, int exec);
	void *may_read_arg;
	/* Issuers signed for again since the last signer_report(), to be told so. */
	char (*up)[STORE_ISSUER_NAME_MAX + 1];
	size_t nup;
	int threads;
	int no_templates;          /* signer_use_templates(sg, 0): every response by ocsp_sign() */
	struct store_cursor seen;       /* changed certificates signed up to here */
	struct signer_revset revoked; /* what this signer (or one before it) signed revoked */
	struct signer_revset refused; /* refusals told already */
	struct signer_refusal refusals[SIGNER_REFUSALS_MAX]; /* not yet told */
	size_t nrefusals, refusals_dropped;
	int64_t refusals_unsaved[STORE_REFUSED_COUNT]; /* counted, not yet in the store */
	int64_t crl_seen_seq;             /* revocations up to here are marked dirty */
	int public_cleaned; /* stale temporary files removed (at the first CRL pass) */
	int64_t ahead; /* this pass: how far ahead of now the newest response or CRL was dated */
	/*
	 * Two batches: while the workers sign one, the main thread writes the
	 * other.  work: SIGNER_BATCH certificates each; jobs: their results.
	 */
	struct batch {
		struct cert_record *work;
		struct job *jobs;
		size_t n;
		int64_t this_update, next_update, due_at; /* shared by the batch's responses */
		unsigned char *slab; /* 2 * SIGNER_BATCH slots of sg->slot bytes, or NULL */
	} batch[2];
	/*
	 * Responses built from templates go to the batch's slab, response k of
	 * job i to slot 2 * i + k: no malloc and cross-thread free per response
	 * (0.6 us of a ~35 us P-256 response).  slot: the largest template's
	 * response; 0 when no issuer has a template.
	 */
	size_t slot;
	int cur;              /* the batch being filled and signed */
	struct batch *unsaved; /* signed, not yet written, or NULL */
	struct ocsp_record *records; /* 2 * SIGNER_BATCH: a batch's responses, as written */
	/* A signing context per worker slot (threads + 1) and issuer: [slot * nissuers + i]. */
	struct sigctx *sigctx;
	struct signer_hooks hooks; /* [crl] hooks started, waited for by PID (hook.c) */
	struct signer_leases lease; /* the units this signer works on (lease.c) */
	int64_t pass_now, pass_wall; /* the pass's now, and the clock when it began */
	int64_t (*clock)(void *arg); /* now in a long pass, if set (signer_set_clock) */
	void *clock_arg;
	const char *delay_file; /* tests: signer_set_sign_delay_file() */
	long delay_us;          /* read from it at the batch's start: each signature waits */
};

struct signer_issuer *signer_issuer_by_id(const struct signer *sg, int64_t id);

/*
 * is's key failed to sign (why): a token gone, a session closed, a module
 * error.  The issuer is signed for no more until its key loads again and
 * passes a test signature: it goes down (signer_report tells why, once),
 * its work is passed over and never marked signed, and the next load is
 * tried after signer_retry_delay().  -1 only for want of memory.
 */
int signer_key_failed(struct signer *sg, struct signer_issuer *is, const char *why,
    struct signer_stats *st);

/*
 * The operator's [crl] hook for a file just published, in the background
 * (hook.c); crl: the CRL it is (its number and thisUpdate go in the hook's
 * environment), NULL for another file.
 */
void signer_run_hook(struct signer *sg, const char *path, const struct crl_record *crl);
/*
 * Wait until the hooks this signer started for the CRLs of unit (issuer_id,
 * shard; issuer_id 0: every CRL's) have finished, or *deadline (a
 * CLOCK_MONOTONIC time in ms, set at the first call when 0) has passed.
 */
void signer_hooks_wait(struct signer *sg, int64_t issuer_id, int shard, int64_t *deadline);
/* Wait, without blocking, for the hooks this signer started, and only those. */
void signer_hooks_reap(struct signer *sg);
/* Tell ev->on_hook of each hook that could not start or failed; forget those finished. */
void signer_hooks_report(struct signer *sg, const struct signer_events *ev);
void signer_hooks_free(struct signer *sg);
/* Every issuer's certificate in DIR/public/issuer/ (DER and .pem), written if missing or different. */
int signer_public_issuers(struct signer *sg, struct err *e);

/*
 * The files k's references read (reads.c): before the signer is confined,
 * remembered for signer_key_files(); after, each checked with may_read: one
 * outside fails the issuer (-1, why naming [signer] read_dirs).
 */
int signer_reads_check(struct signer *sg, const struct store_issuer_keys *k, struct err *why);
void signer_reads_free(struct signer *sg);

/* Remove the temporary files (NAME.tmp.PID) of writers no longer running under DIR/public/. */
size_t signer_public_clean(const char *dir);
/*
 * Remember how path, a file below DIR/public/ (dir: DIR), looks now (after
 * writing it).  Like everything below, without following a symlink below
 * public/: a symlink or anything but a regular file is never "seen", so the
 * next check finds it changed and the file is written again over it.
 */
void signer_public_seen(const char *dir, const char *path, struct signer_seen *seen);
/* 1 when path is a regular file that looks as *seen remembers it (one lstat). */
int signer_public_unchanged(const char *dir, const char *path, const struct signer_seen *seen);
/*
 * Write path, a file below DIR/public/, atomically and without following a
 * symlink below public/ (fs_write_beneath), mode 0644.
 */
int signer_public_write(const char *dir, const char *path, const void *data, size_t len,
    struct err *e);
/*
 * Rewrite path unless it is a regular file holding data (*rewritten says
 * which; read with O_NOFOLLOW, never through a symlink); *seen is updated.
 */
int signer_public_sync(const char *dir, const char *path, const void *data, size_t len, struct signer_seen *seen,
    int *rewritten, struct err *e);

/* CRLs due (never signed, past the period, or dirty past half the delay): sign them. */
int signer_crl_pass(struct signer *sg, int64_t now, struct signer_stats *st, struct err *e);

/*
 * Leases (lease.c; see its top).  _init names the holder; _step renews and
 * takes or gives back units, every third of [signer] lease (and looks at
 * once when lease.look is set); _tick only renews, in a long pass (before
 * each CRL, each batch written); _keep, called by the main thread after each
 * signature of a batch (no read or transaction open), looks at the clock
 * every `every` calls and renews when due (a slow HSM); _fence, inside the
 * write's transaction, drops the units taken by another; _scan_start moves
 * sg->seen back to the lowest mark of units just taken; _marks sets the
 * marks of the units held to sg->seen; _release gives every unit back (a
 * clean exit).  _mine: the rows this holder holds (free *v).
 */
void signer_lease_init(struct signer *sg);

/*
 * A lease holder's name (holder.c, see there).  _hostid: this host's id
 * (boot id and PID namespace), read before the sandbox; _name: this
 * process's holder name; _start: a process's start time (1, 0 when there is
 * no such process, -1 unreadable); _dead: whether holder is a process of
 * this host (hostid) that is gone for certain.
 */
void signer_holder_hostid(char *out, size_t len);
void signer_holder_name(char *out, size_t len, const char *hostid);
int signer_holder_start(long pid, unsigned long long *start);
int signer_holder_dead(const char *hostid, const char *holder);
int signer_lease_step(struct signer *sg, int64_t now, struct err *e);
int signer_lease_tick(struct signer *sg, int64_t now, struct err *e);
/*
 * Around a CRL's entries read (crls.c), which nothing renews within:
 * _read_start renews every unit for as long as that read may take (the
 * last read of the unit's base or delta, or prev's size), _read_end
 * remembers how long it took (started: _read_start's time).
 */
int signer_lease_read_start(struct signer *sg, const struct signer_issuer *is, int shard,
    int delta, const struct crl_record *prev, int64_t *started, struct err *e);
void signer_lease_read_end(struct signer *sg, struct signer_issuer *is, int shard, int delta,
    int64_t started);
int signer_lease_keep(struct signer *sg, size_t every, struct err *e);
int64_t signer_now(const struct signer *sg);
int signer_lease_fence(struct signer *sg, struct err *e);
void signer_lease_scan_start(struct signer *sg);
int signer_lease_marks(struct signer *sg, struct err *e);
void signer_lease_release(struct signer *sg);
int signer_lease_mine(struct signer *sg, struct store_lease **v, size_t *n, struct err *e);
/* Whether this signer holds is's unit shard (its certificates, its CRLs). */
int signer_unit_held(const struct signer_issuer *is, int shard);

/* Defence in depth (revoked.c). */
uint64_t signer_revset_key(int64_t issuer_id, const uint8_t *serial, size_t len);
int signer_revset_has(const struct signer_revset *s, uint64_t key);
int signer_revset_add(struct signer_revset *s, uint64_t key); /* -1: out of memory */
void signer_revset_free(struct signer_revset *s);
/* Load what the store records as signed revoked. */
int signer_revoked_load(struct signer *sg, struct err *e);
/*
 * Why c must not be signed: STORE_REFUSED_REVOKED_BEFORE (good for one it
 * signed revoked) or STORE_REFUSED_NO_CERTIFICATE (a row not from a
 * certificate); -1 if it may.
 */
int signer_refuse_why(const struct signer *sg, const struct cert_record *c);
/* Count (for the store too) and queue, once per certificate, a refusal for signer_report(). */
void signer_refuse(struct signer *sg, const char *issuer, const struct cert_record *c,
    int why, struct signer_stats *st);
/* Add the refusals counted since the last call to the store's counts (store_refusals_add). */
int signer_refusals_save(struct signer *sg, struct err *e);
/* c is about to be signed: if revoked, recorded as signed revoked (store and set). */
int signer_revoked_record(struct signer *sg, const struct cert_record *c, struct err *e);

#endif
