/*
 * sqlite.c - the embedded store: one SQLite database file in the data dir.
 *
 * Design:
 *  - WAL journal, so the public server and the signer can read while the CLI
 *    writes; synchronous=NORMAL, which in WAL mode keeps every committed
 *    transaction across a process crash (only an OS crash may lose the last
 *    ones, never corrupt the file).
 *  - 8 KiB pages for a new store (SQLite's default is 4 KiB; an existing
 *    store keeps its own): half the WAL frames, reads and B-tree splits per
 *    row, 15-20% less CPU per stored OCSP response (docs/DESIGN.md).
 *  - temp_store=MEMORY: every INSERT OR REPLACE of the signer keeps a
 *    statement journal, which SQLite otherwise writes to a temporary file
 *    (a tenth of the signer's system time went to those writes).
 *  - The schema is versioned with PRAGMA user_version and upgraded by the
 *    ordered `migrations` list below, each step in its own transaction.  A
 *    database newer than this binary is refused rather than guessed at.
 *  - Statements on the hot paths (certificate insert and lookup) are prepared
 *    once per connection.
 *  - A busy timeout lets short writers from other processes (a `lancre revoke`
 *    next to a running signer) wait for each other instead of failing.
 *  - Writers keep the -wal and -shm files when they close (PERSIST_WAL, the
 *    WAL truncated to SQLITE_JOURNAL_SIZE_LIMIT), so that the public server,
 *    which opens the store read-only and may not create files beside it
 *    (sqlite_readonly.c), finds them whichever process started first.  A new
 *    store is created 0640 whatever the umask: its owner (the signer) writes,
 *    its group (the server's) reads, nobody else; SQLite gives the -wal and
 *    -shm the database's mode.
 */
#include "store/sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SQLITE_PAGE_SIZE "8192" /* for new stores: see above */
/*
 * The WAL a writer leaves behind when it closes: truncated to this, never
 * removed (SQLITE_FCNTL_PERSIST_WAL), so that a reader who may not create
 * the -wal and -shm files (the public server) always finds them.
 */
#define SQLITE_JOURNAL_SIZE_LIMIT "16777216"

