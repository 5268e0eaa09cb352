/*
 * server.h - the public HTTP server: PRODUCT.md's URLs from pre-signed bytes.
 *
 * One h2o event loop per thread, all sharing one listening socket, bound
 * once so that the kernel refuses a port another server holds (HTTP/1.1
 * with keep-alive and pipelining, and HTTP/2 over cleartext with prior
 * knowledge).  Requests are answered from the current snapshot
 * (snapshot.h); the main thread waits for the store to change
 * (store_changes_wait: SQLite, a tick of SERVER_RELOAD_MS; PostgreSQL, a
 * notification at commit, or a tick) and swaps in a new snapshot when
 * anything did.  An old snapshot is freed
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
#define SERVER_ABOUT_MAX_AGE 300 /* the about page shows the CRLs' ages */
#define SERVER_LOOKUP_THREADS 2 /* store lookups in flight at once (server/lookup.h) */
#define SERVER_CACHED_MAX 16384  /* a cached response larger is read from the store each time */
/*
 * For tests only: an environment variable holding milliseconds that every
 * base load waits before it starts (builder.h), so that a test can ask a
 * node for responses it has not loaded yet, and during a reload, whatever
 * the machine's speed (tests/e2e/serve_startup.sh).  Unset in service.
 */
#define SERVER_LOAD_DELAY_ENV "LANCRE_TEST_LOAD_DELAY_MS"
#define SERVER_LOAD_DELAY_MAX_MS 60000
/*
 * For tests only, unset in service: milliseconds the reload that takes the
 * first loaded base waits between reading the store and swapping the new
 * snapshot in, so that a test can write to the store and have a lookup
 * answer from it meanwhile (lookup.h, lookup_served_seq;
 * tests/e2e/serve_startup.sh).
 */
#define SERVER_SWAP_DELAY_ENV "LANCRE_TEST_SWAP_DELAY_MS"
/* For tests only, unset in service: 1, every base load fails (builder.h's back-off). */
#define SERVER_LOAD_FAIL_ENV "LANCRE_TEST_LOAD_FAIL"
/*
 * For tests only: a file name; while that file exists, each lookup of a
 * miss waits between its store read and its cache fill (lookup.h), so that
 * a test can change the store meanwhile (tests/e2e/serve_cache.sh).  Unset
 * in service.
 */
#define SERVER_LOOKUP_HOLD_ENV "LANCRE_TEST_LOOKUP_HOLD"
/*
 * For tests only, unset in service (lookup.h's struct lookup_test;
 * tests/e2e/serve_lookup.sh): each store lookup first sleeps this many
 * milliseconds, and a stop does not cut it short (a store that does not
 * answer); at most this many lookups wait in the queue; 1: every lookup
 * fails as if the store had.
 */
#define SERVER_LOOKUP_DELAY_ENV "LANCRE_TEST_LOOKUP_DELAY_MS"
#define SERVER_LOOKUP_QUEUE_ENV "LANCRE_TEST_LOOKUP_QUEUE_MAX"
#define SERVER_LOOKUP_FAIL_ENV "LANCRE_TEST_LOOKUP_FAIL"

struct server_opts {
	const char *listen; /* HOST:PORT */
	const char *admin;  /* HOST:PORT, or NULL for none */
	int threads;
	const char *conf_path; /* re-read on *reload */
	/*
	 * If set, how *reload gets the settings instead of reading conf_path
	 * (`lancre run`: lancre.conf as the supervisor read it, proc/confpass.h);
	 * returns 0, 1 to read conf_path after all, or -1 with e set.
	 */
	int (*load_conf)(void *arg, struct conf *c, struct err *e);
	void *load_conf_arg;
	const char *dir;       /* the data dir: DIR/about/<tag>.html add to the about page (about.h) */
	/*
	 * Where the server's store is (lancre.conf's [store] server_store, else
	 * store): the lookup threads and the base loader each open it read-only,
	 * so that a node answers at once and loads its responses while it
	 * serves (snapshot.h).  NULL: none, every response is loaded before the
	 * first request is answered (as before; unit tests).
	 */
	const char *store_location;
	enum sandbox_mode sandbox_mode; /* entered after the drop, before the threads start */
	struct sandbox_paths sandbox;   /* what the server may read once in it */
};

