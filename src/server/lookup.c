/*
 * lookup.c - see lookup.h.
 *
 * The threads share one FIFO of jobs under a mutex (a job is a few hundred
 * bytes and a lookup tens of microseconds: the lock is never the cost).  A
 * thread takes one job at a time, so n threads keep n lookups in flight.
 * A thread counts itself busy (under the mutex) while it runs a job, so
 * that a stop can tell a thread stuck inside the store from an idle one.
 * Idle, a thread looks at its store every LOOKUP_IDLE_LOOK_MS (store_idle),
 * so its SQLite connection does not keep removed files mapped for the others.
 */
#include "server/lookup.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ocsp/index.h"
#include "server/verify.h"
#include "util/condwait.h"

#define LOOKUP_IDLE_LOOK_MS 250 /* between two looks at the store while idle */

struct lookup_worker {
	struct lookup *lk;
	struct store *store;
	pthread_t tid;
	int started;
	int running; /* still in worker_main (under mu) */
};

struct lookup {
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* a job queued, or stopping */
	pthread_cond_t exited;  /* a thread left worker_main */
	struct lookup_job *head, *tail;
	long queued;
	int stopping;
	int n;
	struct lookup_worker w[LOOKUP_THREADS_MAX];
	char hold[LOOKUP_HOLD_PATH_MAX]; /* lookup_set_hold's file, or "" */
	struct lookup_test test;
	atomic_ulong done, checked, bad, failed, late, full;
	atomic_long waiting; /* requests suspended, not answered yet (all loops) */
	/* Monotonic ns of the last lookup the store answered, and of the last that failed. */
	atomic_llong last_ok_ns, last_fail_ns;
	atomic_llong served_seq; /* lookup_served_seq */
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Lives in the request's pool: its disposal means the request is gone. */
struct lookup_ticket {
	struct lookup_job *job; /* NULL once the job came back */
};

static void
job_free(struct lookup_job *j)
{
	snapshot_catalog_release(j->cat);
	free(j->der);
	free(j);
}

/* What store_ocsp_get found, copied into the job (its der is borrowed). */
static int
take_row(void *arg, const struct ocsp_record *r)
{
	struct lookup_job *j = arg;

	j->der = malloc(r->der_len ? r->der_len : 1);
	if (j->der == NULL)
		return 1;
	memcpy(j->der, r->der, r->der_len);
	j->entry = (struct ocsp_entry){.der = j->der, .der_len = r->der_len,
	    .this_update = r->this_update, .next_update = r->next_update,
	    .etag = ocsp_index_etag(r->der, r->der_len)};
	j->seq = r->seq;
	return 0;
}

/*
 * Every looked-up response's signature, against its issuer (verify.h); 0
 * when it fails.  Not a sample, as a snapshot load takes: a response read
 * here is served again from the cache, or read again on the next miss, and
 * a sample would let a bad one through on a later request.  The check costs
 * less than the store read before it.
 */
static int
check_signature(struct lookup *lk, const struct lookup_job *j)
{
	const struct shared_catalog *c = j->cat;

	for (size_t i = 0; i < c->nissuers; i++) {
		if (c->issuers[i].id != j->miss.issuer_id)
			continue;
		atomic_fetch_add(&lk->checked, 1);
		if (verify_ocsp(j->entry.der, j->entry.der_len, c->issuers[i].cert))
			return 1;
		atomic_fetch_add(&lk->bad, 1);
		return 0;
	}
	return 1;
}

/*
 * The test hook (lookup_set_hold): while the file is there the lookup,
 * its store read done, waits before it fills the cache (at most
 * LOOKUP_HOLD_MAX_MS), so a test can change the store meanwhile.
 */
static void
hold_if_asked(const struct lookup *lk)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	struct stat st;

	for (int ms = 0; lk->hold[0] != '\0' && ms < LOOKUP_HOLD_MAX_MS; ms += 10) {
		if (stat(lk->hold, &st) != 0)
			return;
		nanosleep(&tick, NULL);
	}
}