static const char *const migrations[] = {
    /* 1: issuers, certificates, signed OCSP responses, sequence counters. */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value INTEGER NOT NULL"
    ");"
    "INSERT INTO meta (key, value) VALUES ('change_seq', 0), ('ocsp_seq', 0), ('issuer_seq', 0),"
    "  ('crl_seq', 0);"
    "CREATE TABLE issuers ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  cert BLOB NOT NULL,"
    "  key_ref TEXT NOT NULL," /* '' for a published-only certificate */
    "  crl_shards INTEGER NOT NULL CHECK (crl_shards >= 1),"
    "  added_at INTEGER NOT NULL,"
    "  ocsp_cert BLOB," /* delegated OCSP signing certificate, if any */
    "  ocsp_key_ref TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE TABLE certificates ("
    "  id INTEGER PRIMARY KEY,"
    "  issuer_id INTEGER NOT NULL REFERENCES issuers(id),"
    "  serial BLOB NOT NULL,"
    "  not_before INTEGER NOT NULL,"
    "  not_after INTEGER NOT NULL,"
    "  status INTEGER NOT NULL DEFAULT 0 CHECK (status IN (0, 1)),"
    "  revoked_at INTEGER,"
    "  reason INTEGER,"
    "  shard INTEGER NOT NULL CHECK (shard >= 1),"
    "  fingerprint BLOB NOT NULL,"
    "  added_at INTEGER NOT NULL,"
    "  changed_at INTEGER NOT NULL,"
    "  change_seq INTEGER NOT NULL," /* meta change_seq of the last insert/revoke */
    "  UNIQUE (issuer_id, serial)"
    ");"
    "CREATE INDEX certificates_revoked ON certificates (issuer_id, shard) WHERE status = 1;"
    "CREATE INDEX certificates_change_seq ON certificates (change_seq);"
    "CREATE INDEX certificates_not_after ON certificates (not_after);"
    "CREATE TABLE ocsp_responses ("
    "  cert_id INTEGER NOT NULL REFERENCES certificates(id) ON DELETE CASCADE,"
    "  hash_alg INTEGER NOT NULL," /* CertID hash: 1 SHA-1, 2 SHA-256 */
    "  der BLOB NOT NULL,"
    "  this_update INTEGER NOT NULL,"
    "  next_update INTEGER NOT NULL,"
    "  due_at INTEGER NOT NULL,"   /* when the signer re-signs it */
    "  cert_seq INTEGER NOT NULL," /* the certificate's change_seq it reflects */
    "  seq INTEGER NOT NULL,"      /* meta ocsp_seq when written: readers load seq > last */
    "  PRIMARY KEY (cert_id, hash_alg)"
    ") WITHOUT ROWID;"
    "CREATE INDEX ocsp_responses_due ON ocsp_responses (due_at);"
    "CREATE INDEX ocsp_responses_seq ON ocsp_responses (seq);"
    "CREATE TABLE crls ("
    "  issuer_id INTEGER NOT NULL REFERENCES issuers(id),"
    "  shard INTEGER NOT NULL," /* 1..N; 0 is the issuer's full CRL */
    "  number INTEGER NOT NULL," /* CRL number: thisUpdate in nanoseconds, or more */
    "  this_update INTEGER NOT NULL,"
    "  next_update INTEGER NOT NULL,"
    "  der BLOB NOT NULL,"
    "  built_seq INTEGER NOT NULL," /* the change_seq of certificates it reflects */
    "  seq INTEGER NOT NULL,"       /* meta crl_seq when written */
    "  PRIMARY KEY (issuer_id, shard)"
    ") WITHOUT ROWID;",
    /*
     * 2: ocsp_responses as a rowid table with a unique (cert_id, hash_alg)
     * index, and no foreign key.  Each ~300-byte response used to sit in the
     * WITHOUT ROWID primary key's B-tree, and every insert also checked the
     * certificate's row; together 9% of `lancre sign`'s CPU (either change
     * alone gained nothing measurable; docs/BENCHMARKS.md).  The key it
     * dropped is kept by the only writer: the signer stores responses for
     * certificates it has just read, and certificates are never deleted.
     * The due index carries cert_id so that the signer's (due_at, cert_id)
     * cursor is an index range, not a sort.
     */
    "CREATE TABLE ocsp_responses_v2 ("
    "  cert_id INTEGER NOT NULL," /* certificates.id */
    "  hash_alg INTEGER NOT NULL," /* CertID hash: 1 SHA-1, 2 SHA-256 */
    "  der BLOB NOT NULL,"
    "  this_update INTEGER NOT NULL,"
    "  next_update INTEGER NOT NULL,"
    "  due_at INTEGER NOT NULL,"   /* when the signer re-signs it */
    "  cert_seq INTEGER NOT NULL," /* the certificate's change_seq it reflects */
    "  seq INTEGER NOT NULL"       /* meta ocsp_seq when written: readers load seq > last */
    ");"
    "INSERT INTO ocsp_responses_v2 (cert_id, hash_alg, der, this_update, next_update, due_at,"
    "  cert_seq, seq) SELECT cert_id, hash_alg, der, this_update, next_update, due_at,"
    "  cert_seq, seq FROM ocsp_responses ORDER BY seq, cert_id, hash_alg;"
    "DROP TABLE ocsp_responses;"
    "ALTER TABLE ocsp_responses_v2 RENAME TO ocsp_responses;"
    "CREATE UNIQUE INDEX ocsp_responses_cert ON ocsp_responses (cert_id, hash_alg);"
    "CREATE INDEX ocsp_responses_due ON ocsp_responses (due_at, cert_id);"
    "CREATE INDEX ocsp_responses_seq ON ocsp_responses (seq);",
    /*
     * 3: the due index holds only the SHA-1 rows, the ones the signer's
     * refresh reads (a certificate's SHA-1 row stands for both variants):
     * storing a SHA-256 response is one index write cheaper.
     */
    ("DROP INDEX ocsp_responses_due;"
     "CREATE INDEX ocsp_responses_due ON ocsp_responses (due_at, cert_id) WHERE hash_alg = 1;"),
    /*
     * 4: no index on due_at or seq.  A response's id is its write order
     * (AUTOINCREMENT: a rewritten response gets a new id, never an old one),
     * which the server's reload follows instead of seq; each write records
     * its range of ids and their earliest due_at in ocsp_due (indexed by
     * due_at: a running signer writes many small ranges), which the signer's
     * refresh reads instead of a due index on responses: one row per batch
     * instead of two index entries per response (3.9 -> 2.2 us per stored
     * response; docs/DESIGN.md).  Rows are copied in write order and the
     * ranges cut every 4,096 ids, as the signer writes them; meta ocsp_seq
     * becomes the highest id.  Meta ocsp_cert_seq, the highest cert_seq of
     * any response, spares the search for changed certificates its join
     * above it (sqlite_ocsp.c).
     */
    "CREATE TABLE ocsp_responses_v4 ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT," /* write order: readers load id > last */
    "  cert_id INTEGER NOT NULL," /* certificates.id */
    "  hash_alg INTEGER NOT NULL," /* CertID hash: 1 SHA-1, 2 SHA-256 */
    "  der BLOB NOT NULL,"
    "  this_update INTEGER NOT NULL,"
    "  next_update INTEGER NOT NULL,"
    "  due_at INTEGER NOT NULL,"   /* when the signer re-signs it */
    "  cert_seq INTEGER NOT NULL"  /* the certificate's change_seq it reflects */
    ");"
    "INSERT INTO ocsp_responses_v4 (cert_id, hash_alg, der, this_update, next_update, due_at,"
    "  cert_seq) SELECT cert_id, hash_alg, der, this_update, next_update, due_at, cert_seq"
    "  FROM ocsp_responses ORDER BY seq, cert_id, hash_alg;"
    "DROP TABLE ocsp_responses;"
    "ALTER TABLE ocsp_responses_v4 RENAME TO ocsp_responses;"
    "CREATE UNIQUE INDEX ocsp_responses_cert ON ocsp_responses (cert_id, hash_alg);"
    "CREATE TABLE ocsp_due ("
    "  last_id INTEGER PRIMARY KEY," /* ocsp_responses ids first_id..last_id */
    "  first_id INTEGER NOT NULL,"
    "  due_at INTEGER NOT NULL" /* at or before the earliest due SHA-1 response in it */
    ");"
    "CREATE INDEX ocsp_due_due ON ocsp_due (due_at);"
    "INSERT INTO ocsp_due (last_id, first_id, due_at) SELECT max(id), min(id),"
    "  coalesce(min(CASE WHEN hash_alg = 1 THEN due_at END), 9223372036854775807)"
    "  FROM ocsp_responses GROUP BY (id - 1) / 4096;"
    "UPDATE meta SET value = (SELECT coalesce(max(id), 0) FROM ocsp_responses)"
    "  WHERE key = 'ocsp_seq';"
    "INSERT OR REPLACE INTO meta (key, value)"
    "  SELECT 'ocsp_cert_seq', coalesce(max(cert_seq), 0) FROM ocsp_responses;",
    /*
     * 5: crls as a rowid table, its der last.  WITHOUT ROWID, a lookup by
     * (issuer_id, shard) copied whole CRLs to compare keys (SQLite assembles
     * an overflowing row's full record to compare it), and reading built_seq
     * and seq, stored after der, walked der's overflow pages: the signer,
     * which looks at every CRL on each pass (five a second), spent about 1%
     * of a core per 10 MB of CRLs doing so.  Now the (issuer_id, shard)
     * index finds the row by its id, and the columns before der are read
     * without touching der's pages.
     */
    "CREATE TABLE crls_v5 ("
    "  id INTEGER PRIMARY KEY,"
    "  issuer_id INTEGER NOT NULL REFERENCES issuers(id),"
    "  shard INTEGER NOT NULL," /* 1..N; 0 the full CRL; -(n + 1) the delta of n */
    "  number INTEGER NOT NULL," /* CRL number: thisUpdate in nanoseconds, or more */
    "  this_update INTEGER NOT NULL,"
    "  next_update INTEGER NOT NULL,"
    "  built_seq INTEGER NOT NULL," /* the change_seq of certificates it reflects */
    "  seq INTEGER NOT NULL,"       /* meta crl_seq when written */
    "  der BLOB NOT NULL,"          /* last: see above */
    "  UNIQUE (issuer_id, shard)"
    ");"
    "INSERT INTO crls_v5 (issuer_id, shard, number, this_update, next_update, built_seq, seq,"
    "  der) SELECT issuer_id, shard, number, this_update, next_update, built_seq, seq, der"
    "  FROM crls ORDER BY issuer_id, shard;"
    "DROP TABLE crls;"
    "ALTER TABLE crls_v5 RENAME TO crls;",
    /*
     * 6: issuer management.  key_pass_ref: the file holding an encrypted
     * PEM key's passphrase (its path, never the passphrase); retired_at:
     * when `lancre issuer retire` stopped the issuer (0: active); is_ca: a
     * recorded certificate that is itself a CA (a root's intermediate), with
     * a partial index, a few rows, that tells whether an issuer's CRLs are
     * ARLs (sqlite_issuer.c).
     */
    "ALTER TABLE issuers ADD COLUMN key_pass_ref TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE issuers ADD COLUMN retired_at INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE certificates ADD COLUMN is_ca INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX certificates_ca ON certificates (issuer_id) WHERE is_ca = 1;",
    /*
     * 7: who may change what (issue 16).  Key references move to the key
     * store (DIR/private/keys.db, sqlite_keys.c), attached as lancre_keys,
     * and are blanked here, with secure_delete on and the WAL checkpointed
     * and truncated after (migrate()), so that their text does not stay in
     * a free page or a WAL frame; has_key says whether an issuer signs.  The
     * PINs stored URIs held are removed (sqlite_keys_strip_pins, after this
     * step's SQL).  Triggers refuse, whoever asks: key references in
     * lancre.db; a revoked certificate made good again or deleted
     * (revocation is final; reason and date may still change, by `revoke`).
     */
    "ALTER TABLE issuers ADD COLUMN has_key INTEGER NOT NULL DEFAULT 0;"
    "INSERT OR REPLACE INTO lancre_keys.issuer_keys (issuer_id, key_ref, key_pass_ref,"
    "  ocsp_key_ref) SELECT id, key_ref, key_pass_ref, ocsp_key_ref FROM main.issuers"
    "  WHERE key_ref != '' OR key_pass_ref != '' OR ocsp_key_ref != '';"
    "UPDATE main.issuers SET has_key = (key_ref != '');"
    "UPDATE main.issuers SET key_ref = '', key_pass_ref = '', ocsp_key_ref = ''"
    "  WHERE key_ref != '' OR key_pass_ref != '' OR ocsp_key_ref != '';"
    "CREATE TRIGGER issuers_no_key_refs BEFORE INSERT ON issuers"
    "  WHEN NEW.key_ref != '' OR NEW.key_pass_ref != '' OR NEW.ocsp_key_ref != ''"
    "  BEGIN SELECT RAISE(ABORT, 'key references are kept in private/keys.db, not in"
    " lancre.db'); END;"
    "CREATE TRIGGER issuers_no_key_refs_update"
    "  BEFORE UPDATE OF key_ref, key_pass_ref, ocsp_key_ref ON issuers"
    "  WHEN NEW.key_ref != '' OR NEW.key_pass_ref != '' OR NEW.ocsp_key_ref != ''"
    "  BEGIN SELECT RAISE(ABORT, 'key references are kept in private/keys.db, not in"
    " lancre.db'); END;"
    "CREATE TRIGGER certificates_revocation_final BEFORE UPDATE OF status ON certificates"
    "  WHEN OLD.status = 1 AND NEW.status != 1"
    "  BEGIN SELECT RAISE(ABORT, 'a revoked certificate stays revoked: revocation is"
    " final'); END;"
    "CREATE TRIGGER certificates_revoked_kept BEFORE DELETE ON certificates"
    "  WHEN OLD.status = 1"
    "  BEGIN SELECT RAISE(ABORT, 'a revoked certificate stays revoked: it cannot be"
    " deleted'); END;",
    /*
     * 8: many signers (issue 18; sqlite_lease.c, store.h's leases): a row per
     * unit (issuer, CRL shard) ever leased, with its holder, the expiry of
     * its lease and the unit's mark in the changed certificates; and the
     * holders alive.  A store that had one signer gets the rows as its
     * signer first takes the units, each starting from the global mark.
     */
    "CREATE TABLE leases ("
    "  issuer_id INTEGER NOT NULL REFERENCES issuers(id),"
    "  shard INTEGER NOT NULL,"
    "  holder TEXT NOT NULL DEFAULT '',"
    "  expires_at INTEGER NOT NULL DEFAULT 0,"
    "  mark_issuer_seq INTEGER NOT NULL DEFAULT 0,"
    "  mark0 INTEGER NOT NULL DEFAULT 0,"
    "  mark1 INTEGER NOT NULL DEFAULT 0,"
    "  mark2 INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (issuer_id, shard)"
    ");"
    "CREATE INDEX leases_holder ON leases (holder);"
    "CREATE TABLE lease_holders ("
    "  holder TEXT PRIMARY KEY,"
    "  expires_at INTEGER NOT NULL"
    ");",
    /*
     * 9: who may change what, and what was changed (issue 19; sqlite_audit.c,
     * store.h's tokens and audit trail).  tokens: the admin API's bearer
     * tokens, by the SHA-256 of their text (never the text); one active
     * token per name, a revoked one kept.  audit: one row per change,
     * numbered in commit order, each hash chained to the one before
     * (store/audit.h); audit_head, one row: the last number and hash, taken
     * and moved by every append in its transaction.  No index on audit
     * but its number: the listing's filters scan (a rare command), intake
     * writes a row per certificate and pays no index for it.
     */
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  scopes INTEGER NOT NULL,"
    "  hash BLOB NOT NULL UNIQUE," /* SHA-256 of the token's text */
    "  created INTEGER NOT NULL,"
    "  revoked INTEGER NOT NULL DEFAULT 0" /* 0: active */
    ");"
    "CREATE UNIQUE INDEX tokens_active_name ON tokens (name) WHERE revoked = 0;"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY," /* 1, 2, ...: the chain's order */
    "  at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  origin TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  issuer_id INTEGER NOT NULL DEFAULT 0," /* 0: none */
    "  serial BLOB NOT NULL DEFAULT x''," /* empty: none */
    "  detail TEXT NOT NULL DEFAULT ''," /* JSON */
    "  hash BLOB NOT NULL"
    ");"
    "CREATE TABLE audit_head ("
    "  one INTEGER PRIMARY KEY CHECK (one = 1),"
    "  id INTEGER NOT NULL,"
    "  hash BLOB NOT NULL"
    ");"
    "INSERT INTO audit_head (one, id, hash) VALUES (1, 0, zeroblob(32));",
    /*
     * 10: what a key-compromise revocation and a precertificate need (issue
     * 19).  spki_sha256: the SHA-256 of the certificate's DER
     * SubjectPublicKeyInfo, filled at intake; NULL for the rows recorded
     * before, whose DER was never kept (store_cert_by_spki counts them, so
     * that a search by key says it could not see them).  Its index leaves
     * the issuer out: one compromised key may have certificates under
     * several issuers.  NULLs are in it too, so counting them reads the
     * index, not the table.  precert: 1 while only a precertificate has
     * been recorded for the serial; precert_tbs, a precertificate's
     * SHA-256 of its TBSCertificate without the CT extensions (RFC 6962
     * 3.1), which the final certificate is matched against (NULL
     * otherwise; the store keeps no DER).
     */
    "ALTER TABLE certificates ADD COLUMN spki_sha256 BLOB;"
    "ALTER TABLE certificates ADD COLUMN precert INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE certificates ADD COLUMN precert_tbs BLOB;"
    "CREATE INDEX certificates_spki ON certificates (spki_sha256);",
};

