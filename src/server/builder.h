/*
 * builder.h - loading a snapshot's base on a thread of its own (not for use
 * outside src/server/).
 *
 * A base holds every stored response: 1.5 s to load at 1M, 23 s at 10M.
 * Loaded on the main thread, it kept a new node from answering that long,
 * and kept every reload (the changes a node serves) waiting for it.  The
 * builder thread loads it with a read-only store handle of its own (opened
 * before the sandbox) while the main thread goes on reloading the recent
 * layer and the loops go on answering; the main thread takes the finished
 * base at its next tick (snapshot_update_ex's fresh).  One load at a time:
 * asking while one runs does nothing (the one running reads everything
 * committed before it started, and the recent layer the rest).
 *
 * A load that fails (the store away, a row that cannot be read) is not
 * asked again at once: the node keeps answering by lookups, and a full
 * read of the store every tick would add to whatever made it fail.  Each
 * failure in a row doubles the wait before the next load may start, from
 * BUILDER_RETRY_MIN_MS to BUILDER_RETRY_MAX_MS; a load that succeeds
 * resets it.
 */
#ifndef LANCRE_SERVER_BUILDER_H
#define LANCRE_SERVER_BUILDER_H

#include "server/snapshot.h"
#include "store/store.h"
#include "util/err.h"

#define BUILDER_RETRY_MIN_MS 1000
#define BUILDER_RETRY_MAX_MS 120000

struct builder;

/*
 * Start the thread, which owns s (closed by builder_stop, or here on
 * failure).  Each load first waits delay_ms, and fails if fail is set
 * (tests only, 0 in service: see SERVER_LOAD_DELAY_ENV in server.h).
 */
struct builder *builder_start(struct store *s, int delay_ms, int fail, struct err *e);

/* Stop it, a load in progress given up; accepts NULL. */
void builder_stop(struct builder *b);

/*
 * Load a base at now, checking signatures against cat's issuers (held for
 * the load), unless a load is running or finished and not yet taken, or
 * the last one failed less than its back-off ago (builder_retry_due).
 */
void builder_request(struct builder *b, struct shared_catalog *cat, int64_t now);

/*
 * A finished base, taken over by the caller, or NULL (none yet).  A load
 * that failed returns NULL with *failed = 1 and e set, once.
 */
struct snapshot_base *builder_take(struct builder *b, int *failed, struct err *e);

/* 1 when builder_take has something to give (a base, or a failure). */
int builder_ready(struct builder *b);

/* 1 when the last load failed and its back-off is over: a request would start one. */
int builder_retry_due(struct builder *b);

/* Loads that failed since the last that succeeded (0: none), and in all. */
void builder_failures(struct builder *b, int *in_a_row, unsigned long *total);

#endif
