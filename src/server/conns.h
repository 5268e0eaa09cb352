/*
 * conns.h - the client connections one event loop holds, so that a stop can
 * drain them (not for use outside src/server/).
 *
 * h2o 2.2 keeps no list of a context's connections, and h2o_context_dispose()
 * asserts that no connection still has a timer: a stop with any client
 * connected used to abort.  Each accepted socket is therefore recorded here
 * (one small entry, removed by the socket's on_close hook), and a stop drains
 * the set: conns_close_idle() half-closes the reading side of every connection
 * that is not writing a response, which h2o sees as the peer's EOF and closes
 * through its own path (timers unlinked, HTTP/2 streams freed).  The
 * handlers answer synchronously, so a connection that is not writing has no
 * request in flight: it is idle, kept alive, or still sending its request.
 */
#ifndef LANCRE_SERVER_CONNS_H
#define LANCRE_SERVER_CONNS_H

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include <stdatomic.h>

struct conns {
	h2o_linklist_t open; /* of struct conn_entry */
	size_t n;
};

void conns_init(struct conns *cs);

/*
 * Record sock in cs until it closes; when it does, *counter (may be NULL)
 * is decremented.  Returns -1 (sock untouched, not recorded) when out of memory.
 */
int conns_add(struct conns *cs, h2o_socket_t *sock, atomic_long *counter);

/* Half-close (reading side) every connection not writing a response. */
void conns_close_idle(struct conns *cs);

/* Shut down both sides of every connection, writing or not (the drain timed out). */
void conns_close_all(struct conns *cs);

#endif
