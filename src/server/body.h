/*
 * body.h - sending a response body by reference, not by copy (not for use
 * outside src/server/).
 *
 * h2o_send_inline() copies the body into the request's memory pool: a 50 MB
 * CRL asked for by a few hundred clients that do not read was a few hundred
 * copies, and the server ran out of memory.  A body here is a generator that
 * hands h2o slices of bytes that already exist, BODY_SLICE at a time (the next
 * when h2o has taken the last: the socket write completed, or the HTTP/2 frames
 * were built as the client's window allowed), so a request costs a few hundred
 * bytes whatever the body's size:
 *   - bytes of a snapshot's catalog (CRLs, issuer certificates) are held by a
 *     reference on the catalog (snapshot_catalog_hold), so they outlive a
 *     reload that replaces the snapshot while a slow client still reads;
 *   - a buffer built for the request (the JSON list of CRLs) is owned by the
 *     body and freed with it.
 * The reference or buffer is dropped when the request's pool is cleared,
 * however the response ends: written whole, the client gone, or cut by the
 * write timeout or a stop's drain.  Each body in flight is registered with its
 * loop's connection set (conns.h), whose sweep cuts one the client has taken
 * no slice of for [server] write_timeout.
 *
 * Bodies up to BODY_INLINE_MAX are copied all the same (h2o_send_inline):
 * for a few kilobytes a copy costs less than a generator and a reference.
 * Bytes already in the request's pool (a bounded cache's hit, copied there
 * under the cache's lock) are sent as they are: h2o_send_inline's copy
 * without the copy.
 */
#ifndef LANCRE_SERVER_BODY_H
#define LANCRE_SERVER_BODY_H

#define H2O_USE_LIBUV 0
#include <h2o.h>

#include "server/conns.h"
#include "server/snapshot.h"

#define BODY_INLINE_MAX 4096
/* Bytes handed to h2o at a time.  Measured in docs/BENCHMARKS.md ("CRL GET"). */
#define BODY_SLICE (1024 * 1024)

/* Where a body's bytes are and who keeps them alive. */
struct body_src {
	const void *p;
	size_t len;
	struct shared_catalog *cat; /* p lies in it: held while the body is in flight; or NULL */
	void *owned;                /* malloc()ed, freed once sent (p lies in it); or NULL */
	int pooled; /* p lies in the request's pool, which outlives the response: never copied */
};

/*
 * Send src as req's whole response body (status and headers are already set;
 * Content-Length is set here), on the loop whose connections are cs.  A src
 * with neither cat nor owned must outlive the call only (it is copied).  src's
 * owned buffer is taken over (freed here or with the request).
 */
void body_send(h2o_req_t *req, struct conns *cs, const struct body_src *src);

#endif
