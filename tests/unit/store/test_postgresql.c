/*
 * test_postgresql.c - what only the PostgreSQL store does, beside the
 * contract (test_contract.c runs the contract on it): which locations and
 * databases it opens, refusing a password in the URL, a database that is
 * not lancre's or not empty, a schema newer than this lancre; the
 * triggers that make revocation final whoever writes; a STORE_READ
 * connection that cannot write even by hand; migrations that two opens
 * racing `lancre init`s make one store; a cut connection comes back.  Each test gets a fresh database (pgtest.h);
 * without LANCRE_TEST_PG the tests are not run, saying so in one line.
 */
#include "testutil.h"
#include "pgtest.h"
#include "store/store.h"
#include "store/postgresql_int.h"

#include <sys/wait.h>

static struct store *
open_url(const char *u, enum store_mode mode, struct err *e)
{
	return store_open(test_dir, u, mode, e);
}

/* A password in the URL or its parameters is refused before connecting. */
static void
test_password_refused(void **state)
{
	static const char *const bad[] = {
	    "postgresql://postgres:secret@127.0.0.1:1/x",
	    "postgres://postgres:secret@127.0.0.1:1/x",
	    "postgresql://postgres@127.0.0.1:1/x?password=secret",
	    "postgresql://127.0.0.1:1/x?sslmode=disable&password=secret",
	};
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(open_url(bad[i], STORE_CREATE, &e));
		assert_non_null(strstr(e.msg, "a password does not go in lancre.conf"));
		assert_null(strstr(e.msg, "secret"));
		assert_null(strchr(e.msg, '\n'));
	}
	/* A URL libpq cannot parse: refused without libpq's words, which quote the bad token. */
	assert_null(open_url("postgresql://postgres:s3cr%zz@127.0.0.1:1/x", STORE_CREATE, &e));
	assert_string_equal(e.msg, "store: not a valid PostgreSQL URL");
	/* A connection that fails says so on one line. */
	assert_null(open_url("postgresql://postgres@127.0.0.1:1/x", STORE_WRITE, &e));
	assert_non_null(strstr(e.msg, "cannot connect to PostgreSQL"));
	assert_null(strchr(e.msg, '\n'));
}

/*
 * Only STORE_CREATE makes a store, in an empty database; WRITE and READ
 * refuse a database without lancre's schema, or with another
 * application's tables; CREATE refuses those too, and an existing store.
 */
static void
test_which_databases(void **state)
{
	struct store *s;
	struct err e;
	char msg[256];

	(void)state;
	assert_null(open_url(pgtest_db, STORE_WRITE, &e));
	assert_non_null(strstr(e.msg, "not a lancre store: run lancre init"));
	assert_null(open_url(pgtest_db, STORE_READ, &e));
	assert_non_null(strstr(e.msg, "not a lancre store"));
	assert_int_equal(pgtest_exec(pgtest_db, "CREATE TABLE other (x int)", msg, sizeof(msg)), 0);
	assert_null(open_url(pgtest_db, STORE_CREATE, &e));
	assert_non_null(strstr(e.msg, "not empty"));
	assert_null(open_url(pgtest_db, STORE_WRITE, &e));
	assert_non_null(strstr(e.msg, "not a lancre store"));
	assert_int_equal(pgtest_exec(pgtest_db, "DROP TABLE other", msg, sizeof(msg)), 0);
	assert_non_null(s = open_url(pgtest_db, STORE_CREATE, &e));
	store_close(s);
	assert_null(open_url(pgtest_db, STORE_CREATE, &e));
	assert_non_null(strstr(e.msg, "already holds a lancre store"));
	assert_non_null(s = open_url(pgtest_db, STORE_WRITE, &e));
	store_close(s);
	/* A schema newer than this lancre is refused, not guessed at. */
	assert_int_equal(pgtest_exec(pgtest_db, "INSERT INTO lancre_schema VALUES (999, 0)", msg,
			     sizeof(msg)), 0);
	assert_null(open_url(pgtest_db, STORE_WRITE, &e));
	assert_non_null(strstr(e.msg, "newer than this lancre"));
}

