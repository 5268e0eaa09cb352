/*
 * lookup.h - asking the store, off the event loops, for the responses a
 * snapshot does not hold (not for use outside src/server/).
 *
 * A partial snapshot (snapshot.h: its base still loading) misses requests
 * the store can answer.  Such a request is suspended: its loop hands a job
 * to the lookup threads and goes on with other requests.  Each lookup
 * thread has a read-only store handle of its own (opened before the
 * sandbox, like the server's) and runs store_ocsp_get, a point lookup (two
 * unique indexes, tens of microseconds); it then checks a sample of the
 * signatures as a snapshot load does (verify.h) and sends the job back to
 * the loop it came from through h2o's multithread queue (a pipe wakes the
 * loop), where the request is answered as the view would have answered it.
 *
 * A request may go away while its job is out (an HTTP/2 stream reset, a
 * connection cut): its memory pool holds a ticket whose disposal, on the
 * loop, unhooks the job from it, and the job's return is then dropped.
 * Both happen on the loop's thread, so neither needs a lock.  The queue is
 * bounded (LOOKUP_QUEUE_MAX jobs waiting): past it a request is answered
 * tryLater at once, as it is when the store fails, rather than left to wait.
 *
 * A store that does not answer (a database black-holed: PostgreSQL's
 * dead-peer timeouts take ~30 s) must not hold requests that long: each job
 * has a deadline on its loop (an h2o timeout, LOOKUP_DEADLINE_MS from the
 * turn of the loop the request arrived in).  When it passes first, the request is answered
 * tryLater there and unhooked from the job as a gone request is; the
 * lookup thread's answer, whenever it comes, is dropped.  A stop waits for
 * threads stuck in the store only LOOKUP_STOP_MS, then leaves them to the
 * OS (the process is exiting).
 */
#ifndef LANCRE_SERVER_LOOKUP_H
#define LANCRE_SERVER_LOOKUP_H

#define H2O_USE_LIBUV 0
#include <h2o.h>
#include <h2o/multithread.h>

#include <stdatomic.h>

#include "ocsp/answer.h"
#include "ocsp/cache.h"
#include "server/snapshot.h"
#include "store/store.h"
#include "util/err.h"

#define LOOKUP_THREADS_MAX 4
#define LOOKUP_QUEUE_MAX 10000
#define LOOKUP_HOLD_PATH_MAX 256  /* lookup_set_hold's path */
#define LOOKUP_HOLD_MAX_MS 30000  /* the longest a held lookup waits */
/* A suspended request is answered tryLater this long after it arrived, its lookup or not. */
#define LOOKUP_DEADLINE_MS 1500
/* How long a stopping loop waits for its jobs out (all answered by then) to come back. */
#define LOOKUP_DRAIN_MS 500
/* How long lookup_stop waits for threads inside the store before it leaves them. */
#define LOOKUP_STOP_MS 500
/* Lookups are failing (/healthz) while the last failure is newer than the last success and this recent. */
#define LOOKUP_FAILING_WINDOW_MS 10000

/*
 * For tests only (server.c reads them from SERVER_LOOKUP_*_ENV; all 0 in
 * service): each lookup first sleeps delay_ms, not cut short by a stop (a
 * store that does not answer); queue_max (0: LOOKUP_QUEUE_MAX) jobs wait at
 * most; fail: every lookup fails as if the store had.
 */
struct lookup_test {
	int delay_ms;
	long queue_max;
	int fail;
};

/* What the lookups did since the start (lookup_counts). */
struct lookup_stats {
	uint64_t done;     /* lookups run */
	uint64_t checked;  /* signatures they checked */
	uint64_t bad;      /* ... that failed (not served) */
	uint64_t failed;   /* the store failed: answered tryLater */
	uint64_t late;     /* the deadline passed first: answered tryLater */
	uint64_t full;     /* the queue was full: answered tryLater at once */
	int failing;       /* 1: the store is failing now (LOOKUP_FAILING_WINDOW_MS) */
	long waiting;      /* requests waiting for their lookup now */
};

struct lookup;
struct lookup_job;

/*
 * One loop's end of the lookups: its queue and receiver, and what it does
 * with a job that comes back (on the loop's thread; the job is freed after).
 */
struct lookup_port {
	struct lookup *lk;
	h2o_multithread_queue_t *queue;
	h2o_multithread_receiver_t receiver;
	/* late: the deadline passed, only job->answer and started_ns may be read. */
	void (*done)(void *arg, h2o_req_t *req, const struct lookup_job *job, int late);
	void *arg;
	atomic_long out; /* jobs sent and not back yet */
	long waiting;    /* requests suspended and not answered yet (the loop's thread only) */
	h2o_timeout_t deadline; /* LOOKUP_DEADLINE_MS */
};

