/*
 * store.h - the one interface to lancre's durable state.
 *
 * Everything lancre knows (issuers, the certificates they issued, revocations,
 * and later the signed OCSP responses and CRLs) goes through these functions.
 * This header is the contract only: the operations lancre needs, named for
 * what they do.  How a backend provides them (its ops table, constructors)
 * is in store/backend.h; the embedded SQLite backend's details stay in
 * src/store/sqlite*.c, so a PostgreSQL backend can sit behind the same
 * calls and no caller knows which one it has.  tests/unit/store/
 * test_contract.c checks every backend against it.
 *
 * Contract for every backend:
 *  - Each call is atomic on its own.  Between store_begin() and store_commit()
 *    calls form one transaction; store_rollback() undoes them all.  A process
 *    killed at any point leaves the store as of the last commit.
 *  - Serials are the certificate's exact DER INTEGER content bytes, compared
 *    byte for byte: 00 80 and 80 are different serials, as they are on the wire.
 *  - Functions return 0 on success and -1 with a message in *e on failure;
 *    lookups return 1 when found, 0 when not found.
 */
#ifndef LANCRE_STORE_STORE_H
#define LANCRE_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define STORE_SERIAL_MAX 64 /* RFC 5280 allows 20 octets; tolerate bad CAs up to 64 */
#define STORE_ISSUER_NAME_MAX 64
#define STORE_KEY_REF_MAX 1024
#define STORE_FINGERPRINT_LEN 32 /* SHA-256 of the certificate DER */
#define STORE_SPKI_HASH_LEN 32   /* SHA-256 of the DER SubjectPublicKeyInfo */
#define STORE_PRECERT_TBS_LEN 32 /* SHA-256 of a precertificate's TBS (pki/precert.h) */

enum cert_status {
	CERT_GOOD = 0,
	CERT_REVOKED = 1,
};

/*
 * An issuer as everyone may read it, the public server included: no key
 * reference (those are in struct store_issuer_keys, read apart).
 */
struct issuer_record {
	int64_t id;
	char name[STORE_ISSUER_NAME_MAX + 1];
	uint8_t *cert_der; /* owned: freed by issuer_record_free() */
	size_t cert_len;
	int has_key; /* it signs (a key is registered); 0: its certificate is only published */
	int crl_shards;
	int64_t added_at;
	/* Delegated OCSP responder (id-kp-OCSPSigning), if any; cert owned like cert_der. */
	uint8_t *ocsp_cert_der;
	size_t ocsp_cert_len;
	int64_t retired_at; /* when `lancre issuer retire` ran; 0: active */
};

/*
 * Where an issuer's keys are: never the keys themselves, never a PIN, and
 * still kept from the public server.  The SQLite store keeps them in a
 * second database, DIR/private/keys.db (directory 0700, file 0600, both the
 * signer's user's), attached only to read-write handles: a STORE_READ handle
 * (the server's) never opens it, and lancre.db holds none (a trigger refuses
 * them there).  A PostgreSQL store maps this to a table of its own,
 * issuer_keys, granted to the signer's role and not to the server's, which
 * may only SELECT the other tables.
 */
struct store_issuer_keys {
	char key_ref[STORE_KEY_REF_MAX + 1]; /* PEM path or pkcs11: URI; "" = publish only */
	/* The file holding key_ref's passphrase (an encrypted PEM key), or "". */
	char key_pass_ref[STORE_KEY_REF_MAX + 1];
	char ocsp_key_ref[STORE_KEY_REF_MAX + 1]; /* the delegated responder's key */
};

struct cert_record {
	int64_t id;
	int64_t issuer_id;
	uint8_t serial[STORE_SERIAL_MAX];
	size_t serial_len;
	int64_t not_before, not_after;
	enum cert_status status;
	int64_t revoked_at; /* when status == CERT_REVOKED */
	int reason;         /* RFC 5280 CRLReason code, when revoked */
	int shard;          /* CRL shard, 1-based; fixed at intake */
	uint8_t fingerprint[STORE_FINGERPRINT_LEN];
	int64_t added_at;
	int64_t change_seq; /* sequence number of the transaction that last changed it */
	int is_ca;          /* itself a CA certificate (an intermediate of a root issuer) */
	/*
	 * The row carries a certificate's fingerprint (32 bytes, not all zero):
	 * what every certificate `cert add` records has, and a row made by hand
	 * may lack.  Filled by the signer's reads (store_certs_changed,
	 * store_ocsp_due), which refuse to sign for a row without one.
	 */
	int has_fingerprint;
	/*
	 * The SHA-256 of the certificate's DER SubjectPublicKeyInfo, the bytes
	 * the certificate carries (pki/certparse.h, certparse_spki): how every
	 * certificate of a compromised key is found.  has_spki 0: not known, a
	 * row recorded before SQLite schema 10 / PostgreSQL migration 6 (whose
	 * DER was never kept), stored as NULL.  Not filled by the signer's reads.
	 */
	uint8_t spki_sha256[STORE_SPKI_HASH_LEN];
	int has_spki;
	/* 1: only a precertificate has been recorded for this serial so far. */
	int precert;
	/*
	 * The SHA-256 of a precertificate's TBSCertificate without its poison
	 * and SCT list (pki/precert.h): what its final certificate must match.
	 * Kept once the final certificate completed the record (the same hash
	 * for both); has_precert_tbs 0 (NULL) for certificates that came
	 * without a precertificate.
	 */
	uint8_t precert_tbs[STORE_PRECERT_TBS_LEN];
	int has_precert_tbs;
};

