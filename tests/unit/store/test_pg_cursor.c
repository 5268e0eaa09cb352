/*
 * test_pg_cursor.c - the reload cursor under concurrent writers (issue 18,
 * Tests: "no committed row is ever missed (thousands of interleaved commits,
 * checked against the table)"), on the PostgreSQL store.
 *
 * WRITERS processes, each with its own connection, commit TXNS transactions
 * each, interleaved: OCSP responses (store_ocsp_put, 1 to 3 at once, over
 * a pool of certificates) or certificates (store_cert_insert of new ones and
 * store_cert_revoke of one inserted before), a few rolled back; each
 * transaction sleeps a little after its writes, before it commits, so that
 * transactions that took their numbers in one order would commit in
 * another.  Meanwhile a reader with a connection of its own loops, as the
 * server's reload and the signer do: store_ocsp_each(after the highest seq
 * it saw) and store_certs_changed(after its cursor).  At the end every row
 * of ocsp_responses must have been seen with its seq and its bytes, and
 * every certificate with its final status and change_seq.
 *
 * That holds only because every counter is taken with UPDATE meta ...
 * RETURNING inside the writing transaction (PG-DESIGN.md, THE CURSOR RULE):
 * a number taken from a SEQUENCE is taken before commit, and a reader that
 * passed a higher number committed first never sees the lower one.  The
 * test fails with such a counter (mutation-checked: pg_counter_take changed
 * to nextval in a scratch build).  Runs only with LANCRE_TEST_PG (pgtest.h).
 */
#include "testutil.h"
#include "pgtest.h"
#include "store/store.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define WRITERS 4
#define TXNS 600         /* per writer: WRITERS * TXNS commits, about */
#define POOL 1500        /* certificates whose responses the writers put */
#define DER_LEN 24       /* a response's bytes: who wrote it, which transaction */
#define SLEEP_MAX_US 600 /* a transaction's pause between its writes and its commit */
#define READ_PAGE 64

static char db_name[64], db_url[PGTEST_URL_MAX], dir[256];
static int64_t pool_issuer, change_issuer;
static int64_t pool_ids[POOL]; /* the certificates whose responses the writers put */

static struct store *
open_store(enum store_mode mode)
{
	struct err e;
	struct store *st = store_open(dir, db_url, mode, &e);

	if (st == NULL)
		fail_msg("store_open: %s", e.msg);
	return st;
}

static int64_t
add_issuer(struct store *st, const char *name)
{
	struct issuer_record r = {0};
	uint8_t der[] = {0x30, 0x00};
	struct err e;

	snprintf(r.name, sizeof(r.name), "%s", name);
	r.cert_der = der;
	r.cert_len = sizeof(der);
	r.crl_shards = 1;
	r.added_at = 1;
	assert_int_equal(store_issuer_add(st, &r, NULL, &e), 0);
	return r.id;
}

static struct cert_record
cert(int64_t issuer, uint32_t n)
{
	struct cert_record r = {0};

	r.issuer_id = issuer;
	r.serial[0] = 0x01;
	r.serial[1] = (uint8_t)(n >> 24);
	r.serial[2] = (uint8_t)(n >> 16);
	r.serial[3] = (uint8_t)(n >> 8);
	r.serial[4] = (uint8_t)n;
	r.serial_len = 5;
	r.not_before = 100;
	r.not_after = INT64_C(4000000000);
	r.shard = 1;
	r.added_at = 100;
	memset(r.fingerprint, 0x5a, sizeof(r.fingerprint));
	memcpy(r.fingerprint, r.serial, r.serial_len);
	return r;
}

static int
setup(void **state)
{
	struct store *st;
	struct err e;

	(void)state;
	if (pgtest_url() == NULL) {
		printf("# test_pg_cursor: not run: LANCRE_TEST_PG is not set\n");
		return 0;
	}
	test_mkdtemp(dir, sizeof(dir));
	if (pgtest_create(db_name, sizeof(db_name), db_url, sizeof(db_url)) != 0)
		fail_msg("cannot create a test database");
	st = open_store(STORE_CREATE);
	pool_issuer = add_issuer(st, "pool");
	change_issuer = add_issuer(st, "changes");
	assert_int_equal(store_begin(st, &e), 0);
	for (uint32_t i = 0; i < POOL; i++) {
		struct cert_record r = cert(pool_issuer, i);
		enum store_insert_result res;
		assert_int_equal(store_cert_insert(st, &r, &res, &e), 0);
		assert_int_equal(res, STORE_INSERTED);
		pool_ids[i] = r.id;
	}
	assert_int_equal(store_commit(st, &e), 0);
	store_close(st);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (db_name[0] != '\0') {
		pgtest_drop(db_name);
		test_rmdir(dir);
	}
	return 0;
}