/* The schema version that moved key references out (migrations[6]). */
#define SQLITE_SCHEMA_KEYS 7

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
sqlite_db_err(struct store_sqlite *s, struct err *e, const char *what)
{
	return err_set(e, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

int
sqlite_exec(struct store_sqlite *s, const char *sql, struct err *e)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, "store: %s", msg != NULL ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
sqlite_run(struct store_sqlite *s, const char *sql, const int64_t *v, int n, const char *what,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, what);
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(st, i + 1, v[i]);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqlite_db_err(s, e, what);
}

sqlite3_stmt *
sqlite_stmt(struct store_sqlite *s, enum sqlite_stmt id, const char *sql, struct err *e)
{
	if (s->stmt[id] != NULL) {
		sqlite3_reset(s->stmt[id]);
		sqlite3_clear_bindings(s->stmt[id]);
		return s->stmt[id];
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL) !=
	    SQLITE_OK) {
		sqlite_db_err(s, e, "preparing a statement");
		return NULL;
	}
	return s->stmt[id];
}

int
sqlite_txn_seq(struct store_sqlite *s, const char *name, int64_t *cache, int64_t *out,
    struct err *e)
{
	sqlite3_stmt *st;

	if (!s->in_txn)
		return err_set(e, "store: sequence number outside a transaction");
	if (*cache == 0) {
		st = sqlite_stmt(s, STMT_SEQ_NEXT,
		    "UPDATE meta SET value = value + 1 WHERE key = ? RETURNING value", e);
		if (st == NULL)
			return -1;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			return sqlite_db_err(s, e, "taking a sequence number");
		*cache = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	*out = *cache;
	return 0;
}

/*
 * BEGIN, COMMIT or ROLLBACK from its statement prepared once (sqlite3_exec
 * parses the text each time: a tenth of a one-certificate admin request),
 * reset at once so that it holds nothing between transactions.
 */
static int
txn_stmt(struct store_sqlite *s, enum sqlite_stmt id, const char *sql, struct err *e)
{
	sqlite3_stmt *st = sqlite_stmt(s, id, sql, e);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return err_set(e, "store: %s", sqlite3_errmsg(s->db));
	return 0;
}

int
sqlite_begin(struct store *base, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;

	/* IMMEDIATE takes the write lock now, so a transaction never fails half-way on BUSY. */
	if (txn_stmt(s, STMT_BEGIN, "BEGIN IMMEDIATE", e) != 0)
		return -1;
	s->in_txn = 1;
	s->change_seq = s->crl_seq = 0;
	return 0;
}

int
sqlite_commit(struct store *base, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;

	if (txn_stmt(s, STMT_COMMIT, "COMMIT", e) != 0)
		return -1;
	s->in_txn = 0;
	return 0;
}

int
sqlite_rollback(struct store *base, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;

	s->in_txn = 0;
	/* Not in a transaction (COMMIT failed after ending it, or none began): as exec did. */
	if (sqlite3_get_autocommit(s->db))
		return 0;
	return txn_stmt(s, STMT_ROLLBACK, "ROLLBACK", e);
}

int
sqlite_txn_enter(struct store_sqlite *s, int *own, struct err *e)
{
	*own = !s->in_txn;
	return *own ? sqlite_begin(&s->base, e) : 0;
}

int
sqlite_txn_leave(struct store_sqlite *s, int own, int rc, struct err *e)
{
	if (!own)
		return rc;
	if (rc == 0 && sqlite_commit(&s->base, e) == 0)
		return 0;
	sqlite_rollback(&s->base, NULL);
	return -1;
}

void
sqlite_sign_row(sqlite3_stmt *st, int col, struct cert_record *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(st, col);
	out->issuer_id = sqlite3_column_int64(st, col + 1);
	out->serial_len = (size_t)sqlite3_column_bytes(st, col + 2);
	if (out->serial_len > STORE_SERIAL_MAX)
		out->serial_len = STORE_SERIAL_MAX;
	memcpy(out->serial, sqlite3_column_blob(st, col + 2), out->serial_len);
	out->not_after = sqlite3_column_int64(st, col + 3);
	out->status = sqlite3_column_int(st, col + 4) == 1 ? CERT_REVOKED : CERT_GOOD;
	out->revoked_at = sqlite3_column_int64(st, col + 5);
	out->reason = sqlite3_column_int(st, col + 6);
	out->change_seq = sqlite3_column_int64(st, col + 7);
	out->has_fingerprint = sqlite3_column_int(st, col + 8);
	out->shard = sqlite3_column_int(st, col + 9);
}

void
sqlite_cert_row(sqlite3_stmt *st, int col, struct cert_record *out)
{
	sqlite_sign_row(st, col, out);
	col += SQLITE_SIGN_NCOLUMNS;
	out->not_before = sqlite3_column_int64(st, col);
	if (sqlite3_column_bytes(st, col + 1) == STORE_FINGERPRINT_LEN)
		memcpy(out->fingerprint, sqlite3_column_blob(st, col + 1), STORE_FINGERPRINT_LEN);
	out->added_at = sqlite3_column_int64(st, col + 2);
	out->is_ca = sqlite3_column_int(st, col + 3);
	if (sqlite3_column_bytes(st, col + 4) == STORE_SPKI_HASH_LEN) {
		memcpy(out->spki_sha256, sqlite3_column_blob(st, col + 4), STORE_SPKI_HASH_LEN);
		out->has_spki = 1;
	}
	out->precert = sqlite3_column_int(st, col + 5);
	if (sqlite3_column_bytes(st, col + 6) == STORE_PRECERT_TBS_LEN) {
		memcpy(out->precert_tbs, sqlite3_column_blob(st, col + 6), STORE_PRECERT_TBS_LEN);
		out->has_precert_tbs = 1;
	}
}

static int
user_version(struct store_sqlite *s, int *v, struct err *e)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "reading the schema version");
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sqlite_db_err(s, e, "reading the schema version");
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int
migrate(struct store_sqlite *s, struct err *e)
{
	char sql[64];
	int v = 0;

	if (user_version(s, &v, e) != 0)
		return -1;
	if (v > NMIGRATIONS)
		return err_set(e, "store: schema version %d is newer than this lancre (%d); "
				  "upgrade lancre", v, NMIGRATIONS);
	if (v < SQLITE_SCHEMA_KEYS && !s->keys)
		return err_set(e, "store: schema %d needs the key store to upgrade", v);
	/* The key references blanked by schema 7 are overwritten, not freed (Debian's
	 * SQLite has it on by default; others may not; this connection keeps it). */
	if (v < SQLITE_SCHEMA_KEYS && sqlite_exec(s, "PRAGMA main.secure_delete = ON", e) != 0)
		return -1;
	for (int from = v; v < NMIGRATIONS; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (sqlite_exec(s, "BEGIN IMMEDIATE", e) != 0)
			return -1;
		if (sqlite_exec(s, migrations[v], e) != 0 ||
		    (v + 1 == SQLITE_SCHEMA_KEYS &&
			sqlite_keys_strip_pins(s, s->base.notice, sizeof(s->base.notice), e) != 0) ||
		    sqlite_exec(s, sql, e) != 0) {
			sqlite_exec(s, "ROLLBACK", NULL);
			return err_prefix(e, "schema migration %d", v + 1);
		}
		if (sqlite_exec(s, "COMMIT", e) != 0)
			return -1;
		/* Nor left in the WAL: copied into the file and the WAL emptied, if no
		 * reader holds it (then by a later checkpoint). */
		if (v + 1 == SQLITE_SCHEMA_KEYS && from < SQLITE_SCHEMA_KEYS &&
		    sqlite_exec(s, "PRAGMA main.wal_checkpoint(TRUNCATE)", e) != 0)
			return -1;
	}
	return 0;
}

