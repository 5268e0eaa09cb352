/*
 * builder.c - see builder.h.
 *
 * The main thread and the builder share four fields under a mutex: a
 * request (cat, now), the result (done or a failure), and stop.  A load in
 * progress looks at stop once per response (snapshot_base_load's cancel), so
 * a server stopping during a long load does not wait for it.
 */
#include "server/builder.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

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
};

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
		while (b->cat == NULL && !atomic_load(&b->stop))
			pthread_cond_wait(&b->cv, &b->mu);
		if (atomic_load(&b->stop))
			break;
		cat = b->cat;
		b->cat = NULL;
		pthread_mutex_unlock(&b->mu);
		pause_ms(b);
		base = snapshot_base_load(b->s, cat, b->now, &b->stop, &e);
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
builder_start(struct store *s, int delay_ms, struct err *e)
{
	struct builder *b = calloc(1, sizeof(*b));

	if (b == NULL) {
		store_close(s);
		err_set(e, "out of memory");
		return NULL;
	}
	b->s = s;
	b->delay_ms = delay_ms;
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
	if (!b->busy) {
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
		*failed = 1;
		*e = b->err;
		b->failed = 0;
		b->busy = 0;
	} else if (base != NULL) {
		b->busy = 0;
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
