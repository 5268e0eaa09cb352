/*
 * Unit tests for who may do what to the SQLite store (issue 16): the files'
 * modes, a read-only handle that holds no descriptor open for writing, the
 * WAL kept in place for read-only readers.
 */
#include "testutil.h"
#include "store/store.h"

#include <sqlite3.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static mode_t
mode_of(const char *name)
{
	char path[512];
	struct stat st;

	test_path(path, sizeof(path), name);
	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* test_dir's store (lancre.db), opened in mode. */
static struct store *
open_store(enum store_mode mode)
{
	struct store *s;
	struct err e;

	if ((s = store_open(test_dir, "lancre.db", mode, &e)) == NULL)
		fail_msg("store_open: %s", e.msg);
	return s;
}

/* A new, empty store in test_dir, closed. */
static void
create_store(void)
{
	store_close(open_store(STORE_CREATE));
}

/* s sees issuer_seq at want (how many issuers a writer added). */
static void
assert_issuer_seq(struct store *s, int64_t want)
{
	struct err e;
	int64_t v;

	assert_int_equal(store_seq(s, STORE_SEQ_ISSUER, &v, &e), 0);
	assert_int_equal(v, want);
}

/* 1 if test_dir/name exists. */
static int
exists(const char *name)
{
	char path[512];

	test_path(path, sizeof(path), name);
	return access(path, F_OK) == 0;
}

/* A new store is 0640 whatever the umask, and so are its -wal and -shm. */
static void
test_create_mode(void **state)
{
	mode_t masks[] = {0, 022, 077};
	struct store *s;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		mode_t old = umask(masks[i]);
		char sub[300], name[32];

		snprintf(name, sizeof(name), "%zu", i);
		test_path(sub, sizeof(sub), name);
		assert_int_equal(mkdir(sub, 0755), 0);
		s = store_open(sub, "lancre.db", STORE_CREATE, &e);
		umask(old);
		assert_non_null(s);
		store_close(s);
		snprintf(sub, sizeof(sub), "%zu/lancre.db", i);
		assert_int_equal(mode_of(sub), 0640);
		snprintf(sub, sizeof(sub), "%zu/lancre.db-wal", i);
		assert_int_equal(mode_of(sub), 0640);
		snprintf(sub, sizeof(sub), "%zu/lancre.db-shm", i);
		assert_int_equal(mode_of(sub), 0640);
	}
}

/* Every descriptor this process holds on test_dir's lancre.db*: how many, and how many writable. */
static void
count_store_fds(int *n, int *writable)
{
	char link[64], target[512], want[300], info[64], line[128];
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	assert_non_null(d);
	*n = *writable = 0;
	test_path(want, sizeof(want), "lancre.db");
	while ((de = readdir(d)) != NULL) {
		ssize_t len;
		FILE *f;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strncmp(target, want, strlen(want)) != 0)
			continue;
		(*n)++;
		snprintf(info, sizeof(info), "/proc/self/fdinfo/%s", de->d_name);
		assert_non_null(f = fopen(info, "r"));
		while (fgets(line, sizeof(line), f) != NULL) {
			unsigned long flags;
			if (sscanf(line, "flags: %lo", &flags) == 1 && (flags & O_ACCMODE) != O_RDONLY)
				(*writable)++;
		}
		fclose(f);
	}
	closedir(d);
}

/* This process holds at least min descriptors on the store, none of them writable. */
static void
assert_store_fds_read_only(int min)
{
	int n, writable;

	count_store_fds(&n, &writable);
	assert_true(n >= min);
	assert_int_equal(writable, 0);
}

/*
 * A writer in another process (SQLite keeps a closed connection's
 * descriptors while another connection of the same process holds locks on
 * the file, so it cannot be in this one), forked while this process has no
 * connection (a forked child must not share its parent's): for each byte it
 * reads from go it adds an issuer (the first opens the store) and says so on
 * ready; it exits at EOF.
 */