/* Whoever writes, a revoked certificate stays revoked and cannot be deleted. */
static void
test_revocation_final_in_sql(void **state)
{
	struct issuer_record r = {0};
	struct cert_record c = {0};
	enum store_insert_result res;
	uint8_t der[] = {0x30, 0x00};
	struct store *s;
	struct err e;
	char msg[512];

	(void)state;
	assert_non_null(s = open_url(pgtest_db, STORE_CREATE, &e));
	snprintf(r.name, sizeof(r.name), "f1");
	r.cert_der = der;
	r.cert_len = sizeof(der);
	r.crl_shards = 1;
	assert_int_equal(store_issuer_add(s, &r, NULL, &e), 0);
	c.issuer_id = r.id;
	c.serial[0] = 7;
	c.serial_len = 1;
	c.shard = 1;
	c.not_after = 200;
	assert_int_equal(store_cert_insert(s, &c, &res, &e), 0);
	c.serial[0] = 8;
	assert_int_equal(store_cert_insert(s, &c, &res, &e), 0);
	assert_int_equal(store_cert_revoke(s, c.id, 170, 1, &e), 0);
	store_close(s);
	assert_int_equal(pgtest_exec(pgtest_db, "UPDATE certificates SET status = 0", msg, sizeof(msg)),
	    -1);
	assert_non_null(strstr(msg, "revocation is final"));
	assert_int_equal(pgtest_exec(pgtest_db, "DELETE FROM certificates WHERE status = 1", msg,
			     sizeof(msg)), -1);
	assert_non_null(strstr(msg, "cannot be deleted"));
	assert_int_equal(pgtest_exec(pgtest_db, "TRUNCATE certificates CASCADE", msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "stays revoked"));
	/* A good certificate may still be changed or removed by hand. */
	assert_int_equal(pgtest_exec(pgtest_db, "UPDATE certificates SET reason = 4 WHERE status = 1",
			     msg, sizeof(msg)), 0);
	assert_int_equal(pgtest_exec(pgtest_db, "DELETE FROM certificates WHERE status = 0", msg,
			     sizeof(msg)), 0);
}

/*
 * The server's handle is read-only in PostgreSQL itself: no write passes,
 * and it reads no key reference.
 */
static void
test_read_only_connection(void **state)
{
	struct issuer_record r = {0};
	struct cert_record c = {0};
	struct store_issuer_keys k;
	enum store_insert_result res;
	uint8_t der[] = {0x30, 0x00};
	struct store *s, *ro;
	struct err e;

	(void)state;
	assert_non_null(s = open_url(pgtest_db, STORE_CREATE, &e));
	store_close(s);
	assert_non_null(ro = open_url(pgtest_db, STORE_READ, &e));
	snprintf(r.name, sizeof(r.name), "ro1");
	r.cert_der = der;
	r.cert_len = sizeof(der);
	r.crl_shards = 1;
	assert_int_equal(store_issuer_add(ro, &r, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "read-only"));
	c.issuer_id = 1;
	c.serial_len = 1;
	c.shard = 1;
	assert_int_equal(store_cert_insert(ro, &c, &res, &e), -1);
	assert_int_equal(store_issuer_keys(ro, 1, &k, &e), -1);
	assert_int_equal(store_set_intent(ro, STORE_INTENT_DEFAULT, &e), 0);
	store_close(ro);
}

/*
 * A bulk import is as durable as any write: its commits keep the session's
 * synchronous_commit (on here, through PGOPTIONS; the test server's own
 * setting is off), never turned off for speed.
 */
static void
test_import_commits_durable(void **state)
{
	struct store *s;
	struct err e;
	PGresult *res;
	int i;
	static const enum store_intent intents[] = {STORE_INTENT_BULK_IMPORT, STORE_INTENT_SIGN,
						    STORE_INTENT_DEFAULT};

	(void)state;
	setenv("PGOPTIONS", "-c synchronous_commit=on", 1);
	s = open_url(pgtest_db, STORE_CREATE, &e);
	unsetenv("PGOPTIONS");
	assert_non_null(s);
	for (i = 0; i < (int)(sizeof(intents) / sizeof(intents[0])); i++) {
		assert_int_equal(store_set_intent(s, intents[i], &e), 0);
		res = PQexec(((struct store_pg *)s)->conn, "SHOW synchronous_commit");
		assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
		assert_string_equal(PQgetvalue(res, 0, 0), "on");
		PQclear(res);
	}
	store_close(s);
}

/*
 * Two `lancre init` of one database at once (the migrations under their
 * advisory lock): one makes the store, the other is refused, and every
 * version is applied once.
 */
