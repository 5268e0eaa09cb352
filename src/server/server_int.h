/*
 * server_int.h - what server.c (threads, listeners, reloads) and handlers.c
 * (answering requests) share.  Not for use outside src/server/.
 */
#ifndef LANCRE_SERVER_SERVER_INT_H
#define LANCRE_SERVER_SERVER_INT_H

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include <stdatomic.h>

#include "server/builder.h"
#include "server/conns.h"
#include "server/lookup.h"
#include "server/route.h"
#include "server/server.h"
#include "server/snapshot.h"

/* Upper bounds (seconds) of the answer-time histogram buckets; the last is +Inf. */
#define SERVER_LATENCY_BUCKETS {0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.05}

enum metric_status { M_200, M_304, M_400, M_404, M_405, M_413, M_431, M_500, M_NSTATUS };
#define M_NROUTES ROUTE_KINDS

struct server {
	struct store *store;
	struct conf conf; /* the settings of the newest snapshot; the main thread's */
	const struct server_opts *opts;
	const struct server_events *ev; /* never NULL; called on the main thread only */
	_Atomic(struct snapshot *) current;
	atomic_int stopping;
	int nthreads;
	/* Quiescent-state counters, one per loop: bumped every time a loop goes round. */
	_Atomic uint64_t quiescent[SERVER_THREADS_MAX];
	h2o_globalconf_t config, admin_config;
	/* Metrics. */
	atomic_ulong requests[M_NROUTES][M_NSTATUS];
	atomic_ulong ocsp_outcomes[4]; /* by enum ocsp_outcome */
	atomic_ulong reloads;
	atomic_long connections;         /* open public connections */
	/* Closed at accept (over [server] max_connections), or an accept that found no
	 * descriptor left (EMFILE/ENFILE: one per pause of SERVER_ACCEPT_PAUSE_MS). */
	atomic_ulong connections_refused;
	atomic_ulong fd_pauses; /* accept pauses for want of a descriptor */
	atomic_long admin_connections;         /* open admin connections */
	atomic_ulong admin_connections_refused; /* over [server] admin_max_connections */
	atomic_ulong write_stalls; /* connections cut by [server] write_timeout (conns.h) */
	/* Time spent answering (request in, response handed to h2o), in buckets. */
	atomic_ulong latency[8];
	atomic_ulong latency_sum_ns;
	int64_t started;
	/*
	 * Both NULL, or both there (opts->store_location): the threads that look
	 * up what a partial snapshot misses (lookup.h) and load bases (builder.h).
	 */
	struct lookup *lookup;
	struct builder *builder;
	/* A base the builder finished, held until a reload takes it (reload() in server.c). */
	struct snapshot_base *fresh;
	/* [server] cache: the bounded cache of responses (ocsp/cache.h), or NULL (all loaded). */
	struct ocsp_cache *cache;
	int swap_delay_ms; /* a test hook (server.h, SERVER_SWAP_DELAY_ENV), 0 in service */
};

/* One event loop's state (worker_main in server.c). */
struct server_loop {
	h2o_context_t ctx; /* the public listener's: a public request finds its loop from it */
	h2o_context_t admin_ctx;
	struct conns conns;
	struct lookup_port port; /* where this loop's lookups come back */
};

/* The connection set of the loop a public request (handle_public) arrived on. */
static inline struct conns *
server_loop_conns(h2o_req_t *req)
{
	return &H2O_STRUCT_FROM_MEMBER(struct server_loop, ctx, req->conn->ctx)->conns;
}

/* The lookup port of the loop a public request arrived on. */
static inline struct lookup_port *
server_loop_port(h2o_req_t *req)
{
	return &H2O_STRUCT_FROM_MEMBER(struct server_loop, ctx, req->conn->ctx)->port;
}

struct server_handler {
	h2o_handler_t super;
	struct server *sv;
};

/* Request handlers (handlers.c). */
int handle_public(h2o_handler_t *self, h2o_req_t *req);
int handle_admin(h2o_handler_t *self, h2o_req_t *req);
/* A suspended OCSP request's lookup came back (lookup_port's done; arg: the server). */
void handle_lookup_done(void *arg, h2o_req_t *req, const struct lookup_job *job, int late);

#endif