static pid_t
start_writer(int *ready, int *go)
{
	int a[2], b[2];
	pid_t pid;

	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct issuer_record r = {.crl_shards = 1};
		uint8_t der[] = {0x30, 0x00};
		struct store *w = NULL;
		struct err e;
		char c;

		close(a[0]);
		close(b[1]);
		r.cert_der = der;
		r.cert_len = sizeof(der);
		for (int i = 0; read(b[0], &c, 1) == 1; i++) {
			if (i == 0 &&
			    (w = store_open(test_dir, "lancre.db", STORE_WRITE, &e)) == NULL)
				_exit(1);
			snprintf(r.name, sizeof(r.name), "later%d", i);
			if (store_issuer_add(w, &r, NULL, &e) != 0)
				_exit(1);
			(void)!write(a[1], "d", 1);
		}
		store_close(w);
		_exit(0);
	}
	close(a[1]);
	close(b[0]);
	*ready = a[0];
	*go = b[1];
	return pid;
}

static void
stop_writer(pid_t pid, int ready, int go)
{
	int status;

	close(go);
	close(ready);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The writer adds one issuer: back once it has committed. */
static void
writer_adds(int ready, int go)
{
	char c;

	assert_int_equal(write(go, "x", 1), 1);
	assert_int_equal(read(ready, &c, 1), 1);
}

/*
 * STORE_READ holds the database, its -wal and -shm open for reading only,
 * also when the process could write them (the old code opened the -shm
 * read-write whenever the mode allowed), with a writer running and without;
 * and it sees what a writer that starts after it commits.
 */
static void
test_read_only_descriptors(void **state)
{
	struct store *ro;
	int ready, go;
	pid_t pid;

	(void)state;
	create_store();
	pid = start_writer(&ready, &go);

	/* Opened with no writer running. */
	ro = open_store(STORE_READ);
	assert_issuer_seq(ro, 0);
	assert_store_fds_read_only(1);

	/* A writer that comes later is seen, and the reader still writes nothing. */
	writer_adds(ready, go);
	assert_issuer_seq(ro, 1);
	assert_store_fds_read_only(2); /* the database and its -shm at least */
	store_close(ro);

	/* Opened while the writer runs, which writes again. */
	ro = open_store(STORE_READ);
	assert_issuer_seq(ro, 1);
	writer_adds(ready, go);
	assert_issuer_seq(ro, 2);
	assert_store_fds_read_only(2);
	stop_writer(pid, ready, go);
	assert_issuer_seq(ro, 2);
	store_close(ro);
}

/*
 * A store whose -wal and -shm something removed (the sqlite3 shell, the last
 * to close it, keeps no WAL) is opened immutable: the handle moves to the
 * WAL once a writer has made one, and sees its changes at the next poll.
 */
static void
test_immutable_then_writer(void **state)
{
	char path[300];
	struct store *ro;
	int ready, go;
	pid_t pid;

	(void)state;
	create_store();
	test_path(path, sizeof(path), "lancre.db-wal");
	assert_int_equal(unlink(path), 0);
	test_path(path, sizeof(path), "lancre.db-shm");
	assert_int_equal(unlink(path), 0);
	pid = start_writer(&ready, &go);
	ro = open_store(STORE_READ);
	assert_issuer_seq(ro, 0);
	writer_adds(ready, go);
	assert_issuer_seq(ro, 1);
	writer_adds(ready, go);
	assert_issuer_seq(ro, 2);
	stop_writer(pid, ready, go);
	store_close(ro);
}

/* The sqlite3 shell reads the store and closes: the last connection, it removes -wal and -shm. */
static void
shell_reads(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "sqlite3 '%s/lancre.db' 'SELECT count(*) FROM meta' >/dev/null",
	    test_dir);
	assert_int_equal(system(cmd), 0);
	assert_false(exists("lancre.db-wal"));
}