static void
test_create_concurrently(void **state)
{
	enum { N = 4 };
	pid_t pid[N];
	int made = 0, status;
	struct store *s;
	char msg[256];

	(void)state;
	for (int i = 0; i < N; i++) {
		pid[i] = fork();
		assert_true(pid[i] >= 0);
		if (pid[i] == 0) {
			struct err e;

			s = open_url(pgtest_db, STORE_CREATE, &e);
			_exit(s != NULL ? 0 : strstr(e.msg, "already holds") != NULL ? 3 : 4);
		}
	}
	for (int i = 0; i < N; i++) {
		assert_int_equal(waitpid(pid[i], &status, 0), pid[i]);
		assert_true(WIFEXITED(status));
		assert_true(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3);
		made += WEXITSTATUS(status) == 0;
	}
	assert_int_equal(made, 1);
	assert_int_equal(pgtest_exec(pgtest_db, "DO $$ BEGIN IF (SELECT count(*) FROM lancre_schema)"
					  " <> (SELECT max(version) FROM lancre_schema) THEN"
					  " RAISE EXCEPTION 'a version twice'; END IF; END $$",
			     msg, sizeof(msg)), 0);
}

/* End every other connection to the test's database (the database restarted, seen by them). */
static void
cut_connections(void)
{
	char sql[256], msg[256];

	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
				   " WHERE datname = '%s' AND pid <> pg_backend_pid()", pgtest_db_name);
	assert_int_equal(pgtest_exec(pgtest_db, sql, msg, sizeof(msg)), 0);
}

/*
 * A handle whose connection was cut carries on: the next statement outside
 * a transaction reconnects (the server's handle still read-only, prepared
 * statements prepared again); inside a transaction the cut is an error, and
 * the handle works again after the rollback.
 */
static void
test_reconnects(void **state)
{
	struct issuer_record r = {0};
	struct cert_record c = {0}, got;
	enum store_insert_result res;
	uint8_t der[] = {0x30, 0x00};
	struct store *s, *ro;
	struct err e;
	int64_t v;

	(void)state;
	assert_non_null(s = open_url(pgtest_db, STORE_CREATE, &e));
	assert_non_null(ro = open_url(pgtest_db, STORE_READ, &e));
	snprintf(r.name, sizeof(r.name), "rc1");
	r.cert_der = der;
	r.cert_len = sizeof(der);
	r.crl_shards = 1;
	assert_int_equal(store_issuer_add(s, &r, NULL, &e), 0);
	c.issuer_id = r.id;
	c.serial[0] = 1;
	c.serial_len = 1;
	c.shard = 1;
	assert_int_equal(store_cert_insert(s, &c, &res, &e), 0);
	assert_int_equal(store_cert_get(ro, r.id, c.serial, 1, &got, &e), 1); /* prepared */
	cut_connections();
	assert_int_equal(store_seq(ro, STORE_SEQ_CHANGE, &v, &e), 0);
	assert_int_equal(store_cert_get(ro, r.id, c.serial, 1, &got, &e), 1);
	assert_int_equal(store_issuer_retire(ro, r.id, 5, &e), -1); /* still read-only */
	assert_non_null(strstr(e.msg, "read-only"));
	cut_connections();
	c.serial[0] = 2;
	assert_int_equal(store_cert_insert(s, &c, &res, &e), 0); /* its own transaction */
	assert_int_equal(store_begin(s, &e), 0);
	cut_connections();
	c.serial[0] = 3;
	assert_int_equal(store_cert_insert(s, &c, &res, &e), -1);
	store_rollback(s, &e);
	assert_int_equal(store_cert_insert(s, &c, &res, &e), 0);
	assert_int_equal(res, STORE_INSERTED);
	store_close(ro);
	store_close(s);
}

/* The connection option key as libpq used it for s's connection ("" if unset). */
static void
conn_option(struct store *s, const char *key, char *out, size_t len)
{
	PQconninfoOption *opts = PQconninfo(((struct store_pg *)s)->conn);

	out[0] = '\0';
	assert_non_null(opts);
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, key) == 0 && o->val != NULL)
			snprintf(out, len, "%s", o->val);
	PQconninfoFree(opts);
}

/*
 * A database that vanishes without a reset fails a query in about 30 s
 * (tcp_user_timeout, keepalives), not the kernel's 15 minutes; the URL may
 * say otherwise.
 */
static void
test_dead_peer_timeouts(void **state)
{
	char u[PGTEST_URL_MAX + 64], v[32];
	struct store *s;
	struct err e;

	(void)state;
	assert_non_null(s = open_url(pgtest_db, STORE_CREATE, &e));
	conn_option(s, "tcp_user_timeout", v, sizeof(v));
	assert_string_equal(v, "30000");
	conn_option(s, "keepalives_idle", v, sizeof(v));
	assert_string_equal(v, "10");
	store_close(s);
	snprintf(u, sizeof(u), "%s%stcp_user_timeout=5000", pgtest_db, strchr(pgtest_db, '?') ? "&" : "?");
	assert_non_null(s = open_url(u, STORE_READ, &e));
	conn_option(s, "tcp_user_timeout", v, sizeof(v));
	assert_string_equal(v, "5000");
	store_close(s);
}

