/*
 * wait.h - ?wait=served: a change's answer held until the public server
 * serves it (admin/served.h says how that is asked).
 *
 * api.c makes the wait from the change's own answer once it is committed
 * (every certificate it names, read again from the store: what it is now is
 * what must be served), and httpd.c polls it on a timer of the admin loop
 * (ADMIN_WAIT_TICK_MS) without blocking other requests, until every
 * certificate is served or the timeout passes: then 504, the change still
 * committed (nothing is undone), with what was not served yet.
 *
 * Served means: the public listener's OCSP answer for the certificate has
 * its status (good; or revoked with the recorded reason and date), and for
 * a revoked one also the CRL of its shard (or that shard's delta CRL with
 * [crl] delta = yes) lists it with that reason and date.
 */
#ifndef LANCRE_ADMIN_WAIT_H
#define LANCRE_ADMIN_WAIT_H

#include <jansson.h>
#include <stdint.h>

#include "admin/api.h"

#define ADMIN_WAIT_DEFAULT_S 10
#define ADMIN_WAIT_MAX_S 120 /* a larger timeout= is cut to this */
#define ADMIN_WAIT_TICK_MS 20
#define ADMIN_WAIT_TICK_BUDGET_MS 50 /* the most one tick spends asking the public server */

/*
 * The query of a change: "" or NULL nothing, "wait=served[&timeout=S]" (in
 * either order).  0 with *timeout_s set (0: no wait), or -1 with e.
 */
int admin_wait_query(const char *q, size_t len, int *timeout_s, struct err *e);

/*
 * A wait for the certificates that answer (a change's 200 answer: one
 * certificate object, or {"certificates"|"revocations": [...]}) names; it
 * takes answer.  NULL with e on a store error or out of memory.
 */
struct admin_wait *admin_wait_new(struct admin_api *api, json_t *answer, int timeout_s,
                                  int64_t now_ms, struct err *e);

/*
 * Look again: 1 with the answer in rs (200 served, 504 timed out), 0 not
 * yet.  now_ms: a monotonic clock.
 */
int admin_wait_poll(struct admin_api *api, struct admin_wait *w, int64_t now_ms,
                    struct admin_response *rs);

/*
 * The answer now, served or not: the admin process stops (admin/httpd.h's
 * drain) before the wait could end.  504 as for a timeout, the change
 * committed, with what is not served yet and why the answer came early.
 */
void admin_wait_stop(struct admin_wait *w, int64_t now_ms, struct admin_response *rs);

void admin_wait_free(struct admin_wait *w);

/* Milliseconds of a monotonic clock, for the polls. */
int64_t admin_now_ms(void);

#endif
