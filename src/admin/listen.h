/*
 * listen.h - where the admin API listens, and the refusal of an address
 * that is not loopback.
 *
 * [admin] listen (or `--api`) names it; empty, it is 127.0.0.1 on the public
 * port + 2 (port + 1 is the server's /healthz and /metrics listener, in the
 * server process).  `off` runs no admin process.  The API speaks plain
 * HTTP and a bearer token crosses it in the clear: until the listener has
 * TLS (issue 19, mutual TLS), an address another machine can reach is
 * refused at start.
 */
#ifndef LANCRE_ADMIN_LISTEN_H
#define LANCRE_ADMIN_LISTEN_H

#include <stddef.h>

#include "conf/conf.h"
#include "util/err.h"

/*
 * The admin API's HOST:PORT into out: given (from `--api`) if not NULL,
 * else c's [admin] listen, else 127.0.0.1 on public's port + 2.  Returns 1
 * when it is off (out ""), 0 with an address, -1 (e set) for one that is
 * not on loopback.
 */
int admin_listen_addr(const struct conf *c, const char *public_listen, const char *given,
    char *out, size_t len, struct err *e);

/* 1 if every address hostport's host resolves to is a loopback one; else 0 (e says why). */
int admin_listen_is_loopback(const char *hostport, struct err *e);

#endif