/*
 * A read-only handle opened immutable (the sqlite3 shell, which keeps no WAL,
 * was the last to close the store) while a writer comes, writes, goes, and
 * the shell closes again, so that no -wal is left when the handle next
 * looks: it still sees the write (an immutable handle caches the file as
 * unchanging: it reopens when the file changed).
 */
static void
test_immutable_file_changed(void **state)
{
	struct store *ro;
	int ready, go;
	pid_t pid;

	(void)state;
	create_store();
	pid = start_writer(&ready, &go);
	shell_reads();
	ro = open_store(STORE_READ);
	assert_issuer_seq(ro, 0);
	writer_adds(ready, go);
	stop_writer(pid, ready, go);
	shell_reads();
	assert_issuer_seq(ro, 1);
	store_close(ro);
}

/* A writer that closes leaves the -wal and -shm for readers who may not create them. */
static void
test_wal_kept(void **state)
{
	(void)state;
	create_store();
	store_close(open_store(STORE_WRITE));
	assert_true(exists("lancre.db-wal"));
	assert_true(exists("lancre.db-shm"));
}

/* 1 if the file test_dir/name holds the bytes of text anywhere (or is missing: 0). */
static int
file_holds(const char *name, const char *text)
{
	char path[512];
	uint8_t *buf;
	size_t n = 0, cap = 1 << 20, tl = strlen(text);
	FILE *f;
	int found = 0;

	test_path(path, sizeof(path), name);
	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	assert_non_null(buf = malloc(cap));
	for (size_t r; (r = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += r;
		if (n == cap) {
			cap *= 2;
			assert_non_null(buf = realloc(buf, cap));
		}
	}
	fclose(f);
	for (size_t i = 0; i + tl <= n && !found; i++)
		found = memcmp(buf + i, text, tl) == 0;
	free(buf);
	return found;
}

/* Run the SQL text on test_dir/db_name as any tool would: SQLITE_OK, else msg (sqlite3_free). */
static int
sql_exec(const char *db_name, const char *text, char **msg)
{
	char path[512];
	sqlite3 *db;
	int rc;

	*msg = NULL;
	test_path(path, sizeof(path), db_name);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, text, NULL, NULL, msg);
	sqlite3_close(db);
	return rc;
}