static void
sqlite_close(struct store *base)
{
	struct store_sqlite *s = (struct store_sqlite *)base;

	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	if (s->readonly && s->db != NULL)
		sqlite_readonly_leave(s);
	sqlite3_close(s->db);
	free(s);
}

int
sqlite_issuer_changed(struct store_sqlite *s, struct err *e)
{
	return sqlite_exec(s, "UPDATE meta SET value = value + 1 WHERE key = 'issuer_seq'", e);
}

static int
issuer_add(struct store_sqlite *s, struct issuer_record *r, const struct store_issuer_keys *k,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	r->has_key = k != NULL && k->key_ref[0] != '\0';
	if (sqlite3_prepare_v2(s->db,
		"INSERT INTO issuers (name, cert, key_ref, crl_shards, added_at, has_key) "
		"VALUES (?, ?, '', ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "adding an issuer");
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, r->cert_der, (int)r->cert_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r->crl_shards);
	sqlite3_bind_int64(st, 4, r->added_at);
	sqlite3_bind_int(st, 5, r->has_key);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT)
		return err_set(e, "an issuer named '%s' already exists", r->name);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "adding an issuer");
	r->id = sqlite3_last_insert_rowid(s->db);
	if (k != NULL && (k->key_ref[0] != '\0' || k->key_pass_ref[0] != '\0') &&
	    sqlite_keys_put(s, r->id, k->key_ref, k->key_pass_ref, NULL, e) != 0)
		return -1;
	return sqlite_issuer_changed(s, e);
}