/* A small deterministic generator per writer (rand() is per process anyway). */
static uint32_t
next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void
pause_before_commit(uint32_t *x)
{
	struct timespec ts = {0, (long)(next_rand(x) % SLEEP_MAX_US) * 1000};

	nanosleep(&ts, NULL);
}

/* Responses for 1 to 3 certificates of the pool, tagged with who wrote them. */
static int
put_responses(struct store *st, int w, int t, uint32_t *x, struct err *e)
{
	uint8_t der[3][DER_LEN];
	struct ocsp_record r[3];
	size_t n = 1 + next_rand(x) % 3;

	memset(r, 0, sizeof(r));
	for (size_t i = 0; i < n; i++) {
		r[i].cert_id = pool_ids[next_rand(x) % POOL];
		r[i].hash = OCSP_HASH_SHA1;
		snprintf((char *)der[i], DER_LEN, "w%d t%d i%zu", w, t, i);
		r[i].der = der[i];
		r[i].der_len = DER_LEN;
		r[i].this_update = 1000 + t;
		r[i].next_update = 2000 + t;
		r[i].due_at = 1500 + t;
		r[i].cert_seq = 0;
		for (size_t j = 0; j < i; j++)
			if (r[j].cert_id == r[i].cert_id)
				r[i].hash = OCSP_HASH_SHA256; /* (cert_id, hash) once per batch */
	}
	return store_ocsp_put(st, r, n, e);
}

/* Two new certificates of writer w; and one inserted earlier (by w) revoked. */
static int
change_certs(struct store *st, int w, int t, struct err *e)
{
	for (int k = 0; k < 2; k++) {
		struct cert_record r = cert(change_issuer, (uint32_t)(w << 20 | t << 1 | k));
		enum store_insert_result res;
		if (store_cert_insert(st, &r, &res, e) != 0)
			return -1;
	}
	if (t >= 4) {
		struct cert_record old = cert(change_issuer, (uint32_t)(w << 20 | (t - 4) << 1));
		struct cert_record got;
		int found = store_cert_get(st, change_issuer, old.serial, old.serial_len, &got, e);
		if (found < 0)
			return -1;
		if (found && got.status == CERT_GOOD &&
		    store_cert_revoke(st, got.id, 5000 + t, 1, e) != 0)
			return -1;
	}
	return 0;
}

/* Writer w's TXNS transactions; its exit status says how it went. */
static int
writer(int w)
{
	struct err e;
	struct store *st = store_open(dir, db_url, STORE_WRITE, &e);
	uint32_t x = 2463534242u + (uint32_t)w * 7919u;

	if (st == NULL)
		return 2;
	for (int t = 0; t < TXNS; t++) {
		int rollback = next_rand(&x) % 10 == 0;
		if (store_begin(st, &e) != 0)
			return 3;
		if ((t % 2 == 0 ? put_responses(st, w, t, &x, &e) : change_certs(st, w, t, &e)) != 0) {
			fprintf(stderr, "# writer %d: %s\n", w, e.msg);
			return 4;
		}
		pause_before_commit(&x);
		if ((rollback ? store_rollback(st, &e) : store_commit(st, &e)) != 0) {
			fprintf(stderr, "# writer %d: %s\n", w, e.msg);
			return 5;
		}
	}
	store_close(st);
	return 0;
}

/* What the reader saw: by response seq, and by certificate id. */
struct seen {
	int64_t max_seq;
	size_t cap_ocsp, n_ocsp;
	struct seen_ocsp {
		int64_t seq, cert_id;
		int hash;
		uint8_t der[DER_LEN];
	} *ocsp;
	struct store_cursor at;
	size_t cap_cert;
	struct seen_cert {
		int status;
		int64_t change_seq;
	} *certs; /* by id */
};

static int
saw_response(void *arg, const struct ocsp_record *r)
{
	struct seen *v = arg;
	struct seen_ocsp *o;

	if (v->n_ocsp == v->cap_ocsp) {
		v->cap_ocsp = v->cap_ocsp ? 2 * v->cap_ocsp : 4096;
		v->ocsp = realloc(v->ocsp, v->cap_ocsp * sizeof(*v->ocsp));
		assert_non_null(v->ocsp);
	}
	o = &v->ocsp[v->n_ocsp++];
	o->seq = r->seq;
	o->cert_id = r->cert_id;
	o->hash = r->hash;
	memset(o->der, 0, sizeof(o->der));
	memcpy(o->der, r->der, r->der_len < DER_LEN ? r->der_len : DER_LEN);
	if (r->seq > v->max_seq)
		v->max_seq = r->seq;
	return 0;
}