/* What an issuer's recorded certificates are (store_issuer_certs). */
struct store_issuer_certs {
	int has_ca, has_ee;      /* any CA certificates; any end-entity ones */
	int64_t last_not_after;  /* the latest notAfter (0: none), if asked for */
};

/*
 * A place in a scan (store_certs_changed, store_ocsp_due): opaque.  The
 * caller keeps it, passes it back for the next page, compares two with
 * store_cursor_same(), asks store_cursor_passed() whether it is past a
 * certificate, and never reads or makes one, except {0}, the start.
 * Each backend fills it in its own terms (sqlite_int.h).
 */
#define STORE_CURSOR_WORDS 3
struct store_cursor {
	int64_t pos[STORE_CURSOR_WORDS];
};

static inline int
store_cursor_same(const struct store_cursor *a, const struct store_cursor *b)
{
	for (int i = 0; i < STORE_CURSOR_WORDS; i++)
		if (a->pos[i] != b->pos[i])
			return 0;
	return 1;
}

/*
 * How far the signer has got through the changed certificates: every
 * certificate at or before at has responses that reflect its last change,
 * signed by the issuers as they were at STORE_SEQ_ISSUER issuer_seq (or has
 * expired, or its issuer has no key).  {0}: nothing known.
 */
struct store_signed_upto {
	int64_t issuer_seq;
	struct store_cursor at; /* a store_certs_changed cursor */
};

/* The hash algorithm of an OCSP CertID, as stored. */
enum ocsp_hash {
	OCSP_HASH_SHA1 = 1,
	OCSP_HASH_SHA256 = 2,
};

/* One pre-signed OCSP response: the DER of a whole OCSPResponse. */
struct ocsp_record {
	int64_t cert_id;
	int64_t issuer_id; /* read back by store_ocsp_each() */
	uint8_t serial[STORE_SERIAL_MAX];
	size_t serial_len;
	enum ocsp_hash hash;
	const uint8_t *der; /* borrowed: valid during the call */
	size_t der_len;
	int64_t this_update, next_update;
	int64_t due_at;   /* when the signer should re-sign it */
	int64_t cert_seq; /* the certificate's change_seq that this response reflects */
	int64_t seq;      /* set on write: its place in the write order (STORE_SEQ_OCSP) */
};

enum store_insert_result {
	STORE_INSERTED,
	STORE_DUPLICATE, /* the same certificate is already there: nothing to do */
	STORE_CONFLICT,  /* same issuer and serial, different certificate */
};

/*
 * One signed CRL: shard 1..N of an issuer, or 0 for its full CRL; the delta
 * CRL of shard n is kept beside its base under crl_key(n, 1), a negative key.
 */
struct crl_record {
	int64_t issuer_id;
	int shard; /* crl_key(): the shard, or a delta's negative key */
	int64_t number;
	int64_t this_update, next_update;
	const uint8_t *der; /* borrowed */
	size_t der_len;
	int64_t built_seq;
	int64_t seq;
};

/* The key a CRL is stored and looked up under: shard for a base, -(shard + 1) for a delta. */
static inline int
crl_key(int shard, int delta)
{
	return delta ? -(shard + 1) : shard;
}

/* The shard a key stands for (crl_key()'s inverse); a delta when the key is negative. */
static inline int
crl_key_shard(int key)
{
	return key >= 0 ? key : -key - 1;
}

struct store;

/* How a store is opened. */
enum store_mode {
	STORE_WRITE = 0,  /* an existing store, read and written (and upgraded if older) */
	STORE_CREATE = 1, /* a new store: `lancre init` only; refuses an existing file */
	STORE_READ = 2,   /* an existing store, only read: a user who may only read it can */
	/* An existing store, read and written, without the issuers' key references (the
	 * SQLite key store is not attached; PostgreSQL's key functions refuse): the admin
	 * process, which records certificates and revocations and never signs. */
	STORE_INTAKE = 3,
};

/*
 * Open the store of the data directory dir.  location is lancre.conf's
 * [store] store, which picks the backend: a file name relative to dir, or
 * sqlite:NAME, is the embedded SQLite store; a postgresql:// (or postgres://)
 * URL is the shared PostgreSQL store, the database named in it.
 * Except with STORE_CREATE, the store must exist and be lancre's: a missing,
 * empty or foreign file is refused without writing to it.  STORE_READ writes
 * nothing, except that a store older than this lancre is upgraded by a user
 * who may write it (one who may not is told to upgrade it first).
 */
struct store *store_open(const char *dir, const char *location, enum store_mode mode,
    struct err *e);

/*
 * What store_open_ex tells besides its error.  behind: the store is a
 * read-only replica (a PostgreSQL hot standby) whose schema, version have,
 * is older than the version need this lancre needs.  Nobody can upgrade it
 * there; it catches up when it replays the primary's migration, so a
 * caller that only reads may wait and open it again (lancre serve does).
 */