int
sqlite_issuer_add(struct store *base, struct issuer_record *r,
    const struct store_issuer_keys *keys, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, issuer_add(s, r, keys, e), e);
}

int
sqlite_issuer_list(struct store *base, struct issuer_record **out, size_t *n, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct issuer_record *v = NULL;
	size_t cap = 0, len = 0;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db,
		"SELECT id, name, cert, has_key, crl_shards, added_at, ocsp_cert, retired_at"
		" FROM issuers ORDER BY name",
		-1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "listing issuers");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			cap = cap ? cap * 2 : 8;
			struct issuer_record *nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL)
				goto nomem;
			v = nv;
		}
		struct issuer_record *r = &v[len];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		snprintf(r->name, sizeof(r->name), "%s", (const char *)sqlite3_column_text(st, 1));
		r->cert_len = (size_t)sqlite3_column_bytes(st, 2);
		r->cert_der = malloc(r->cert_len ? r->cert_len : 1);
		if (r->cert_der == NULL)
			goto nomem;
		len++;
		memcpy(r->cert_der, sqlite3_column_blob(st, 2), r->cert_len);
		r->has_key = sqlite3_column_int(st, 3) != 0;
		r->crl_shards = sqlite3_column_int(st, 4);
		r->added_at = sqlite3_column_int64(st, 5);
		if (sqlite3_column_type(st, 6) == SQLITE_BLOB) {
			r->ocsp_cert_len = (size_t)sqlite3_column_bytes(st, 6);
			r->ocsp_cert_der = malloc(r->ocsp_cert_len);
			if (r->ocsp_cert_der == NULL)
				goto nomem;
			memcpy(r->ocsp_cert_der, sqlite3_column_blob(st, 6), r->ocsp_cert_len);
		}
		r->retired_at = sqlite3_column_int64(st, 7);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		issuer_records_free(v, len);
		return sqlite_db_err(s, e, "listing issuers");
	}
	*out = v;
	*n = len;
	return 0;