static void
sql(const char *db_name, const char *text)
{
	char *msg;

	if (sql_exec(db_name, text, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg);
}

/* The SQL text fails on test_dir/db_name, saying why. */
static void
sql_refused(const char *db_name, const char *text, const char *why)
{
	char *msg;

	assert_int_not_equal(sql_exec(db_name, text, &msg), SQLITE_OK);
	assert_non_null(msg);
	assert_non_null(strstr(msg, why));
	sqlite3_free(msg);
}

static int64_t
issuer_with_keys(struct store *s, const char *name, const char *key_ref, const char *ocsp_ref)
{
	struct issuer_record r = {.crl_shards = 1};
	struct store_issuer_keys k = {0};
	uint8_t der[] = {0x30, 0x00};
	struct err e;

	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(k.key_ref, sizeof(k.key_ref), "%s", key_ref);
	r.cert_der = der;
	r.cert_len = sizeof(der);
	assert_int_equal(store_issuer_add(s, &r, &k, &e), 0);
	if (ocsp_ref != NULL)
		assert_int_equal(store_issuer_set_ocsp_signer(s, r.id, der, sizeof(der), ocsp_ref, &e),
		    0);
	return r.id;
}

/*
 * Key references are in DIR/private/keys.db (0700, 0600), never in lancre.db;
 * a read-only handle cannot read them; a PIN is refused.
 */
static void
test_keys_apart(void **state)
{
	struct store_issuer_keys k;
	struct store *s, *ro;
	struct err e;
	int64_t id;

	(void)state;
	s = open_store(STORE_CREATE);
	id = issuer_with_keys(s, "k1", "/secret/where/k1.key", "/secret/where/ocsp.key");
	assert_int_equal(store_issuer_keys(s, id, &k, &e), 1);
	assert_string_equal(k.key_ref, "/secret/where/k1.key");
	assert_string_equal(k.ocsp_key_ref, "/secret/where/ocsp.key");
	assert_int_equal(store_issuer_set_key(s, id, "pkcs11:token=t;object=k?pin-value=4321", "",
			     &e), -1);
	assert_non_null(strstr(e.msg, "pin-source=file:"));
	ro = open_store(STORE_READ);
	assert_int_equal(store_issuer_keys(ro, id, &k, &e), -1);
	store_close(ro);
	store_close(s);
	assert_int_equal(mode_of("private"), 0700);
	assert_int_equal(mode_of("private/keys.db"), 0600);
	assert_true(file_holds("private/keys.db", "/secret/where/k1.key"));
	assert_false(file_holds("lancre.db", "/secret/where"));
	assert_false(file_holds("lancre.db-wal", "/secret/where"));
	/* And lancre.db refuses them, whoever writes. */
	sql_refused("lancre.db", "UPDATE issuers SET key_ref = '/x'", "private/keys.db");
}

/* keys.db's journal mode as its header says: 1 rollback journal, 2 WAL (file format, byte 18). */
static int
keys_format(void)
{
	unsigned char hdr[19];
	char path[512];
	FILE *f;

	test_path(path, sizeof(path), "private/keys.db");
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	fclose(f);
	return hdr[18];
}

/*
 * keys.db keeps a rollback journal (sqlite_keys.c), whatever journal_mode
 * lancre.db's writers set: a writer that only reads it creates no file in
 * private/ (a WAL database needs its -wal and -shm made by every first
 * opener, which fails with "unable to open database file" whenever they
 * cannot be made).  A key store left in WAL by an older writer is turned
 * back by the next writer that has it to itself.
 */
static void
test_keys_rollback_journal(void **state)
{
	struct store *s, *s2;

	(void)state;
	s = open_store(STORE_CREATE);
	issuer_with_keys(s, "k1", "/secret/k1.key", NULL);
	assert_int_equal(keys_format(), 1);
	s2 = open_store(STORE_WRITE);
	assert_false(exists("private/keys.db-wal"));
	assert_false(exists("private/keys.db-shm"));
	assert_false(exists("private/keys.db-journal"));
	store_close(s2);
	store_close(s);
	assert_true(exists("lancre.db-wal")); /* lancre.db is WAL (the check is not blind) */
	sql("private/keys.db", "PRAGMA journal_mode = WAL");
	assert_int_equal(keys_format(), 2);
	store_close(open_store(STORE_WRITE));
	assert_int_equal(keys_format(), 1);
}

/*
 * A store of schema 6 (key references in lancre.db, a PIN in one): the
 * upgrade moves them to keys.db, blanks them in lancre.db so that neither
 * the file nor its WAL holds their text, removes the PIN and says so once.
 */
static void
test_keys_migration(void **state)
{
	struct store_issuer_keys k;
	struct store *s;
	struct err e;
	int64_t a, b;

	(void)state;
	s = open_store(STORE_CREATE);
	a = issuer_with_keys(s, "plain", "/old/place/plain.key", NULL);
	b = issuer_with_keys(s, "hsm", "pkcs11:token=t;object=k", "/old/place/ocsp.key");
	assert_null(store_notice(s));
	store_close(s);
	/* Back to schema 6, as an older lancre left it. */
	sql("lancre.db", "DROP INDEX certificates_spki;" /* schema 10 */
			 "ALTER TABLE certificates DROP COLUMN spki_sha256;"
			 "ALTER TABLE certificates DROP COLUMN precert;"
			 "ALTER TABLE certificates DROP COLUMN precert_tbs;"
			 "DROP TABLE tokens; DROP TABLE audit; DROP TABLE audit_head;" /* 9 */
			 "DROP TABLE leases; DROP TABLE lease_holders;" /* schema 8 */
			 "DROP TRIGGER issuers_no_key_refs; DROP TRIGGER issuers_no_key_refs_update;"
			 "DROP TRIGGER certificates_revocation_final;"
			 "DROP TRIGGER certificates_revoked_kept;"
			 "ALTER TABLE issuers DROP COLUMN has_key;"
			 "UPDATE issuers SET key_ref = '/old/place/plain.key' WHERE name = 'plain';"
			 "UPDATE issuers SET key_ref = 'pkcs11:token=t;object=k?pin-value=98765',"
			 " ocsp_key_ref = '/old/place/ocsp.key' WHERE name = 'hsm';"
			 "PRAGMA user_version = 6;");
	sql("private/keys.db", "DELETE FROM issuer_keys");
	assert_true(file_holds("lancre.db", "98765") || file_holds("lancre.db-wal", "98765"));

	s = open_store(STORE_WRITE);
	assert_non_null(store_notice(s));
	assert_non_null(strstr(store_notice(s), "issuer hsm "));
	assert_non_null(strstr(store_notice(s), "pin-source=file:"));
	assert_int_equal(store_issuer_keys(s, a, &k, &e), 1);
	assert_string_equal(k.key_ref, "/old/place/plain.key");
	assert_int_equal(store_issuer_keys(s, b, &k, &e), 1);
	assert_string_equal(k.key_ref, "pkcs11:token=t;object=k");
	assert_string_equal(k.ocsp_key_ref, "/old/place/ocsp.key");
	store_close(s);
	assert_false(file_holds("lancre.db", "/old/place"));
	assert_false(file_holds("lancre.db-wal", "/old/place"));
	assert_false(file_holds("lancre.db", "98765"));
	assert_false(file_holds("lancre.db-wal", "98765"));
	assert_false(file_holds("private/keys.db", "98765"));
	/* Told once: the next open has nothing to say. */
	s = open_store(STORE_WRITE);
	assert_null(store_notice(s));
	store_close(s);
}

/*
 * Revocation is final in the store itself: making a revoked certificate
 * good, or deleting it, fails whoever asks (here SQL, as a mistaken tool or
 * a tamperer would); `revoke` again may still change its reason and date.
 */
static void
test_revocation_final(void **state)
{
	struct cert_record r = {0}, got;
	enum store_insert_result res;
	struct store *s;
	struct err e;

	(void)state;
	s = open_store(STORE_CREATE);
	r.issuer_id = issuer_with_keys(s, "rv", "/k", NULL);
	r.serial[0] = 7;
	r.serial_len = 1;
	r.not_before = 1;
	r.not_after = 2;
	r.shard = 1;
	memset(r.fingerprint, 1, sizeof(r.fingerprint));
	assert_int_equal(store_cert_insert(s, &r, &res, &e), 0);
	assert_int_equal(store_cert_revoke(s, r.id, 100, 1, &e), 0);
	assert_int_equal(store_cert_revoke(s, r.id, 90, 4, &e), 0); /* reason and date change */
	assert_int_equal(store_cert_get(s, r.issuer_id, r.serial, 1, &got, &e), 1);
	assert_int_equal(got.reason, 4);
	assert_int_equal(got.revoked_at, 90);
	store_close(s);
	sql_refused("lancre.db", "UPDATE certificates SET status = 0", "stays revoked");
	sql_refused("lancre.db", "DELETE FROM certificates", "stays revoked");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    test_dir_unit_test(test_create_mode),
	    test_dir_unit_test(test_read_only_descriptors),
	    test_dir_unit_test(test_wal_kept),
	    test_dir_unit_test(test_immutable_then_writer),
	    test_dir_unit_test(test_immutable_file_changed),
	    test_dir_unit_test(test_keys_apart),
	    test_dir_unit_test(test_keys_migration),
	    test_dir_unit_test(test_keys_rollback_journal),
	    test_dir_unit_test(test_revocation_final),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