struct store_open_state {
	int behind;
	int have, need;
};

/* store_open, and st (may be NULL) says why it failed. */
struct store *store_open_ex(const char *dir, const char *location, enum store_mode mode,
    struct store_open_state *st, struct err *e);
void store_close(struct store *s); /* accepts NULL */

int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
int store_rollback(struct store *s, struct err *e);

/*
 * What opening the store has to tell the operator once (an upgrade that
 * removed a PIN from a stored key reference, and what to configure instead),
 * or NULL.  The command prints it; it is not kept anywhere.
 */
const char *store_notice(const struct store *s);

/*
 * Record a new issuer with its keys (NULL: published only; sets r->has_key);
 * sets r->id.  Fails if the name is taken, or if a key reference carries a
 * PIN (pin-value=): PINs are never stored.
 */
int store_issuer_add(struct store *s, struct issuer_record *r,
    const struct store_issuer_keys *keys, struct err *e);

/*
 * The signer's own record of the certificates it has signed `revoked` (issuer
 * and serial), kept with the key references (private/keys.db for SQLite:
 * not in the file a revocation is written to), so that a store changed by
 * hand cannot make it sign `good` for one of them.  _add records one (again:
 * nothing); _each walks them all (cb non-zero stops the walk, an error).
 * Read-write handles only.
 */
int store_revoked_signed_add(struct store *s, int64_t issuer_id, const uint8_t *serial,
    size_t len, struct err *e);
int store_revoked_signed_each(struct store *s,
    int (*cb)(void *arg, int64_t issuer_id, const uint8_t *serial, size_t len), void *arg,
    struct err *e);

/*
 * The key references of issuer_id into *out: 1 found, 0 none (published
 * only).  For the signer and the issuer commands only: a STORE_READ handle
 * (the server's) has no access to them and fails.
 */
int store_issuer_keys(struct store *s, int64_t issuer_id, struct store_issuer_keys *out,
    struct err *e);

/* All issuers, ordered by name.  Free with issuer_records_free(). */
int store_issuer_list(struct store *s, struct issuer_record **out, size_t *n, struct err *e);
void issuer_records_free(struct issuer_record *v, size_t n);

/* Insert a certificate unless its (issuer, serial) is known; sets r->id when inserted. */
int store_cert_insert(struct store *s, struct cert_record *r, enum store_insert_result *res,
    struct err *e);

/*
 * store_cert_insert of *r[0], ..., *r[n-1], in that order, into res[0..n-1]
 * (and each r[i]->id, r[i]->change_seq): one call for a batch of intake,
 * which a backend may send together (PostgreSQL pipelines them instead of
 * waiting for each answer).  In the caller's transaction or one of its own;
 * on failure nothing of the batch is to be kept (the caller rolls back).
 */
int store_cert_insert_many(struct store *s, struct cert_record **r, size_t n,
    enum store_insert_result *res, struct err *e);

/* Look up by issuer and exact serial bytes: 1 found, 0 not found, -1 error. */
int store_cert_get(struct store *s, int64_t issuer_id, const uint8_t *serial, size_t len,
    struct cert_record *out, struct err *e);

/* Set status revoked with this time and reason (policy is the caller's: see revoke.h). */
int store_cert_revoke(struct store *s, int64_t cert_id, int64_t revoked_at, int reason,
    struct err *e);

/*
 * A precertificate's record (precert 1) completed by its final certificate
 * (intake.h checked it matches): the row's fingerprint becomes the final
 * certificate's and precert 0; nothing else changes (status, revocation,
 * change_seq: the OCSP responses and CRLs signed for the serial stay right,
 * they name the serial, not the certificate).  -1 if the row is no
 * precertificate's (any more).
 */
int store_cert_complete(struct store *s, int64_t cert_id, const uint8_t *fingerprint,
    struct err *e);

/*
 * Every recorded certificate (issuer_id 0: of every issuer; only_revoked: the
 * revoked ones), whole, in the order they were recorded, one at a time to cb
 * (streamed: no list is built).  cb returning non-zero stops the walk, which
 * then returns -1 with cb's message in *e.
 */
int store_cert_each(struct store *s, int64_t issuer_id, int only_revoked,
    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg, struct err *e);

/*
 * Every certificate whose key hash (cert_record.spki_sha256) is spki, of
 * every issuer (one compromised key may have certificates under several),
 * revoked or not, whole, in id order, one at a time to cb (cb non-zero
 * stops the walk: -1 with cb's message).  Then *unkeyed (NULL: not asked):
 * how many certificates have no key hash (recorded before SQLite schema 10
 * / PostgreSQL migration 6), which no search by key can find, so that the
 * caller can say its search was incomplete.  An index lookup each.
 */
int store_cert_by_spki(struct store *s, const uint8_t spki[STORE_SPKI_HASH_LEN],
    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg,
    int64_t *unkeyed, struct err *e);

/* Number of certificates, and of revoked ones, for an issuer (issuer_id 0: all). */
int store_cert_count(struct store *s, int64_t issuer_id, int64_t *total, int64_t *revoked,
    struct err *e);