nomem:
	sqlite3_finalize(st);
	issuer_records_free(v, len);
	return err_set(e, "store: out of memory");
}

static int
cert_insert(struct store_sqlite *s, struct cert_record *r, enum store_insert_result *res,
    struct err *e)
{
	sqlite3_stmt *st;

	if (sqlite_txn_seq(s, "change_seq", &s->change_seq, &r->change_seq, e) != 0)
		return -1;
	st = sqlite_stmt(s, STMT_CERT_INSERT,
	    "INSERT INTO certificates (issuer_id, serial, not_before, not_after, status,"
	    " revoked_at, reason, shard, fingerprint, added_at, changed_at, change_seq, is_ca,"
	    " spki_sha256, precert, precert_tbs)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	    " ON CONFLICT (issuer_id, serial) DO NOTHING", e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->issuer_id);
	sqlite3_bind_blob(st, 2, r->serial, (int)r->serial_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, r->not_before);
	sqlite3_bind_int64(st, 4, r->not_after);
	sqlite3_bind_int(st, 5, r->status);
	if (r->status == CERT_REVOKED) {
		sqlite3_bind_int64(st, 6, r->revoked_at);
		sqlite3_bind_int(st, 7, r->reason);
	}
	sqlite3_bind_int(st, 8, r->shard);
	sqlite3_bind_blob(st, 9, r->fingerprint, STORE_FINGERPRINT_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, r->added_at);
	sqlite3_bind_int64(st, 11, r->added_at);
	sqlite3_bind_int64(st, 12, r->change_seq);
	sqlite3_bind_int(st, 13, r->is_ca != 0);
	if (r->has_spki)
		sqlite3_bind_blob(st, 14, r->spki_sha256, STORE_SPKI_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 15, r->precert != 0);
	if (r->has_precert_tbs)
		sqlite3_bind_blob(st, 16, r->precert_tbs, STORE_PRECERT_TBS_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		return sqlite_db_err(s, e, "adding a certificate");
	if (sqlite3_changes(s->db) == 1) {
		r->id = sqlite3_last_insert_rowid(s->db);
		*res = STORE_INSERTED;
		return 0;
	}
	/* Already there: the same certificate again, or a serial reused for another one. */
	st = sqlite_stmt(s, STMT_CERT_FINGERPRINT,
	    "SELECT fingerprint, id FROM certificates WHERE issuer_id = ? AND serial = ?", e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, r->issuer_id);
	sqlite3_bind_blob(st, 2, r->serial, (int)r->serial_len, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sqlite_db_err(s, e, "checking a duplicate certificate");
	r->id = sqlite3_column_int64(st, 1);
	*res = sqlite3_column_bytes(st, 0) == STORE_FINGERPRINT_LEN &&
		       memcmp(sqlite3_column_blob(st, 0), r->fingerprint, STORE_FINGERPRINT_LEN) == 0
		   ? STORE_DUPLICATE
		   : STORE_CONFLICT;
	sqlite3_reset(st);
	return 0;
}

int
sqlite_cert_insert(struct store *base, struct cert_record *r, enum store_insert_result *res,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, cert_insert(s, r, res, e), e);
}

/* One after the other: an SQLite insert has no round trip to save. */
int
sqlite_cert_insert_many(struct store *base, struct cert_record **r, size_t n,
    enum store_insert_result *res, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own, rc = 0;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cert_insert(s, r[i], &res[i], e);
	return sqlite_txn_leave(s, own, rc, e);
}

int
sqlite_cert_get(struct store *base, int64_t issuer_id, const uint8_t *serial, size_t len,
    struct cert_record *out, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int rc;

	if (len == 0 || len > STORE_SERIAL_MAX)
		return 0;
	st = sqlite_stmt(s, STMT_CERT_GET,
	    "SELECT " SQLITE_CERT_COLUMNS " FROM certificates c"
	    " WHERE c.issuer_id = ? AND c.serial = ?", e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, issuer_id);
	sqlite3_bind_blob(st, 2, serial, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW)
		return sqlite_db_err(s, e, "looking up a certificate");
	sqlite_cert_row(st, 0, out);
	sqlite3_reset(st);
	return 1;
}

static int
cert_revoke(struct store_sqlite *s, int64_t cert_id, int64_t revoked_at, int reason,
    struct err *e)
{
	sqlite3_stmt *st;
	int64_t seq;
	int rc;

	if (sqlite_txn_seq(s, "change_seq", &s->change_seq, &seq, e) != 0)
		return -1;
	/* Prepared once: a mass revocation of 100,000 spent a third of its time parsing it. */
	st = sqlite_stmt(s, STMT_CERT_REVOKE,
	    "UPDATE certificates SET status = 1, revoked_at = ?, reason = ?, changed_at = ?,"
	    " change_seq = ? WHERE id = ?", e);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, revoked_at);
	sqlite3_bind_int64(st, 2, reason);
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	sqlite3_bind_int64(st, 4, seq);
	sqlite3_bind_int64(st, 5, cert_id);
	if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
		sqlite_db_err(s, e, "revoking");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	if (sqlite3_changes(s->db) != 1)
		return err_set(e, "store: certificate %lld not found", (long long)cert_id);
	return 0;
}

int
sqlite_cert_revoke(struct store *base, int64_t cert_id, int64_t revoked_at, int reason,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, cert_revoke(s, cert_id, revoked_at, reason, e), e);
}

