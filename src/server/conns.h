/*
 * conns.h - the client connections one event loop holds, so that a stop can
 * drain them and a client that stops reading is cut off (not for use outside
 * src/server/).
 *
 * h2o 2.2 keeps no list of a context's connections, and h2o_context_dispose()
 * asserts that no connection still has a timer: a stop with any client
 * connected used to abort.  Each accepted socket is therefore recorded here
 * (one small entry, removed by the socket's on_close hook), and a stop drains
 * the set: conns_close_idle() half-closes the reading side of every connection
 * that is neither writing nor owing a response body, which h2o sees as the
 * peer's EOF and closes through its own path (timers unlinked, HTTP/2 streams
 * freed).  The handlers answer synchronously, except a request waiting for
 * a store lookup (lookup.h), which the stop lets come back first; so such a
 * connection has no request in flight: it is idle, kept alive, or still
 * sending its request.
 *
 * Write stalls.  h2o 2.2 has no write timeout: an HTTP/1 response whose client
 * stops reading waits forever, and so does an HTTP/2 stream the client grants
 * no flow-control window (the idle timeout is off while a stream is open).
 * Each loop therefore sweeps its set every CONNS_SWEEP_MS and shuts down, both
 * ways, a connection that owed the client bytes (a socket write pending, or a
 * response body in flight: server/body.h registers each here) and of which
 * the client acknowledged no byte for write_timeout_ms (TCP_INFO, tcpstat.h).
 * A slow client that keeps reading is never cut, however big the response.
 * One HTTP/2 connection is judged as a whole: a stream stalled for want of
 * window lives on while the client takes the others' bytes.
 */
#ifndef LANCRE_SERVER_CONNS_H
#define LANCRE_SERVER_CONNS_H

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include <stdatomic.h>

#define CONNS_SWEEP_MS 500

struct conns {
	h2o_linklist_t open;   /* of struct conn_entry */
	h2o_linklist_t bodies; /* of struct conns_body: response bodies in flight */
	size_t n;
	uint64_t write_timeout_ms; /* set by the loop's owner; 0: no write timeout */
	atomic_ulong *stalled;     /* counter of connections cut for a stall (may be NULL) */
	h2o_evloop_t *loop;
	h2o_timeout_t sweep;
	h2o_timeout_entry_t sweep_entry;
};

/* A response body in flight, as the sweep sees it (embedded in body.c's generator). */
struct conns_body {
	h2o_linklist_t link;
	h2o_req_t *req;
};

/* Start an empty set on loop, sweeping for stalls; stalled (may be NULL) counts the cuts. */
void conns_init(struct conns *cs, h2o_evloop_t *loop, atomic_ulong *stalled);

/* Stop sweeping (before the loop is destroyed).  The set must be empty or abandoned. */
void conns_dispose(struct conns *cs);

/*
 * Record sock in cs until it closes, with its first mark (below); when it
 * closes, *counter (may be NULL) is decremented.  Returns -1 (sock untouched,
 * not recorded) when out of memory.
 */
int conns_add(struct conns *cs, h2o_socket_t *sock, atomic_long *counter, unsigned mark);

/*
 * A mark the loop's owner keeps on each connection: the admin API notes
 * there which connections showed a valid token and which were accepted over
 * its limit (admin/httpd.c).  NULL: req did not come on one of cs's.
 */
unsigned *conns_mark_of_req(h2o_req_t *req);

/*
 * Shut down both ways (h2o closes it through its own path on the next turn
 * of the loop) the oldest connection (the first added) open for at least
 * min_age_ms whose mark has none of the bits of skip, and add set to its
 * mark (so that, with set in skip, it is not picked twice).  1: one was
 * cut; 0: none.
 */
int conns_cut_oldest(struct conns *cs, unsigned skip, unsigned set, uint64_t min_age_ms);

/* Watch b (b->req set by the caller) until conns_body_done(b). */
void conns_body_start(struct conns *cs, struct conns_body *b);
void conns_body_done(struct conns_body *b);

/* Half-close (reading side) every connection neither writing nor owing a body. */
void conns_close_idle(struct conns *cs);

/*
 * For a drain that lets every request already begun be answered (the admin
 * API's: admin/httpd.h).  conns_request_seen(): req, complete, was handed to
 * the owner (bytes its connection reads after this are a next request);
 * conns_keep(): req's connection is left by the next conns_close_quiet()
 * (an answer the owner holds, or an HTTP/2 stream whose answer h2o writes on
 * the loop's next turn: nothing is written yet, so it looks idle).
 */
void conns_request_seen(h2o_req_t *req);
void conns_keep(h2o_req_t *req);

/*
 * As conns_close_idle(), but leaving also the connections that read bytes
 * since their last request was handed over (a request arriving, a large body
 * still coming), those kept (conns_keep, then forgotten), and those with no
 * request yet that read a byte or were accepted less than grace_ms ago (a
 * client that connected just before the stop: its TLS handshake, then its
 * request).  h2o's bytes_read counts above TLS, so a handshake reads none.
 */
void conns_close_quiet(struct conns *cs, uint64_t grace_ms);

/*
 * The start of a drain: HTTP/1.1 answers say `Connection: close`, every
 * HTTP/2 connection gets a GOAWAY, and h2o 2.2's own HTTP/2 closing is
 * kept from running, so that the connections close only through this set
 * (conns_close_idle, conns_close_quiet, conns_close_all).  h2o's timer sends
 * a second GOAWAY a second later, after which it closes a connection in the
 * same call that hands its last stream's final bytes to the socket
 * (lib/http2/connection.c, do_emit_writereq): what the kernel had not taken
 * yet was lost, the end of a CRL sent to a client whose window was full.
 */
void conns_request_shutdown(h2o_context_t *ctx);

/* Shut down both sides of every connection, writing or not (the drain timed out). */
void conns_close_all(struct conns *cs);

#endif
