/*
 * httpd.h - the admin API's HTTP server: one libh2o event loop on one
 * listening socket, HTTP/1.1 (keep-alive) and HTTP/2 over cleartext (prior
 * knowledge), as the public server speaks them (server/server.c), each
 * request handed to admin/api.h whole.
 *
 * h2o reads a request's body before the handler runs and answers 413 to one
 * larger than [admin] max_body without handing it over; a connection beyond
 * [admin] max_connections is closed as soon as it is accepted; slow senders
 * are cut after [server] request_timeout, idle HTTP/2 connections after
 * [server] h2_idle_timeout.  A stop closes the connections not being answered
 * and lets the others finish for at most ADMIN_DRAIN_MS.  The caller binds
 * the socket, drops its user and enters the sandbox before calling.
 */
#ifndef LANCRE_ADMIN_HTTPD_H
#define LANCRE_ADMIN_HTTPD_H

#include <signal.h>

#include "admin/api.h"
#include "util/err.h"

#define ADMIN_LOOP_WAKE_MS 100
#define ADMIN_DRAIN_MS 5000

/*
 * Serve api on the listening socket fd (taken over: closed by the time this
 * returns) until *stop.  on_start (may be NULL) is called once the loop
 * accepts.  Returns 0, or -1 on a setup error.
 */
int admin_httpd_run(struct admin_api *api, int fd, volatile sig_atomic_t *stop,
    void (*on_start)(void *arg), void *arg, struct err *e);

#endif