/* No change_seq: what is signed for the serial does not change (store.h). */
int
sqlite_cert_complete(struct store *base, int64_t cert_id, const uint8_t *fingerprint,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;
	int own, rc = 0;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	st = sqlite_stmt(s, STMT_CERT_COMPLETE,
	    "UPDATE certificates SET fingerprint = ?, precert = 0, changed_at = ?"
	    " WHERE id = ? AND precert = 1", e);
	if (st == NULL) {
		rc = -1;
	} else {
		sqlite3_bind_blob(st, 1, fingerprint, STORE_FINGERPRINT_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)time(NULL));
		sqlite3_bind_int64(st, 3, cert_id);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sqlite_db_err(s, e, "completing a precertificate's record");
		else if (sqlite3_changes(s->db) != 1)
			rc = err_set(e, "store: certificate %lld is no precertificate's record",
			    (long long)cert_id);
		sqlite3_reset(st);
	}
	return sqlite_txn_leave(s, own, rc, e);
}

static int
set_ocsp_signer(struct store_sqlite *s, int64_t issuer_id, const uint8_t *der, size_t len,
    const char *key_ref, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "UPDATE issuers SET ocsp_cert = ? WHERE id = ?", -1, &st,
		NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "recording the OCSP responder");
	if (der != NULL)
		sqlite3_bind_blob(st, 1, der, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, issuer_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqlite_db_err(s, e, "recording the OCSP responder");
	if (sqlite3_changes(s->db) != 1)
		return err_set(e, "store: issuer %lld not found", (long long)issuer_id);
	if (sqlite_keys_put(s, issuer_id, NULL, NULL, der != NULL ? key_ref : "", e) != 0)
		return -1;
	/*
	 * Every response of the issuer was signed by the old responder: re-sign
	 * them all.  Every range may hold some: the next scan reads them all
	 * (sqlite_ocsp.c).
	 */
	if (sqlite_run(s, "UPDATE ocsp_responses SET due_at = 0 WHERE cert_id IN"
		" (SELECT id FROM certificates WHERE issuer_id = ?)", &issuer_id, 1,
		"scheduling re-signing", e) != 0 ||
	    sqlite_run(s, "UPDATE ocsp_due SET due_at = 0", NULL, 0, "scheduling re-signing", e) != 0)
		return -1;
	return sqlite_issuer_changed(s, e);
}

int
sqlite_issuer_set_ocsp_signer(struct store *base, int64_t issuer_id, const uint8_t *der,
    size_t len, const char *key_ref, struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	int own;

	if (sqlite_txn_enter(s, &own, e) != 0)
		return -1;
	return sqlite_txn_leave(s, own, set_ocsp_signer(s, issuer_id, der, len, key_ref, e), e);
}

/* An intent is a page cache size (SQLITE_CACHE_*_MIB, sqlite_int.h). */
int
sqlite_set_intent(struct store *base, enum store_intent intent, struct err *e)
{
	static const int mib[STORE_INTENT_COUNT] = {
	    [STORE_INTENT_DEFAULT] = SQLITE_CACHE_DEFAULT_MIB,
	    [STORE_INTENT_SIGN] = SQLITE_CACHE_SIGN_MIB,
	    [STORE_INTENT_BULK_IMPORT] = SQLITE_CACHE_IMPORT_MIB,
	};
	char sql[64];

	if ((unsigned)intent >= STORE_INTENT_COUNT)
		return err_set(e, "store: unknown intent %d", (int)intent);
	snprintf(sql, sizeof(sql), "PRAGMA cache_size = %d", -1024 * mib[intent]);
	return sqlite_exec((struct store_sqlite *)base, sql, e);
}

int
sqlite_meta_get(struct store_sqlite *s, const char *name, int64_t *v, struct err *e)
{
	static const char sql[] = "SELECT value FROM meta WHERE key = ?";
	sqlite3_stmt *st = NULL;
	int rc;

	*v = 0;
	/* A writer keeps it prepared (the admin API reads issuer_seq each request). */
	if (!s->readonly) {
		if ((st = sqlite_stmt(s, STMT_META_GET, sql, e)) == NULL)
			return -1;
	} else if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		return sqlite_db_err(s, e, "reading a stored counter");
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		sqlite_db_err(s, e, "reading a stored counter");
	if (s->readonly)
		sqlite3_finalize(st);
	else
		sqlite3_reset(st); /* its read of the database ends here */
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
sqlite_meta_set(struct store_sqlite *s, const char *name, int64_t v, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
		-1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "writing a stored counter");
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		sqlite_db_err(s, e, "writing a stored counter");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
sqlite_counter(struct store_sqlite *s, const char *name, int64_t *v, struct err *e)
{
	int rc;

	/* The server's poll starts here: the place to leave an immutable open. */
	if (sqlite_readonly_refresh(s, e) != 0)
		return -1;
	rc = sqlite_meta_get(s, name, v, e);
	if (rc == 0)
		return err_set(e, "store: no sequence '%s'", name);
	return rc < 0 ? -1 : 0;
}

/* The contract's counters are these meta rows. */
const char *
sqlite_seq_key(enum store_seq which)
{
	static const char *const key[STORE_SEQ_COUNT] = {
	    [STORE_SEQ_CHANGE] = "change_seq",
	    [STORE_SEQ_OCSP] = "ocsp_seq",
	    [STORE_SEQ_CRL] = "crl_seq",
	    [STORE_SEQ_ISSUER] = "issuer_seq",
	};

	return (unsigned)which < STORE_SEQ_COUNT ? key[which] : NULL;
}

int
sqlite_seq(struct store *base, enum store_seq which, int64_t *v, struct err *e)
{
	const char *key = sqlite_seq_key(which);

	if (key == NULL)
		return err_set(e, "store: unknown sequence %d", (int)which);
	return sqlite_counter((struct store_sqlite *)base, key, v, e);
}

/* A read-only handle's look at the files (sqlite_readonly.c); a writer holds nothing stale. */
int
sqlite_idle(struct store *base, struct err *e)
{
	return sqlite_readonly_refresh((struct store_sqlite *)base, e);
}

/*
 * Another process's commit to a file cannot be announced to this one: wait
 * the time out and let the caller read the counters, which costs a few
 * index reads.
 */
int
sqlite_changes_wait(struct store *base, int timeout_ms, struct err *e)
{
	struct timespec t = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};

	(void)base;
	(void)e;
	if (timeout_ms > 0)
		nanosleep(&t, NULL);
	return 1;
}

