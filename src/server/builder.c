/*
 * builder.c - see builder.h.
 *
 * The main thread and the builder share four fields under a mutex: a
 * request (cat, now), the result (done or a failure), and stop.  A load in
 * progress looks at stop once per response (snapshot_base_load's cancel), so
 * a server stopping during a long load does not wait for it.  Idle, the
 * thread looks at its store every BUILDER_IDLE_LOOK_MS (store_idle), so its
 * SQLite connection does not keep removed files mapped for the others.
 */
#include "server/builder.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "util/condwait.h"

#define BUILDER_IDLE_LOOK_MS 250 /* between two looks at the store while idle */

struct builder {
	struct store *s;
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct shared_catalog *cat; /* a request waiting: held */
	int64_t now;
	int busy; /* requested, loading, or done and not taken */
	struct snapshot_base *done;
	int failed;
	struct err err;
	atomic_int stop;
	int delay_ms;
	int fail; /* tests: every load fails */
	int failures;           /* in a row, counted when taken */
	unsigned long failures_total;
	int64_t retry_at_ms;    /* monotonic: no load starts before (after a failure) */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* delay_ms, cut short by a stop. */
static void
pause_ms(struct builder *b)
{
	struct timespec tick = {0, 10 * 1000000L};

	for (int waited = 0; waited < b->delay_ms && !atomic_load(&b->stop); waited += 10)
		nanosleep(&tick, NULL);
}

static void *
builder_main(void *arg)
{
	struct builder *b = arg;
	struct snapshot_base *base;
	struct shared_catalog *cat;
	struct err e;

	pthread_mutex_lock(&b->mu);
	for (;;) {
		while (b->cat == NULL && !atomic_load(&b->stop)) {
			if (condwait_ms(&b->cv, &b->mu, BUILDER_IDLE_LOOK_MS)) {
				pthread_mutex_unlock(&b->mu);
				(void)store_idle(b->s, &e); /* its error is the next load's */
				pthread_mutex_lock(&b->mu);
			}
		}
		if (atomic_load(&b->stop))
			break;
		cat = b->cat;
		b->cat = NULL;
		pthread_mutex_unlock(&b->mu);
		pause_ms(b);
		if (b->fail) {
			base = NULL;
			err_set(&e, "a test hook failed the load (LANCRE_TEST_LOAD_FAIL)");
		} else {
			base = snapshot_base_load(b->s, cat, b->now, &b->stop, &e);
		}
		snapshot_catalog_release(cat);
		pthread_mutex_lock(&b->mu);
		b->done = base;
		if (base == NULL) {
			b->failed = 1;
			b->err = e;
		}
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

struct builder *
builder_start(struct store *s, int delay_ms, int fail, struct err *e)
{
	struct builder *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		store_close(s);
		err_set(e, "out of memory");
		return NULL;
	}
	b->s = s;
	b->delay_ms = delay_ms;
	b->fail = fail;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	atomic_init(&b->stop, 0);
	if (pthread_create(&b->tid, NULL, builder_main, b) != 0) {
		pthread_cond_destroy(&b->cv);
		pthread_mutex_destroy(&b->mu);
		store_close(s);
		free(b);
		err_set(e, "cannot start the thread that loads the responses");
		return NULL;
	}
	return b;
}

void
builder_stop(struct builder *b)
{
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	atomic_store(&b->stop, 1);
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->tid, NULL);
	snapshot_catalog_release(b->cat);
	snapshot_base_free(b->done);
	store_close(b->s);
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

void
builder_request(struct builder *b, struct shared_catalog *cat, int64_t now)
{
	pthread_mutex_lock(&b->mu);
	if (!b->busy && (b->failures == 0 || mono_ms() >= b->retry_at_ms)) {
		b->busy = 1;
		snapshot_catalog_hold(cat);
		b->cat = cat;
		b->now = now;
		pthread_cond_signal(&b->cv);
	}
	pthread_mutex_unlock(&b->mu);
}

struct snapshot_base *
builder_take(struct builder *b, int *failed, struct err *e)
{
	struct snapshot_base *base;

	*failed = 0;
	pthread_mutex_lock(&b->mu);
	base = b->done;
	b->done = NULL;
	if (b->failed) {
		int shift = b->failures < 20 ? b->failures : 20;
		int64_t wait = (int64_t)BUILDER_RETRY_MIN_MS << shift;

		*failed = 1;
		*e = b->err;
		b->failed = 0;
		b->busy = 0;
		b->failures++;
		b->failures_total++;
		b->retry_at_ms = mono_ms() + (wait < BUILDER_RETRY_MAX_MS ? wait : BUILDER_RETRY_MAX_MS);
	} else if (base != NULL) {
		b->busy = 0;
		b->failures = 0;
	}
	pthread_mutex_unlock(&b->mu);
	return base;
}

int
builder_ready(struct builder *b)
{
	int ready;

	pthread_mutex_lock(&b->mu);
	ready = b->done != NULL || b->failed;
	pthread_mutex_unlock(&b->mu);
	return ready;
}

int
builder_retry_due(struct builder *b)
{
	int due;

	pthread_mutex_lock(&b->mu);
	due = !b->busy && b->failures > 0 && mono_ms() >= b->retry_at_ms;
	pthread_mutex_unlock(&b->mu);
	return due;
}

void
builder_failures(struct builder *b, int *in_a_row, unsigned long *total)
{
	*in_a_row = 0;
	*total = 0;
	if (b == NULL)
		return;
	pthread_mutex_lock(&b->mu);
	*in_a_row = b->failures;
	*total = b->failures_total;
	pthread_mutex_unlock(&b->mu);
}