/* What server_run() tells its caller on start-up (server_events.on_start). */
struct server_started {
	const char *listen; /* HOST:PORT */
	const char *admin;  /* HOST:PORT, or NULL for none */
	int threads;        /* loops actually started (o->threads, clamped) */
	/* The descriptor limit before and after raising it to the hard limit;
	 * fd_limit 0: unknown (getrlimit failed), fd_limit == fd_limit_was: not raised. */
	unsigned long long fd_limit_was, fd_limit;
};

/*
 * What happens while serving, for the command to report (the server never
 * prints).  Every callback is called from the thread that called
 * server_run(), never from a worker loop, one at a time; any may be NULL,
 * and so may the whole struct.  arg is passed back unchanged.
 */
struct server_events {
	/* All loops are running and accepting. */
	void (*on_start)(void *arg, const struct server_started *st);
	/* SIGHUP: lancre.conf re-read and its settings applied (listen, admin and store
	 * excepted: needs_restart says one of them changed and was not applied). */
	void (*on_settings)(void *arg, const char *conf_path, int needs_restart);
	/* SIGHUP: lancre.conf could not be loaded (e says why); the current settings stay. */
	void (*on_settings_error)(void *arg, const char *conf_path, const struct err *e);
	/* Out of file descriptors: accepting pauses pause_ms at a time until some
	 * close.  Once per episode (SERVER_FD_EPISODE_GAP_S), not once per pause. */
	void (*on_fd_exhausted)(void *arg, unsigned long long fd_limit, int pause_ms);
	/* The store could not be read into a new snapshot; the current one is still
	 * served.  Once per distinct failure, not once per poll. */
	void (*on_reload_error)(void *arg, const struct err *e);
	/* The sandbox is entered; r says what the kernel lacked (r->lacking, "" if nothing). */
	void (*on_sandbox)(void *arg, const struct sandbox_report *r);
	void *arg;
};

/* The server's listening sockets, bound by server_listen(). */
struct server_listeners {
	int fd;       /* o->listen */
	int admin_fd; /* o->admin, or -1 for none */
};

/*
 * Bind and listen on o->listen and o->admin, without SO_REUSEPORT: a port
 * another process holds (another lancre included, whatever its data
 * directory) is refused.  The first step of serving, apart so that a caller
 * can acquire the ports before anything else starts (lancre run binds before
 * it forks the signer: a taken port means no signer ever starts).  The
 * descriptors are close-on-exec but survive fork(): a forked child that must
 * not hold them calls server_listeners_close().  On error nothing stays open
 * and both are -1.
 */
int server_listen(const struct server_opts *o, struct server_listeners *l, struct err *e);

/* Close both (either may be -1); they are -1 after.  Safe to call twice. */
void server_listeners_close(struct server_listeners *l);

/*
 * Serve on l (from server_listen(), owned from here on: closed by the time
 * this returns, whatever happens) until *stop becomes non-zero (the caller
 * changes user, after server_listen(): cli/serving.c, proc/drop.h); then return 0 (or -1 on a setup error).
 * When *reload becomes non-zero (SIGHUP), lancre.conf is read again and its
 * new settings apply to the next requests (listen addresses excepted); a bad
 * file is reported and the old settings stay.  ev (may be NULL) hears what
 * happens; see struct server_events.
 */
int server_run(struct store *s, const struct conf *c, const struct server_opts *o,
    struct server_listeners *l, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
    const struct server_events *ev, struct err *e);

/* Split "HOST:PORT" ("[::1]:80" for IPv6) for bind(). */
int server_parse_addr(const char *hostport, char *host, size_t host_len, char *port,
    size_t port_len, struct err *e);

#endif
