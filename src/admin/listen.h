/*
 * listen.h - where the admin API listens, and the refusal of an address
 * that is not loopback.
 *
 * [admin] listen (or `--api`) names it; empty, it is 127.0.0.1 on the public
 * port + 2 (port + 1 is the server's /healthz and /metrics listener, in the
 * server process).  `off` runs no admin process.
 *
 * An address that is not loopback is refused at start unless the listener
 * has mutual TLS ([admin] tls_cert, tls_key and client_ca, admin/tls.h):
 * without TLS a bearer token would cross the network in the clear; with TLS
 * but no client certificate asked for, anyone who reaches the port could
 * talk to the HTTP parser and try tokens, and a token file stolen from the
 * issuance host would work from anywhere.  Off loopback the handshake
 * itself keeps out every machine without a certificate from client_ca.
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
 * not on loopback while c has no mutual TLS, or that does not resolve.
 */
int admin_listen_addr(const struct conf *c, const char *public_listen, const char *given,
    char *out, size_t len, struct err *e);

/*
 * 1 if every address hostport's host resolves to is a loopback one, 0 if
 * not (e says which), -1 with e when it is no address or does not resolve.
 */
int admin_listen_is_loopback(const char *hostport, struct err *e);

#endif