/*
 * Migrations 5 -> 7 on a store with a certificate: the old row has no key
 * hash (NULL) and is not precert; one recorded after has both, and the
 * key hash is indexed alone (one key, several issuers).  Migration 7's
 * row-level security on meta is back (its own test: tests/e2e/pg_nodes.sh
 * and pg_admin_role.sh, as the roles it narrows).
 */
static void
test_migration_spki(void **state)
{
	struct issuer_record r = {0};
	struct cert_record c = {0}, got;
	enum store_insert_result res;
	uint8_t der[] = {0x30, 0x00};
	struct store *s;
	struct err e;
	char msg[512];

	(void)state;
	assert_non_null(s = open_url(pgtest_db, STORE_CREATE, &e));
	snprintf(r.name, sizeof(r.name), "k1");
	r.cert_der = der;
	r.cert_len = sizeof(der);
	r.crl_shards = 1;
	assert_int_equal(store_issuer_add(s, &r, NULL, &e), 0);
	c.issuer_id = r.id;
	c.serial[0] = 7;
	c.serial_len = 1;
	c.shard = 1;
	c.not_after = 200;
	assert_int_equal(store_cert_insert(s, &c, &res, &e), 0);
	store_close(s);
	assert_int_equal(pgtest_exec(pgtest_db,
			     "DROP INDEX certificates_spki; ALTER TABLE certificates"
			     " DROP COLUMN spki_sha256, DROP COLUMN precert, DROP COLUMN precert_tbs;"
			     " DROP POLICY meta_served ON meta; DROP POLICY meta_change_seq ON meta;"
			     " ALTER TABLE meta DISABLE ROW LEVEL SECURITY;"
			     " DELETE FROM lancre_schema WHERE version IN (6, 7)", msg, sizeof(msg)), 0);
	assert_non_null(s = open_url(pgtest_db, STORE_WRITE, &e));
	assert_int_equal(pgtest_exec(pgtest_db,
			     "DO $$ BEGIN IF (SELECT max(version) FROM lancre_schema) <> 7"
			     " OR NOT (SELECT relrowsecurity FROM pg_class WHERE relname = 'meta')"
			     " OR (SELECT count(*) FROM pg_policies WHERE tablename = 'meta') <> 2"
			     " OR (SELECT indexdef FROM pg_indexes WHERE indexname = 'certificates_spki')"
			     " NOT LIKE '%(spki_sha256)'"
			     " OR (SELECT count(*) FROM certificates WHERE spki_sha256 IS NULL"
			     " AND precert = 0 AND precert_tbs IS NULL) <> 1 THEN RAISE EXCEPTION 'not migrated'; END IF; END $$",
			     msg, sizeof(msg)), 0);
	assert_int_equal(store_cert_get(s, r.id, c.serial, 1, &got, &e), 1);
	assert_int_equal(got.has_spki, 0);
	assert_int_equal(got.precert, 0);
	c.serial[0] = 8;
	c.has_spki = 1;
	memset(c.spki_sha256, 0xcd, sizeof(c.spki_sha256));
	c.precert = 1;
	c.has_precert_tbs = 1;
	memset(c.precert_tbs, 0xef, sizeof(c.precert_tbs));
	assert_int_equal(store_cert_insert(s, &c, &res, &e), 0);
	assert_int_equal(store_cert_get(s, r.id, c.serial, 1, &got, &e), 1);
	assert_int_equal(got.has_spki, 1);
	assert_int_equal(got.spki_sha256[0], 0xcd);
	assert_int_equal(got.precert, 1);
	assert_int_equal(got.has_precert_tbs, 1);
	assert_int_equal(got.precert_tbs[31], 0xef);
	store_close(s);
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
	    pgtest_unit_test(test_password_refused),
	    pgtest_unit_test(test_which_databases),
	    pgtest_unit_test(test_revocation_final_in_sql),
	    pgtest_unit_test(test_read_only_connection),
	    pgtest_unit_test(test_import_commits_durable),
	    pgtest_unit_test(test_create_concurrently),
	    pgtest_unit_test(test_reconnects),
	    pgtest_unit_test(test_dead_peer_timeouts),
	    pgtest_unit_test(test_migration_spki),
	};

	return pgtest_run_group("postgresql", tests);
}