/* The end of j's miss in the cache: what the store holds, that none is to be served, or nothing learnt. */
static void
end_miss(struct lookup_job *j)
{
	const struct ocsp_query *q = &j->miss.q;
	struct ocsp_cache_key k = {j->miss.issuer_id, q->hash, q->serial, q->serial_len};
	struct ocsp_record r = {.issuer_id = j->miss.issuer_id, .hash = q->hash,
	    .serial_len = q->serial_len, .der = j->der, .der_len = j->entry.der_len,
	    .this_update = j->entry.this_update, .next_update = j->entry.next_update,
	    .seq = j->seq};

	memcpy(r.serial, q->serial, q->serial_len);
	if (j->found == 1)
		ocsp_cache_fill(j->cache, &k, &r);
	else if (j->found == 0)
		ocsp_cache_fill_absent(j->cache, &k, j->seq); /* seq 0: none; else the bad one's */
	else
		ocsp_cache_release(j->cache, &k);
}

static void
served_raise(struct lookup *lk, int64_t seq)
{
	long long was = atomic_load_explicit(&lk->served_seq, memory_order_relaxed);

	while (seq > was && !atomic_compare_exchange_weak_explicit(&lk->served_seq, &was, seq,
				memory_order_release, memory_order_relaxed))
		;
}

static void
run_job(struct lookup_worker *w, struct lookup_job *j)
{
	struct err e;
	const struct ocsp_query *q = &j->miss.q;

	atomic_fetch_add_explicit(&w->lk->done, 1, memory_order_relaxed);
	if (w->lk->test.delay_ms > 0) { /* a store slow to answer (tests only) */
		struct timespec d = {w->lk->test.delay_ms / 1000,
		    (w->lk->test.delay_ms % 1000) * 1000000L};
		nanosleep(&d, NULL);
	}
	if (w->lk->test.fail)
		j->found = -1;
	else
		j->found = store_ocsp_get(w->store, j->miss.issuer_id, q->hash, q->serial,
		    q->serial_len, take_row, j, &e);
	if (j->found == 1 && j->der == NULL)
		j->found = -1; /* out of memory: as if the store had failed */
	if (j->found == 1 && !check_signature(w->lk, j))
		j->found = 0; /* never served, as a snapshot leaves it out */
	if (j->found < 0) {
		atomic_fetch_add(&w->lk->failed, 1);
		atomic_store(&w->lk->last_fail_ns, mono_ns());
	} else {
		atomic_store(&w->lk->last_ok_ns, mono_ns());
	}
	if (j->found == 1) /* before the answer leaves: a later request must see it (lookup.h) */
		served_raise(w->lk, j->seq);
	hold_if_asked(w->lk);
	if (j->cache != NULL)
		end_miss(j);
}

static void *
worker_main(void *arg)
{
	struct lookup_worker *w = arg;
	struct lookup *lk = w->lk;
	struct lookup_job *j;
	struct err e;

	pthread_mutex_lock(&lk->mu);
	for (;;) {
		while (lk->head == NULL && !lk->stopping) {
			if (condwait_ms(&lk->cv, &lk->mu, LOOKUP_IDLE_LOOK_MS)) {
				pthread_mutex_unlock(&lk->mu);
				(void)store_idle(w->store, &e); /* its error is the next lookup's */
				pthread_mutex_lock(&lk->mu);
			}
		}
		if (lk->head == NULL || lk->stopping)
			break; /* stopping: the loops are gone, lookup_stop frees what is left */
		j = lk->head;
		lk->head = j->next;
		if (lk->head == NULL)
			lk->tail = NULL;
		lk->queued--;
		pthread_mutex_unlock(&lk->mu);
		run_job(w, j);
		h2o_multithread_send_message(&j->port->receiver, &j->msg);
		pthread_mutex_lock(&lk->mu);
	}
	w->running = 0;
	pthread_cond_signal(&lk->exited);
	pthread_mutex_unlock(&lk->mu);
	return NULL;
}

