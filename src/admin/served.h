/*
 * served.h - what the public server really answers now, asked over
 * loopback: ?wait=served (api.c) holds a change's answer until the public
 * listener answers the new status of every certificate of the request (and,
 * for a revocation, serves a CRL that lists it).
 *
 * Why ask the server rather than the store: the store saying "signed" is
 * not the server serving it (it reloads on its own tick, from its own
 * handle, maybe a replica), and a client told "served" will act on it (tell
 * a subscriber, delete a key).  The store is only a hint, to spare fetching
 * a large CRL that cannot list the serial yet.  Each check is one blocking
 * HTTP/1.0 exchange with the public listener on loopback, at most
 * ADMIN_SERVED_IO_MS each way.
 */
#ifndef LANCRE_ADMIN_SERVED_H
#define LANCRE_ADMIN_SERVED_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

#define ADMIN_SERVED_IO_MS 1000
#define ADMIN_SERVED_CRL_MAX (256u << 20) /* a CRL bigger than this is not fetched */

/* Where the public listener is, from "HOST:PORT" ([::]:P and 0.0.0.0:P: loopback). */
struct admin_public {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned short port;
};

int admin_public_parse(const char *listen, struct admin_public *out, struct err *e);

/* What a certificate should be served as. */
struct admin_served_want {
	const uint8_t *issuer_der; /* the issuer's certificate */
	size_t issuer_len;
	const char *issuer; /* its name, for the CRL's URL */
	const uint8_t *serial;
	size_t serial_len;
	int revoked;        /* 0: good */
	int reason;         /* when revoked */
	int64_t revoked_at; /* when revoked */
};

/* Does the public server's OCSP answer say w?  1 yes, 0 not yet, -1 error (e). */
int admin_served_ocsp(const struct admin_public *p, const struct admin_served_want *w,
                      struct err *e);

/*
 * Does the CRL at path (e.g. /crl/e1/1.crl) the public server serves list
 * w's serial with w's reason?  1 yes, 0 not yet, -1 error (e).
 */
int admin_served_crl(const struct admin_public *p, const char *path,
                     const struct admin_served_want *w, struct err *e);

#endif