/*
 * Record (der non-NULL) or remove (der NULL) an issuer's delegated OCSP
 * responder, and schedule all of the issuer's responses for re-signing.
 */
int store_issuer_set_ocsp_signer(struct store *s, int64_t issuer_id, const uint8_t *der,
    size_t len, const char *key_ref, struct err *e);

/*
 * Replace an issuer's key reference and its passphrase file (pass_ref, ""
 * for none): the key moved, or a token was replaced.  The caller checks the
 * key; a running signer reloads the issuers (issuer_seq).
 */
int store_issuer_set_key(struct store *s, int64_t issuer_id, const char *key_ref,
    const char *pass_ref, struct err *e);

/* Mark an issuer retired at `at`; fails if it is already retired. */
int store_issuer_retire(struct store *s, int64_t issuer_id, int64_t at, struct err *e);

/*
 * Whether issuer_id's certificates include CA and end-entity ones (the
 * scope of its CRLs), and with with_expiry their latest notAfter (a scan of
 * the issuer's certificates: for a retired issuer, not per CRL).
 */
int store_issuer_certs(struct store *s, int64_t issuer_id, int with_expiry,
    struct store_issuer_certs *out, struct err *e);

/*
 * What a handle is for, so that the backend can size itself (SQLite: its
 * page cache; see sqlite.c).  Set once after the open, by whoever knows:
 * the signer states its own intent on the handle it is given.
 */
enum store_intent {
	STORE_INTENT_DEFAULT = 0, /* short commands and the server's reads */
	STORE_INTENT_SIGN,        /* the signer: batches of responses written in order */
	STORE_INTENT_BULK_IMPORT, /* many certificates, indexed in random order */
	STORE_INTENT_COUNT,
};
int store_set_intent(struct store *s, enum store_intent intent, struct err *e);

/*
 * Sequence counters.  Every transaction that inserts or revokes certificates
 * takes the next STORE_SEQ_CHANGE and stamps the rows it writes with it.
 * Every OCSP response written gets the next number in STORE_SEQ_OCSP, its seq
 * (a rewritten response a new one); every CRL stored, the next STORE_SEQ_CRL.
 * A reader that remembers the highest number it has seen finds everything
 * newer with one indexed query.  STORE_SEQ_ISSUER grows with every change to
 * the issuers.  store_seq() reads a counter's current value.
 */
enum store_seq {
	STORE_SEQ_CHANGE,
	STORE_SEQ_OCSP,
	STORE_SEQ_CRL,
	STORE_SEQ_ISSUER,
	STORE_SEQ_COUNT,
};
int store_seq(struct store *s, enum store_seq which, int64_t *v, struct err *e);

/*
 * A reader with nothing to do for a while (the server's lookup and builder
 * threads, every 250 ms they wait): let go of what a waiting reader should
 * not hold.  SQLite: a read-only handle looks at the store's files as its next
 * use would, and reopens if they changed, so that an idle connection does not
 * keep a removed WAL index mapped under the process's other connections
 * (sqlite_readonly.c).  PostgreSQL: nothing, no round trip.  Its error is what
 * the handle's next use would meet.
 */
int store_idle(struct store *s, struct err *e);

/*
 * Certificates whose OCSP responses are missing or older than the
 * certificate (new, or revoked since), after *after in (change_seq, id)
 * order, not expired before min_not_after: at most max into out, count in
 * *n; fewer than max means none are left.  *after moves past what was read:
 * the last row, or further when the store passed over certificates whose
 * responses already reflect them.  This and store_ocsp_due() fill what the
 * signer needs: id, issuer_id, serial, not_after, status, revoked_at, reason,
 * change_seq and shard (its lease: store_lease_take); the other fields of each cert_record are zero.
 */
int store_certs_changed(struct store *s, struct store_cursor *after,
    int64_t min_not_after, struct cert_record *out, size_t max, size_t *n, struct err *e);

/*
 * Whether a scan of store_certs_changed standing at *at has passed c as it
 * is now (its change_seq and id as store_cert_get read them): 1 yes, 0 no.
 * `lancre status` asks it of the signer's mark (store_signed_upto).
 */
int store_cursor_passed(struct store *s, const struct store_cursor *at,
    const struct cert_record *c);

/*
 * Certificates (unexpired at min_not_after) whose responses are due at or
 * before now, in the store's order after *after, which a page moves past its
 * last row: start from {0}.  A cursor rather than "the first max due": the
 * signer reads the next page before the previous one's new due_at is
 * written.
 */
int store_ocsp_due(struct store *s, int64_t now, int64_t min_not_after,
    struct store_cursor *after, struct cert_record *out, size_t max, size_t *n,
    struct err *e);

/*
 * The signer's refresh is done: everything store_ocsp_due(now, min_not_after)
 * returned has been re-signed and written (or held).  The store may then
 * forget what it kept to find those (a backend that needs nothing here does
 * nothing).  Leaving it out is never wrong, only slower: later scans may
 * read past the same responses again.
 */
int store_ocsp_refresh_done(struct store *s, int64_t now, int64_t min_not_after,
    struct err *e);