struct lookup *
lookup_start(struct store **stores, int n, const struct lookup_test *t, struct err *e)
{
	struct lookup *lk = calloc(1, sizeof(*lk));

	if (lk == NULL || n < 1 || n > LOOKUP_THREADS_MAX) {
		for (int i = 0; i < n; i++)
			store_close(stores[i]);
		free(lk);
		err_set(e, lk == NULL ? "out of memory" : "bad number of lookup threads");
		return NULL;
	}
	pthread_mutex_init(&lk->mu, NULL);
	pthread_cond_init(&lk->cv, NULL);
	pthread_cond_init(&lk->exited, NULL);
	if (t != NULL)
		lk->test = *t;
	if (lk->test.queue_max <= 0 || lk->test.queue_max > LOOKUP_QUEUE_MAX)
		lk->test.queue_max = LOOKUP_QUEUE_MAX;
	lk->n = n;
	for (int i = 0; i < n; i++)
		lk->w[i] = (struct lookup_worker){.lk = lk, .store = stores[i]};
	for (int i = 0; i < n; i++) {
		lk->w[i].running = 1;
		if (pthread_create(&lk->w[i].tid, NULL, worker_main, &lk->w[i]) != 0) {
			lk->w[i].running = 0;
			err_set(e, "cannot start a lookup thread");
			lookup_stop(lk); /* closes every store, those of threads never started too */
			return NULL;
		}
		lk->w[i].started = 1;
	}
	return lk;
}

static int
threads_running(const struct lookup *lk)
{
	int n = 0;

	for (int i = 0; i < lk->n; i++)
		n += lk->w[i].running;
	return n;
}

/* Wait (under lk->mu) until every thread left worker_main, at most LOOKUP_STOP_MS: 1 if all did. */
static int
wait_exited(struct lookup *lk)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)LOOKUP_STOP_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	while (threads_running(lk) > 0) {
		if (pthread_cond_timedwait(&lk->exited, &lk->mu, &until) != 0)
			break;
	}
	return threads_running(lk) == 0;
}

int
lookup_stop(struct lookup *lk)
{
	int all;

	if (lk == NULL)
		return 0;
	pthread_mutex_lock(&lk->mu);
	lk->stopping = 1;
	pthread_cond_broadcast(&lk->cv);
	/* Jobs never run: their loops have stopped (and answered nothing more). */
	while (lk->head != NULL) {
		struct lookup_job *j = lk->head;

		lk->head = j->next;
		job_free(j);
	}
	lk->tail = NULL;
	lk->queued = 0;
	all = wait_exited(lk);
	pthread_mutex_unlock(&lk->mu);
	if (!all)
		return -1; /* a thread inside a store that does not answer: see lookup.h */
	for (int i = 0; i < lk->n; i++) {
		if (lk->w[i].started)
			pthread_join(lk->w[i].tid, NULL);
		store_close(lk->w[i].store);
	}
	pthread_cond_destroy(&lk->exited);
	pthread_cond_destroy(&lk->cv);
	pthread_mutex_destroy(&lk->mu);
	free(lk);
	return 0;
}

int64_t
lookup_served_seq(struct lookup *lk)
{
	return lk != NULL ? atomic_load_explicit(&lk->served_seq, memory_order_acquire) : 0;
}

void
lookup_served_forget(struct lookup *lk)
{
	if (lk != NULL)
		atomic_store(&lk->served_seq, 0);
}

void
lookup_set_hold(struct lookup *lk, const char *path)
{
	if (lk != NULL && path != NULL && strlen(path) < sizeof(lk->hold))
		memcpy(lk->hold, path, strlen(path) + 1);
}

void
lookup_counts(struct lookup *lk, struct lookup_stats *st)
{
	int64_t ok, fail;

	memset(st, 0, sizeof(*st));
	if (lk == NULL)
		return;
	st->done = atomic_load(&lk->done);
	st->checked = atomic_load(&lk->checked);
	st->bad = atomic_load(&lk->bad);
	st->failed = atomic_load(&lk->failed);
	st->late = atomic_load(&lk->late);
	st->full = atomic_load(&lk->full);
	st->waiting = atomic_load(&lk->waiting);
	ok = atomic_load(&lk->last_ok_ns);
	fail = atomic_load(&lk->last_fail_ns);
	st->failing = fail != 0 && fail > ok &&
	    mono_ns() - fail < (int64_t)LOOKUP_FAILING_WINDOW_MS * 1000000;
}

/* The loop is done with j's request (answered, or gone): unhook them. */
static void
unhook(struct lookup_job *j)
{
	if (h2o_timeout_is_linked(&j->deadline))
		h2o_timeout_unlink(&j->deadline);
	j->ticket->job = NULL;
	j->req = NULL;
	j->port->waiting--;
	atomic_fetch_sub(&j->port->lk->waiting, 1);
}

