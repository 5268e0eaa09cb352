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
/* How long a stopping loop waits for its jobs out to come back. */
#define LOOKUP_DRAIN_MS 2000
#define LOOKUP_HOLD_PATH_MAX 256  /* lookup_set_hold's path */
#define LOOKUP_HOLD_MAX_MS 30000  /* the longest a held lookup waits */

struct lookup;
struct lookup_job;

/*
 * One loop's end of the lookups: its queue and receiver, and what it does
 * with a job that comes back (on the loop's thread; the job is freed after).
 */
struct lookup_port {
	h2o_multithread_queue_t *queue;
	h2o_multithread_receiver_t receiver;
	void (*done)(void *arg, h2o_req_t *req, struct lookup_job *job);
	void *arg;
	atomic_long out; /* jobs sent and not back yet */
};

/* What a job asked and what the store said. */
struct lookup_job {
	h2o_multithread_message_t msg; /* first: the receiver hands back this */
	struct lookup_job *next;       /* in the lookup threads' queue */
	struct lookup_port *port;
	h2o_req_t *req;              /* NULL once the request is gone */
	struct lookup_ticket *ticket; /* in req's pool */
	struct shared_catalog *cat;  /* held: its issuer certificates check the signature */
	struct ocsp_cache *cache;    /* bounded: the miss reserved its key there, the lookup fills it */
	struct ocsp_miss miss;
	struct ocsp_answer answer; /* what the view answered (its serial) */
	int64_t started_ns;        /* when the request arrived (monotonic) */
	/*
	 * The store's word: 1 found (entry, its der owned here), 0 none to serve
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
 * failure).  NULL with e set on failure.
 */
struct lookup *lookup_start(struct store **stores, int n, struct err *e);

/* Stop the threads once the jobs queued are done, close their stores. Accepts NULL. */
void lookup_stop(struct lookup *lk);

/*
 * A test hook (server.h's SERVER_LOOKUP_HOLD_ENV): from now on, while a file
 * is at path, each lookup waits between its store read and its cache fill.
 * Set before the first request; NULL or a path too long: no hold.
 */
void lookup_set_hold(struct lookup *lk, const char *path);

/* Lookups done, and signatures they checked and that failed (those were not served). */
void lookup_counts(const struct lookup *lk, uint64_t *done, uint64_t *checked, uint64_t *bad);

/* A loop's port (on that loop's thread); 0, or -1 if the queue cannot be made. */
int lookup_port_init(struct lookup_port *p, h2o_loop_t *loop,
    void (*done)(void *arg, h2o_req_t *req, struct lookup_job *job), void *arg);
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
 * caller releases it.  0: req is suspended and
 * p->done will be called for it; -1: the queue is full (or lk is NULL),
 * answer req now.
 */
int lookup_submit(struct lookup *lk, struct lookup_port *p, h2o_req_t *req,
    const struct ocsp_miss *miss, const struct ocsp_answer *a, struct shared_catalog *cat,
    struct ocsp_cache *cache, int64_t started_ns);

#endif