/*
 * Insert or replace the responses r[0..n-1], each for its (cert_id, hash), in
 * one transaction (the caller's, if open); sets their seq, in array order.
 * Many at a time is much cheaper per response than one at a time.
 */
int store_ocsp_put(struct store *s, struct ocsp_record *r, size_t n, struct err *e);

/*
 * The signer's mark in the changed certificates (struct store_signed_upto,
 * above), kept so that a restarted signer resumes there instead of looking
 * for every older certificate's responses again (about 1 s per million
 * certificates, during which a new revocation waits).  Set it only once the
 * responses it vouches for are written; {0} until the first set.
 */
int store_signed_upto_get(struct store *s, struct store_signed_upto *u, struct err *e);
int store_signed_upto_set(struct store *s, const struct store_signed_upto *u, struct err *e);

/*
 * Leases: several signers on one store share the work (issue 18, "Many
 * signers").  The unit of work is an issuer's CRL shard: shard 1..N stands
 * for that shard's certificates (cert_record.shard, fixed at intake: a
 * range of serials), their OCSP responses and the shard's CRL and delta;
 * shard 0 for the issuer's full CRL.  A signer (a holder, named by the
 * signer: signer/lease.c) signs and writes only for the units it holds; a
 * lease lasts `secs` seconds from its take or last renewal, and once
 * expired anyone may take it.  Each unit keeps its own mark in the changed
 * certificates (struct store_signed_upto), so a signer that takes a unit
 * over resumes where the last holder stopped.
 *
 * Whose clock: the caller passes its own (now), which a store on one host
 * (SQLite) keeps time by; a store shared by several hosts (PostgreSQL)
 * ignores it and keeps time by its own (the database server's), so a signer
 * whose clock runs ahead cannot see the others' leases expired.  expires_at
 * is always in the store's time; a length of 0 or less makes a lease that
 * has expired already (tests).
 */
#define STORE_LEASE_HOLDER_MAX 127
struct store_lease {
	int64_t issuer_id;
	int shard;                               /* 1..N, or 0: the full CRL */
	char holder[STORE_LEASE_HOLDER_MAX + 1]; /* "": nobody */
	int64_t expires_at;                      /* the store's time */
	int expired; /* store_lease_each: the lease expired before now (the store's clock) */
	struct store_signed_upto upto; /* the unit's mark ({0}: none) */
};

/*
 * Take unit (l->issuer_id, l->shard) for l->holder for secs if nobody
 * holds it, its lease expired, or l->holder holds it already: 1,
 * l->expires_at its new expiry and l->upto the unit's mark; else 0,
 * nothing written.  A unit never leased before is made, its mark the
 * store's (store_signed_upto: what a single signer before leases had
 * signed).
 */
int store_lease_take(struct store *s, struct store_lease *l, int64_t now, int64_t secs,
    struct err *e);

/*
 * The holder is alive for secs more, and so are the leases it holds (those
 * expired that nobody took included).  *live: the holders alive now, it
 * among them; holders long dead are forgotten.
 */
int store_lease_renew(struct store *s, const char *holder, int64_t now, int64_t secs,
    int64_t *live, struct err *e);

/* Every unit ever leased, to cb (non-zero stops the walk, an error); expired as of now. */
int store_lease_each(struct store *s, int64_t now,
    int (*cb)(void *arg, const struct store_lease *l, struct err *e), void *arg, struct err *e);

/*
 * A holder another signer knows to be dead (its process is gone): free
 * its units and forget it, unless it renewed after `seen` (the latest
 * expires_at the caller saw of it): then nothing changes.  *n: the units
 * freed.
 */
int store_lease_evict(struct store *s, const char *holder, int64_t seen, int64_t *n,
    struct err *e);

/*
 * Give back holder's unit (issuer_id, shard), or with issuer_id 0 all its
 * units, and forget the holder (a clean exit): free at once, marks kept.
 */
int store_lease_release(struct store *s, const char *holder, int64_t issuer_id, int shard,
    struct err *e);

/*
 * The fence, inside the caller's transaction (store_begin; an error
 * outside one): the units holder holds now, each to cb (issuer_id, shard),
 * expired or not, and none of them can be taken from it before the
 * transaction ends.  A signer writes only what belongs to those units, so
 * one whose leases were taken (it stalled past its lease) writes nothing
 * over its successor's work.  cb returning non-zero fails the call (out of
 * memory).
 */
int store_lease_fence(struct store *s, const char *holder,
    int (*cb)(void *arg, int64_t issuer_id, int shard), void *arg, struct err *e);

/* Set the mark of every unit of issuer_id that holder holds. */
int store_lease_mark(struct store *s, const char *holder, int64_t issuer_id,
    const struct store_signed_upto *u, struct err *e);

/*
 * What holder can sign: the n issuers of issuer_ids (ids > 0), those whose
 * keys it has and that sign, so that peers give it only units it can sign
 * (signer/lease.c).  Replaces what it published before; nothing is written
 * when that is unchanged.  Publishing none is published too (a holder that
 * signs nothing), unlike never publishing (an older signer: its keys
 * unknown).  Forgotten with the holder (its renewal expired and a renewal
 * forgot it, store_lease_evict, store_lease_release of all its units).
 * Called in the transaction of holder's renewal (store_begin), peers never
 * see it alive without what it signs.
 */