/* Jobs back on the loop: answer the requests still there, free every job. */
static void
on_messages(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
	struct lookup_port *p = H2O_STRUCT_FROM_MEMBER(struct lookup_port, receiver, receiver);

	while (!h2o_linklist_is_empty(messages)) {
		struct lookup_job *j = H2O_STRUCT_FROM_MEMBER(struct lookup_job, msg.link,
		    messages->next);
		h2o_linklist_unlink(&j->msg.link);
		atomic_fetch_sub(&p->out, 1);
		if (j->req != NULL) {
			h2o_req_t *req = j->req;
			unhook(j);
			p->done(p->arg, req, j, 0);
		}
		job_free(j);
	}
}

/*
 * A request's deadline passed before its lookup came back: answer it now
 * (tryLater) and unhook it; the job, still out, is freed when it comes back.
 */
static void
on_deadline(h2o_timeout_entry_t *entry)
{
	struct lookup_job *j = H2O_STRUCT_FROM_MEMBER(struct lookup_job, deadline, entry);
	struct lookup_port *p = j->port;
	h2o_req_t *req = j->req;

	unhook(j);
	atomic_fetch_add(&p->lk->late, 1);
	atomic_store(&p->lk->last_fail_ns, mono_ns());
	p->done(p->arg, req, j, 1);
}

int
lookup_port_init(struct lookup_port *p, struct lookup *lk, h2o_loop_t *loop,
    void (*done)(void *arg, h2o_req_t *req, const struct lookup_job *job, int late), void *arg)
{
	memset(p, 0, sizeof(*p));
	p->lk = lk;
	p->done = done;
	p->arg = arg;
	atomic_init(&p->out, 0);
	if ((p->queue = h2o_multithread_create_queue(loop)) == NULL)
		return -1;
	h2o_multithread_register_receiver(p->queue, &p->receiver, on_messages);
	h2o_timeout_init(loop, &p->deadline, LOOKUP_DEADLINE_MS);
	return 0;
}

int
lookup_port_dispose(struct lookup_port *p, h2o_loop_t *loop)
{
	struct timespec t0, t;

	if (p->queue == NULL)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (atomic_load(&p->out) > 0) {
		h2o_evloop_run(loop, 10);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >
		    LOOKUP_DRAIN_MS)
			return -1; /* a lookup that never came back: see lookup.h */
	}
	h2o_timeout_dispose(loop, &p->deadline);
	h2o_multithread_unregister_receiver(p->queue, &p->receiver);
	h2o_multithread_destroy_queue(p->queue);
	p->queue = NULL;
	return 0;
}

static void
ticket_dispose(void *arg)
{
	struct lookup_ticket *t = arg;

	if (t->job != NULL)
		unhook(t->job); /* the request is gone: its job's return is dropped */
}

int
lookup_submit(struct lookup *lk, struct lookup_port *p, h2o_req_t *req,
    const struct ocsp_miss *miss, const struct ocsp_answer *a, struct shared_catalog *cat,
    struct ocsp_cache *cache, int64_t started_ns)
{
	struct lookup_job *j;

	if (lk == NULL || p->queue == NULL)
		return -1;
	pthread_mutex_lock(&lk->mu);
	if (lk->queued >= lk->test.queue_max || lk->stopping) {
		pthread_mutex_unlock(&lk->mu);
		atomic_fetch_add(&lk->full, 1);
		return -1;
	}
	pthread_mutex_unlock(&lk->mu);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->port = p;
	j->cache = cache;
	j->req = req;
	j->miss = *miss;
	j->answer = *a;
	j->started_ns = started_ns;
	j->ticket = h2o_mem_alloc_shared(&req->pool, sizeof(*j->ticket), ticket_dispose);
	j->ticket->job = j;
	j->deadline.cb = on_deadline;
	h2o_timeout_link(req->conn->ctx->loop, &p->deadline, &j->deadline);
	p->waiting++;
	atomic_fetch_add(&lk->waiting, 1);
	snapshot_catalog_hold(cat);
	j->cat = cat;
	atomic_fetch_add(&p->out, 1);
	pthread_mutex_lock(&lk->mu);
	if (lk->tail != NULL)
		lk->tail->next = j;
	else
		lk->head = j;
	lk->tail = j;
	lk->queued++;
	pthread_cond_signal(&lk->cv);
	pthread_mutex_unlock(&lk->mu);
	return 0;
}
