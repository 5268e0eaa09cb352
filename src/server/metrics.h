/*
 * metrics.h - the admin listener's /metrics, in Prometheus' text format.
 *
 * What the server counts (requests by route and status, OCSP outcomes,
 * connections, write timeouts, answer latency) and what its snapshot holds
 * (responses, their age, signature checks, the signer's key availability as
 * recorded in the store).  Reads atomics and the snapshot; never blocks a
 * request loop.
 */
#ifndef LANCRE_SERVER_METRICS_H
#define LANCRE_SERVER_METRICS_H

#include <stdint.h>
#include <stdio.h>

#include "server/server_int.h"

/* Write every metric of sv and snap, as of now, to f. */
void metrics_write(FILE *f, struct server *sv, const struct snapshot *snap, int64_t now);

#endif