int store_lease_signs(struct store *s, const char *holder, const int64_t *issuer_ids, size_t n,
    struct err *e);

/*
 * What the holders alive as of now (the store's clock) published with
 * store_lease_signs: cb(holder, issuer_id) for each issuer of each, and
 * once cb(holder, 0) for each holder that published, even nothing.
 * cb returning non-zero stops the walk (an error).
 */
int store_lease_signers(struct store *s, int64_t now,
    int (*cb)(void *arg, const char *holder, int64_t issuer_id, struct err *e), void *arg,
    struct err *e);

/*
 * Whether a changed-certificates cursor (store_certs_changed) is behind
 * another: every backend's are ordered by their words in turn.
 */
static inline int
store_cursor_before(const struct store_cursor *a, const struct store_cursor *b)
{
	for (int i = 0; i < STORE_CURSOR_WORDS; i++)
		if (a->pos[i] != b->pos[i])
			return a->pos[i] < b->pos[i];
	return 0;
}

/*
 * Delete the responses of certificates that expired before expired_before.
 * The store remembers the cutoff and looks only at
 * certificates that expired since the last purge: the signer writes no
 * response for an expired certificate, so none is left behind.
 */
int store_ocsp_purge(struct store *s, int64_t expired_before, int64_t *deleted, struct err *e);

/*
 * Clock steps.  The store keeps the newest thisUpdate of the responses
 * written; *newest gets it (0: none yet).  When it is after `after`, the
 * clock went back since: every response dated after `after` is made due now
 * (*n of them) and the newest comes down to after, in one transaction.
 * Otherwise nothing is written (one read: cheap enough for every pass;
 * after = INT64_MAX only reads it).  A store written by a version that did
 * not keep it has it computed once from every response, a scan of them.
 */
int store_ocsp_future_due(struct store *s, int64_t after, int64_t *newest, int64_t *n,
    struct err *e);

/*
 * An issuer the signer cannot sign for (its key fails to load): its
 * responses due at now are held (*n of them), no longer due, so that later
 * passes do not read them again; the store remembers, across restarts, that
 * the issuer has some held.  Nothing due: nothing written.
 */
int store_ocsp_hold(struct store *s, int64_t issuer_id, int64_t now, int64_t *n,
    struct err *e);

/*
 * The issuer can be signed for again: its held responses are due at once (*n
 * of them).  One read when it has none held, as on every issuer load.
 */
int store_ocsp_release(struct store *s, int64_t issuer_id, int64_t *n, struct err *e);

/*
 * Whether the signer can sign for an issuer (its key loaded and signs: 1,
 * or not: 0), as the signer records it; only a change is written, and each
 * raises a counter.  store_key_state_get gives that counter in *seq (0: no
 * state ever recorded) and, for issuer_id > 0, the issuer's state in
 * *available (-1: never recorded).  The server shows it on /metrics.
 */
int store_key_state_set(struct store *s, int64_t issuer_id, int available, struct err *e);
int store_key_state_get(struct store *s, int64_t issuer_id, int *available, int64_t *seq,
    struct err *e);

/* Why the signer refused to sign (defence in depth), as counted in the store. */
enum store_refusal {
	STORE_REFUSED_REVOKED_BEFORE, /* good for a certificate it signed revoked */
	STORE_REFUSED_NO_CERTIFICATE, /* a serial with no issued certificate (no fingerprint) */
	STORE_REFUSED_BAD_ISSUER,     /* an issuer whose name or shard count cannot be a file name */
	STORE_REFUSED_COUNT,
};

/*
 * The signer's refusals, counted by reason where the server, a separate
 * process, reads them (lancre_signer_refusals_total on /metrics), as it
 * reads store_key_state_get.  store_refusals_add adds add[r] to each count
 * (nothing written when all are 0) and raises the same counter as a key
 * state change; store_refusals_get reads the totals (0: never counted).
 */
int store_refusals_add(struct store *s, const int64_t add[STORE_REFUSED_COUNT], struct err *e);
int store_refusals_get(struct store *s, int64_t out[STORE_REFUSED_COUNT], struct err *e);

/*
 * Wait, up to timeout_ms, for another process to commit something the
 * public server serves (responses, CRLs, issuers, key states: what
 * store_seq() and store_key_state_get() read).  1: there may be something
 * new, read the counters; 0: nothing new for certain; -1 error (the
 * connection is lost: the next call tries to get it back, and returns 1
 * once it has, since anything may have changed meanwhile).  A backend that
 * cannot be told (SQLite, a file) sleeps timeout_ms and returns 1; one that
 * can (PostgreSQL: LISTEN/NOTIFY) returns as soon as a change commits, and
 * 0 on a quiet timeout, except every few seconds, when it returns 1 anyway
 * so that a lost notification costs a delay, never a change missed.
 * For a handle that only reads (the server's), outside a transaction.
 */
int store_changes_wait(struct store *s, int timeout_ms, struct err *e);

