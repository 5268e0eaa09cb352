/*
 * server.h - the public HTTP server: PRODUCT.md's URLs from pre-signed bytes.
 *
 * One h2o event loop per thread, all sharing one listening socket, bound
 * once so that the kernel refuses a port another server holds (HTTP/1.1 with keep-alive and pipelining, and HTTP/2 over cleartext with
 * prior knowledge).  Requests are answered from the current snapshot
 * (snapshot.h); the main thread polls the store every SERVER_RELOAD_MS and
 * swaps in a new snapshot when anything changed.  An old snapshot is freed
 * once every loop has gone round since the swap (quiescent-state
 * reclamation: loops wake at least every SERVER_LOOP_WAKE_MS), so the hot
 * path takes no lock and no reference count.
 *
 * This process never loads a private key: it has no code path to
 * signer/key.h, and the store holds only signed bytes and key references.
 */
#ifndef LANCRE_SERVER_SERVER_H
#define LANCRE_SERVER_SERVER_H

#include <signal.h>
#include <stdint.h>

#include "conf/conf.h"
#include "store/store.h"
#include "util/err.h"

#define SERVER_RELOAD_MS 250
#define SERVER_LOOP_WAKE_MS 100
#define SERVER_THREADS_MAX 64
/* A stop lets responses being written finish for this long, then cuts them. */
#define SERVER_DRAIN_MS 5000
#define SERVER_DRAIN_TICK_MS 10
#define SERVER_DRAIN_CUT_TICKS 10
/* Out of file descriptors, a listener stops accepting for this long (see server.c). */
#define SERVER_ACCEPT_PAUSE_MS 50
#define SERVER_FD_EPISODE_GAP_S 10 /* pauses closer than this are one episode, logged once */
#define SERVER_OCSP_ERROR_MAX_AGE_STR "0" /* malformed/unauthorized answers are not cached */
#define SERVER_ISSUER_MAX_AGE 86400

struct server_opts {
	const char *listen; /* HOST:PORT */
	const char *admin;  /* HOST:PORT, or NULL for none */
	int threads;
	const char *conf_path; /* re-read on *reload */
	const char *dir;       /* the data dir: about.en.html / about.fr.html override the about page */
	int quiet;
};

/*
 * Bind, drop privileges if c->user says so, and serve until *stop becomes
 * non-zero; then return 0 (or -1 on a setup error).  When *reload becomes
 * non-zero (SIGHUP), lancre.conf is read again and its new settings apply to
 * the next requests (listen addresses excepted); a bad file is reported and
 * the old settings stay.
 */
int server_run(struct store *s, const struct conf *c, const struct server_opts *o,
    volatile sig_atomic_t *stop, volatile sig_atomic_t *reload, struct err *e);

/* Split "HOST:PORT" ("[::1]:80" for IPv6) for bind(). */
int server_parse_addr(const char *hostport, char *host, size_t host_len, char *port,
    size_t port_len, struct err *e);

#endif