static void
saw_cert(struct seen *v, const struct cert_record *c)
{
	size_t id = (size_t)c->id;

	if (id >= v->cap_cert) {
		size_t cap = 2 * id + 1024;
		v->certs = realloc(v->certs, cap * sizeof(*v->certs));
		assert_non_null(v->certs);
		memset(v->certs + v->cap_cert, 0, (cap - v->cap_cert) * sizeof(*v->certs));
		v->cap_cert = cap;
	}
	v->certs[id].status = c->status;
	v->certs[id].change_seq = c->change_seq;
}

/* One reload: everything after what was seen. */
static void
read_once(struct store *st, struct seen *v)
{
	struct cert_record page[READ_PAGE];
	size_t n;
	struct err e;

	if (store_ocsp_each(st, v->max_seq, saw_response, v, &e) != 0)
		fail_msg("store_ocsp_each: %s", e.msg);
	do {
		if (store_certs_changed(st, &v->at, 0, page, READ_PAGE, &n, &e) != 0)
			fail_msg("store_certs_changed: %s", e.msg);
		for (size_t i = 0; i < n; i++)
			saw_cert(v, &page[i]);
	} while (n == READ_PAGE);
}

/* The last response seen with this seq, or NULL. */
static const struct seen_ocsp *
find_seq(const struct seen *v, int64_t seq)
{
	for (size_t i = v->n_ocsp; i-- > 0;)
		if (v->ocsp[i].seq == seq)
			return &v->ocsp[i];
	return NULL;
}

/* The table as it ends, row by row, against what the reader saw. */
static void
check_responses(struct store *st, const struct seen *v, size_t *rows, size_t *missed)
{
	struct seen all = {0};
	struct err e;

	/* A fresh walk from 0 is the table itself. */
	assert_int_equal(store_ocsp_each(st, 0, saw_response, &all, &e), 0);
	*rows = all.n_ocsp;
	*missed = 0;
	for (size_t i = 0; i < all.n_ocsp; i++) {
		const struct seen_ocsp *o = find_seq(v, all.ocsp[i].seq);
		if (o == NULL || o->cert_id != all.ocsp[i].cert_id || o->hash != all.ocsp[i].hash ||
		    memcmp(o->der, all.ocsp[i].der, DER_LEN) != 0) {
			if (*missed < 5)
				printf("# response seq %lld (certificate %lld) committed, never seen\n",
				    (long long)all.ocsp[i].seq, (long long)all.ocsp[i].cert_id);
			(*missed)++;
		}
	}
	free(all.ocsp);
}

struct cert_check {
	const struct seen *v;
	size_t rows, missed;
};

/* A certificate as the table has it: seen so by the reader? */
static int
check_cert(void *arg, const struct cert_record *c, struct err *e)
{
	struct cert_check *k = arg;
	const struct seen *v = k->v;

	(void)e;
	k->rows++;
	if ((size_t)c->id >= v->cap_cert || v->certs[c->id].change_seq != c->change_seq ||
	    v->certs[c->id].status != (int)c->status) {
		if (k->missed < 5)
			printf("# certificate %lld at change_seq %lld (status %d) committed, never "
			       "seen so\n",
			    (long long)c->id, (long long)c->change_seq, (int)c->status);
		k->missed++;
	}
	return 0;
}

static void
test_no_committed_row_missed(void **state)
{
	struct seen v = {0};
	struct cert_check k = {.v = &v};
	pid_t pids[WRITERS];
	int running = WRITERS, status, failed = 0;
	size_t rows, missed, reads = 0;
	struct store *st;
	struct err e;

	(void)state;
	if (pgtest_url() == NULL)
		return; /* said once by setup (cmocka's skip() would count as a failure) */
	st = open_store(STORE_READ);
	fflush(NULL);
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0)
			_exit(writer(w));
	}
	while (running > 0) {
		read_once(st, &v);
		reads++;
		for (int w = 0; w < WRITERS; w++) {
			if (pids[w] > 0 && waitpid(pids[w], &status, WNOHANG) == pids[w]) {
				pids[w] = 0;
				running--;
				failed |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
			}
		}
	}
	assert_false(failed);
	read_once(st, &v); /* after the last commit: whatever is left */
	check_responses(st, &v, &rows, &missed);
	printf("# %zu reads; %zu responses in the table, %zu of them never seen\n", reads, rows,
	    missed);
	assert_true(rows > POOL / 2);
	assert_int_equal(missed, 0);
	assert_int_equal(store_cert_each(st, change_issuer, 0, check_cert, &k, &e), 0);
	printf("# %zu certificates changed, %zu of them never seen as they are\n", k.rows,
	    k.missed);
	assert_true(k.rows > WRITERS * TXNS / 2);
	assert_int_equal(k.missed, 0);
	free(v.ocsp);
	free(v.certs);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_committed_row_missed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