/*
 * Call cb for every stored response with seq > after_seq, in seq order, with
 * issuer_id and serial filled in.  cb returning non-zero stops the walk (and
 * makes this return -1 with cb's message in e, if it set one).
 */
int store_ocsp_each(struct store *s, int64_t after_seq,
    int (*cb)(void *arg, const struct ocsp_record *r), void *arg, struct err *e);

/*
 * The stored response of one certificate, issuer_id's serial (exact bytes),
 * for CertID hash `hash`: a point lookup, for a server that does not hold
 * every response in memory.  1: found, cb called once with the row as
 * store_ocsp_each gives it (seq included; der borrowed for the call); 0: no
 * such certificate or no response for it yet; -1 error.  cb's return is
 * ignored.  Outside a transaction it reads what was committed before the
 * call, on every handle: a cache filled from it (ocsp/cache.h) is only as
 * fresh as this read.
 */
int store_ocsp_get(struct store *s, int64_t issuer_id, enum ocsp_hash hash, const uint8_t *serial,
    size_t len, int (*cb)(void *arg, const struct ocsp_record *r), void *arg, struct err *e);

/* The stored CRL for (issuer, shard) without its bytes: 1 found, 0 none. */
int store_crl_get(struct store *s, int64_t issuer_id, int shard, struct crl_record *out,
    struct err *e);

/*
 * Insert or replace a CRL; sets r->seq (STORE_SEQ_CRL).  Its number must be
 * above every number stored for its shard, base and delta alike (one
 * sequence per scope, RFC 5280 5.2.3): a lower or equal one is refused and
 * nothing is stored, whichever signer wrote the other.
 */
int store_crl_put(struct store *s, struct crl_record *r, struct err *e);

/*
 * The walks below call cb for each row; cb returning non-zero stops the walk
 * and makes it return -1, cb having said why in e (its last argument).
 */

/* Every stored CRL, with its bytes. */
int store_crl_each(struct store *s, int (*cb)(void *arg, const struct crl_record *r, struct err *e), void *arg,
    struct err *e);

/*
 * The revoked certificates of an issuer's shard (shard 0: all shards), with
 * notAfter >= min_not_after and change_seq > after_seq (0: all; a delta CRL
 * passes its base's built_seq), in no particular order; cb gets serial,
 * revoked_at and reason filled in.
 */
int store_crl_entries(struct store *s, int64_t issuer_id, int shard, int64_t min_not_after,
    int64_t after_seq, int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg, struct err *e);

/*
 * For each (issuer, shard) with a revocation whose change_seq > after_seq:
 * the highest seq, and n, how many (the signer's guess at a CRL's growth).
 */
int store_revoked_since(struct store *s, int64_t after_seq,
    int (*cb)(void *arg, int64_t issuer_id, int shard, int64_t seq, int64_t n, struct err *e), void *arg,
    struct err *e);

/*
 * Tokens (issue 19, "Who may do it"): bearer tokens of the admin API, each
 * with a name and scopes.  The secret is never stored: hash is the SHA-256
 * of the token's whole text (`lct_` + 43 base64url characters, 32 random
 * bytes; admin/token.h), and a token is found by that hash, so the lookup
 * key is a hash of the secret, not the secret: how long it takes tells an
 * attacker nothing about the secret's bytes.  A name belongs to one active
 * token at a time; a revoked token keeps its row (and its name may be given
 * to a new one).
 */
#define TOKEN_SCOPE_INTAKE 1u
#define TOKEN_SCOPE_REVOKE 2u
#define TOKEN_SCOPE_READ 4u
#define TOKEN_SCOPE_ALL (TOKEN_SCOPE_INTAKE | TOKEN_SCOPE_REVOKE | TOKEN_SCOPE_READ)
#define STORE_TOKEN_NAME_MAX 63

struct token_record {
	int64_t id;
	char name[64];
	unsigned scopes; /* TOKEN_SCOPE_* bits */
	uint8_t hash[32]; /* SHA-256 of the secret */
	int64_t created, revoked; /* revoked: 0 while active */
};

/*
 * Record a token as given (created and revoked included: `lancre store
 * copy` writes revoked ones too).  Refused: an active token of that name
 * exists already, or the same hash is stored.
 */
int store_token_put(struct store *s, const struct token_record *t, struct err *e);
/* The active token whose hash is hash: 1 found (into *out), 0 none (or revoked), -1 error. */
int store_token_find(struct store *s, const uint8_t hash[32], struct token_record *out,
    struct err *e);
/* Revoke the active token named name at now: 1 revoked, 0 no active token of that name. */
int store_token_revoke(struct store *s, const char *name, int64_t now, struct err *e);
/* Every token, revoked ones included, by name then id; cb non-zero stops the walk (-1). */
int store_token_each(struct store *s,
    int (*cb)(void *arg, const struct token_record *t, struct err *e), void *arg, struct err *e);