/* What a job asked and what the store said. */
struct lookup_job {
	h2o_multithread_message_t msg; /* first: the receiver hands back this */
	struct lookup_job *next;       /* in the lookup threads' queue */
	struct lookup_port *port;
	/* The loop's fields: the request (NULL once gone or answered late) and its deadline. */
	h2o_req_t *req;
	h2o_timeout_entry_t deadline;
	struct lookup_ticket *ticket; /* in req's pool */
	struct shared_catalog *cat;  /* held: its issuer certificates check the signature */
	struct ocsp_cache *cache;    /* bounded: the miss reserved its key there, the lookup fills it */
	struct ocsp_miss miss;
	struct ocsp_answer answer; /* what the view answered (its serial) */
	int64_t started_ns;        /* when the request arrived (monotonic) */
	/*
	 * The lookup thread's fields, read on the loop only when the job is back:
	 * the store's word, 1 found (entry, its der owned here), 0 none to serve
	 * (seq: 0, or that of one whose signature failed), -1 the store failed.
	 */
	int found;
	struct ocsp_entry entry;
	uint8_t *der;
	int64_t seq;
};

/*
 * Start n lookup threads (1..LOOKUP_THREADS_MAX), each owning one of
 * stores[0..n-1] (read-only handles; closed by lookup_stop, or here on
 * failure).  t: test hooks (NULL in service).  NULL with e set on failure.
 */
struct lookup *lookup_start(struct store **stores, int n, const struct lookup_test *t,
    struct err *e);

/*
 * Stop the threads, free the jobs still queued, close the stores; accepts
 * NULL.  0; or -1 when a thread was still inside the store after
 * LOOKUP_STOP_MS: it, lk and what its job holds (the cache it fills) are
 * then left alone, never freed (the process is exiting).
 */
int lookup_stop(struct lookup *lk);

/*
 * A test hook (server.h's SERVER_LOOKUP_HOLD_ENV): from now on, while a file
 * is at path, each lookup waits between its store read and its cache fill.
 * Set before the first request; NULL or a path too long: no hold.
 */
void lookup_set_hold(struct lookup *lk, const char *path);

/* What the lookups did (zeros for NULL). */
void lookup_counts(struct lookup *lk, struct lookup_stats *st);

/*
 * The highest store seq (the store's write order) of a response a lookup
 * found, raised before its answer leaves (0: none yet, or lk NULL).  A
 * snapshot whose ocsp_seq is below it is older than an answer already
 * given: it was read before that response was written, and taken after
 * the lookup read it (the first full snapshot, whose base loaded while the
 * partial one sent misses to the store).  Answered from, it would take the
 * answer back: a certificate just served good, unauthorized; one just
 * served revoked, good.  The server asks the store instead until a reload
 * catches up (server/handlers.c).  lookup_served_forget: the store's
 * counter went back (a restore, a promoted standby), and so does this.
 */
int64_t lookup_served_seq(struct lookup *lk);
void lookup_served_forget(struct lookup *lk);

/* A loop's port (on that loop's thread), for lk's jobs; 0, or -1 if the queue cannot be made. */
int lookup_port_init(struct lookup_port *p, struct lookup *lk, h2o_loop_t *loop,
    void (*done)(void *arg, h2o_req_t *req, const struct lookup_job *job, int late), void *arg);
/*
 * Run loop until every job of p is back (at most LOOKUP_DRAIN_MS), then free
 * p's queue: 0.  -1 when a job is still out (a store that does not answer):
 * its lookup thread will send it to p's queue, so p, its queue and loop must
 * then be left alone, never freed (the process is exiting).
 */
int lookup_port_dispose(struct lookup_port *p, h2o_loop_t *loop);

/*
 * Suspend req (on p's loop) and ask the store for miss; the answer so far
 * (a) and cat (held for the job) go with it.  cache (or NULL): where the
 * miss reserved its key, filled by the lookup (ocsp/cache.h); on -1 the
 * caller releases it.  started_ns: when req arrived (monotonic), which its
 * deadline counts from.  0: req is suspended and p->done will be called for
 * it, at the latest at its deadline (late); -1: the queue is full (or lk is
 * NULL), answer req now.
 */
int lookup_submit(struct lookup *lk, struct lookup_port *p, h2o_req_t *req,
    const struct ocsp_miss *miss, const struct ocsp_answer *a, struct shared_catalog *cat,
    struct ocsp_cache *cache, int64_t started_ns);

#endif