int
sqlite_cert_count(struct store *base, int64_t issuer_id, int64_t *total, int64_t *revoked,
    struct err *e)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db,
		"SELECT count(*), coalesce(sum(status = 1), 0) FROM certificates"
		" WHERE ?1 = 0 OR issuer_id = ?1", -1, &st, NULL) != SQLITE_OK)
		return sqlite_db_err(s, e, "counting certificates");
	sqlite3_bind_int64(st, 1, issuer_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sqlite_db_err(s, e, "counting certificates");
	}
	*total = sqlite3_column_int64(st, 0);
	*revoked = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return 0;
}

#define SQLITE_OP_ENTRY(name, params, args) .name = sqlite_##name,
static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    STORE_OPS(SQLITE_OP_ENTRY)
};
#undef SQLITE_OP_ENTRY

/*
 * SQLite keeps memory statistics by default, taking a process-wide mutex on
 * every allocation; lancre never reads them (2% of SQLite's instructions per
 * stored response, callgrind).  sqlite3_config() only works before SQLite
 * initialises, so this runs once, before the first open.
 */
static void
sqlite_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/*
 * A read-only open found a store older than this binary: upgrade it, as a
 * user who may write it, and keep that connection.
 */
static struct store *
open_to_upgrade(const char *path, int version, struct err *e)
{
	if (access(path, W_OK) != 0) {
		err_set(e, "%s: store: schema version %d is older than this lancre (%d) and this "
			   "user may not upgrade it: run `lancre issuer list` once as its owner", path,
		    version, NMIGRATIONS);
		return NULL;
	}
	return store_sqlite_open(path, STORE_WRITE, e);
}

/*
 * The new store's file, empty (SQLite makes an empty file a new database),
 * mode SQLITE_FILE_MODE whatever the umask; refused if path exists.
 */
static int
create_file(const char *path, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, SQLITE_FILE_MODE);

	if (fd < 0 && errno == EEXIST)
		return err_set(e, "%s already exists", path);
	if (fd < 0)
		return err_set(e, "cannot create the store %s: %s", path, strerror(errno));
	if (fchmod(fd, SQLITE_FILE_MODE) != 0) {
		int saved = errno;
		close(fd);
		unlink(path);
		return err_set(e, "cannot create the store %s: %s", path, strerror(saved));
	}
	close(fd);
	return 0;
}

/*
 * A writer's connection: lancre.db in WAL, kept in place when it closes (see
 * the top).  "main." matters: a journal_mode without a schema name is set on
 * every attached database, and made the key store a WAL database too, whose
 * -wal and -shm each writer created and removed in private/ (not kept: the
 * persistence is main's), against its design (sqlite_keys.c).
 */
static int
writer_setup(struct store_sqlite *s, struct err *e)
{
	int persist = 1;

	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist) != SQLITE_OK)
		return sqlite_db_err(s, e, "keeping the WAL");
	return sqlite_exec(s, "PRAGMA main.journal_mode = WAL", e) != 0 ||
		       sqlite_exec(s, "PRAGMA main.journal_size_limit = " SQLITE_JOURNAL_SIZE_LIMIT, e) != 0
		   ? -1
		   : 0;
}

struct store *
store_sqlite_open(const char *path, enum store_mode mode, struct err *e)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	struct store_sqlite *s;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, version, rc;

	pthread_once(&configured, sqlite_configure);

	if (mode == STORE_CREATE && create_file(path, e) != 0)
		return NULL;
	/* Only init makes a store: an empty or foreign file is refused before any write. */
	if (mode != STORE_CREATE && sqlite_check_file(path, e) != 0)
		return NULL;
	if (mode == STORE_CREATE)
		flags |= SQLITE_OPEN_CREATE;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	s->base.ops = &sqlite_ops;
	s->ro_slot = s->ro_wait_db = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (mode == STORE_READ) {
		s->readonly = 1;
		sqlite_readonly_files(path, s->files); /* before the open: a change after it is seen */
		if (stat(path, &s->db_seen) != 0)
			memset(&s->db_seen, 0, sizeof(s->db_seen));
		rc = sqlite_open_readonly(path, &s->db, &s->immutable, e);
		if (rc == 0)
			sqlite_readonly_join(s);
	} else if ((rc = sqlite3_open_v2(path, &s->db, flags, NULL)) != SQLITE_OK) {
		err_set(e, "cannot open the store %s: %s", path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
	}
	if (rc != 0) {
		sqlite_close(&s->base);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, SQLITE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(s->db, 0);
	/* Writers reach the key store; the server's read-only handle and the admin
	 * process's intake handle never do. */
	if (mode != STORE_READ && mode != STORE_INTAKE && sqlite_keys_attach(s, path, e) != 0) {
		sqlite_close(&s->base);
		return NULL;
	}
	if (mode != STORE_CREATE && (user_version(s, &version, e) != 0 ||
				       sqlite_check_schema(s, path, version, e) != 0)) {
		sqlite_close(&s->base);
		return NULL;
	}
	if (mode == STORE_READ && version < NMIGRATIONS) {
		sqlite_close(&s->base);
		return open_to_upgrade(path, version, e);
	}
	/* A read-only connection keeps the journal mode the file has (WAL, from init). */
	if ((mode == STORE_CREATE && sqlite_exec(s, "PRAGMA page_size = " SQLITE_PAGE_SIZE, e) != 0) ||
	    (mode != STORE_READ && writer_setup(s, e) != 0) ||
	    sqlite_exec(s, "PRAGMA synchronous = NORMAL", e) != 0 ||
	    sqlite_exec(s, "PRAGMA temp_store = MEMORY", e) != 0 ||
	    sqlite_exec(s, "PRAGMA foreign_keys = ON", e) != 0 || migrate(s, e) != 0) {
		err_prefix(e, "%s", path);
		sqlite_close(&s->base);
		return NULL;
	}
	return &s->base;
}