/*
 * The audit trail (issue 19, "An audit trail you can check"): one row per
 * change, appended in the same transaction as the change it records (the
 * caller's; its own when none is open).  Rows are numbered 1, 2, ... in
 * commit order and hash-chained: row n's hash is SHA-256 over row n-1's
 * hash (32 zero bytes for row 1) and a canonical, length-prefixed encoding
 * of row n's fields, its number included (store/audit.h, audit_hash()).
 * The store keeps the chain's head (the last number and hash) beside the
 * rows, taken and moved inside the writing transaction, so concurrent
 * writers chain in the order they commit (PostgreSQL: THE CURSOR RULE).
 */
struct audit_event {
	int64_t at;
	const char *actor;  /* "token:NAME", "tls:SUBJECT", "cli:USER" */
	const char *origin; /* "127.0.0.1:5555", "cli" */
	const char *action; /* "cert.add", "cert.revoke", "issuer.add", "issuer.change",
			       "issuer.retire", "token.add", "token.revoke" */
	int64_t issuer_id;  /* 0: none */
	const uint8_t *serial; /* NULL (serial_len 0): none */
	size_t serial_len;
	const char *detail; /* JSON ("" or NULL: none) */
};

int store_audit_append(struct store *s, const struct audit_event *ev, struct err *e);
/* ev[0..n-1] in that order, one head taken for all (a batch of intake). */
int store_audit_append_many(struct store *s, const struct audit_event *ev, size_t n,
    struct err *e);

/* A stored row: the event (strings and serial borrowed for the call), its number and hash. */
struct audit_record {
	int64_t id;
	struct audit_event ev;
	uint8_t hash[32];
};

/* Which rows store_audit_each gives: every field 0 / NULL matches all. */
struct audit_filter {
	int64_t after_id;  /* rows numbered above it */
	int64_t issuer_id;
	const uint8_t *serial;
	size_t serial_len;
	int64_t since; /* at >= since */
};

/* The rows that f lets through (NULL: all), in number order, to cb (non-zero stops: -1). */
int store_audit_each(struct store *s, const struct audit_filter *f,
    int (*cb)(void *arg, const struct audit_record *r, struct err *e), void *arg, struct err *e);
/* The chain's head: the last row's number (0: none yet) and hash (zeros: none). */
int store_audit_head(struct store *s, int64_t *id, uint8_t hash[32], struct err *e);
/*
 * Record r[0..n-1] exactly, numbers and hashes as given (`lancre store
 * copy`), after every row imported before; the head moves to the last.
 */
int store_audit_import(struct store *s, const struct audit_record *r, size_t n, struct err *e);

/*
 * Copying a store to another one, of any backend (store/copy.c, `lancre
 * store copy`).  The operations above give new ids and take new sequence
 * numbers; these write records exactly as another store holds them, ids,
 * change_seq, status and seqs included, so that after the copy nothing
 * looks changed to the signer (nothing is re-signed) and the server serves
 * the same bytes.  They are for an empty target, or one that a copy in
 * progress has filled: a record already there is an error (except for
 * store_crl_import, which replaces).  Like every write they join the
 * caller's transaction when one is open, so a batch and the copy's
 * progress mark commit together.  They maintain what the backend derives
 * from the rows (SQLite: its due ranges and internal counters), never the
 * contract's counters, which store_seq_raise sets at the end.
 */

/*
 * Record an issuer exactly: its id, name, certificate, has_key, shards,
 * added_at, delegated responder and retired_at, and its key references
 * (keys NULL: none; a reference with a PIN is refused).
 */
int store_issuer_import(struct store *s, const struct issuer_record *r,
    const struct store_issuer_keys *keys, struct err *e);

/*
 * Every certificate with id > after_id, whole, in id order, to cb, streamed
 * (bounded memory, whatever the count); cb returning non-zero stops the
 * walk, which returns -1 with cb's message.
 */
int store_cert_export(struct store *s, int64_t after_id,
    int (*cb)(void *arg, const struct cert_record *c, struct err *e), void *arg, struct err *e);

/* Record r[0..n-1] exactly (id, change_seq, status, revocation, fingerprint...). */
int store_cert_import(struct store *s, const struct cert_record *r, size_t n, struct err *e);

/*
 * Record the responses r[0..n-1] exactly, each with its seq (its place in
 * the write order, which store_ocsp_each follows), cert_seq, due_at and
 * dates; r is in seq order and follows every response imported before.
 */
int store_ocsp_import(struct store *s, const struct ocsp_record *r, size_t n, struct err *e);

/* Record a CRL exactly (number, built_seq, seq), replacing any of its (issuer, shard). */
int store_crl_import(struct store *s, const struct crl_record *r, struct err *e);

/* Raise counter which to v if it is below (never lowers it). */
int store_seq_raise(struct store *s, enum store_seq which, int64_t v, struct err *e);

/*
 * Where a copy into this store stands, kept in it so that an interrupted
 * copy resumes: which store it copies (source, an identity copy.c derives
 * from the source's content), the step it is at and how far that step got
 * (an id, a seq or a count: copy.c's terms).  _get: 1 and *m when a copy
 * has written to this store, 0 (and {0}) when none has.
 */
struct store_copy_mark {
	int64_t source;
	int64_t step;
	int64_t done;
};
int store_copy_mark_get(struct store *s, struct store_copy_mark *m, struct err *e);
int store_copy_mark_set(struct store *s, const struct store_copy_mark *m, struct err *e);

#endif
