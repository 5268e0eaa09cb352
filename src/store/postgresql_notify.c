/*
 * postgresql_notify.c - how a PostgreSQL handle learns of other processes'
 * commits (store_changes_wait), and how it gets its connection back.
 *
 * Design:
 *  - Writers do nothing: migration 2's trigger on meta notifies channel
 *    lancre_changes whenever a counter a server cares about moves (every
 *    counter but change_seq), and PostgreSQL delivers it at commit, so a
 *    notification never announces a change a reader cannot see yet.
 *  - A waiting handle LISTENs once per connection, then waits on libpq's
 *    socket with poll() (a hot standby refuses LISTEN, and is never
 *    notified anyway: a handle on one waits a tick and says "maybe", as a
 *    SQLite handle does): a node learns of a new response within a round
 *    trip of its commit, and an idle node sends nothing at all.  On a quiet
 *    timeout it still answers "maybe" every PG_CHANGES_RECHECK_MS, so that
 *    a notification lost (none is, on a live connection; but a LISTEN
 *    issued after a reconnect misses what committed before it) costs a
 *    delay, never a change.  The caller then reads the counters: the seq
 *    cursors (THE CURSOR RULE, postgresql.c) make that catch-up complete.
 *  - Reconnecting: a connection found broken (the server restarted, a
 *    network cut) is reset before the next statement, outside a
 *    transaction only (a transaction cut in half is the caller's to
 *    retry), at most once per back-off period, which doubles from
 *    PG_RECONNECT_FIRST_MS up to PG_RECONNECT_MAX_MS while the database
 *    stays away and starts again once it is back.  A new session gets the
 *    handle's settings again (read-only, intent) and forgets its prepared
 *    statements and its LISTEN; the first wait after it answers "maybe".
 *    Until the settings are back the session counts as lost, so that no
 *    statement runs on a session that is not read-only when it should be.
 */
#include "store/postgresql_int.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

static int64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int
pg_conn_lost(const struct store_pg *s)
{
	return PQstatus(s->conn) == CONNECTION_BAD || s->session_unset == PG_SESSION_UNSET;
}

/* What the session had: the same as store_pg_open() and store_set_intent() set. */
static int
restore_session(struct store_pg *s, struct err *e)
{
	if (pg_exec_simple(s, PG_SESSION_SETUP, "setting up", e) != 0)
		return -1;
	if (s->mode == STORE_READ &&
	    pg_exec_simple(s, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
		"setting up a read-only handle", e) != 0)
		return -1;
	return s->intent == STORE_INTENT_DEFAULT ? 0 : pg_set_intent(&s->base, s->intent, e);
}

int
pg_reconnect(struct store_pg *s, struct err *e)
{
	int64_t now = now_ms();
	char line[ERR_MSG_MAX];

	if (s->in_txn || s->walk_depth > 0)
		return err_set(e, "store: the connection to PostgreSQL was lost in a transaction");
	if (now < s->reconnect_at_ms)
		return err_set(e, "store: the connection to PostgreSQL is lost; trying again in %lld ms",
		    (long long)(s->reconnect_at_ms - now));
	if (pg_conn_again(s, line, sizeof(line)) != 0) {
		s->reconnect_backoff_ms = s->reconnect_backoff_ms == 0 ? PG_RECONNECT_FIRST_MS
			: s->reconnect_backoff_ms * 2 > PG_RECONNECT_MAX_MS ? PG_RECONNECT_MAX_MS
									   : s->reconnect_backoff_ms * 2;
		s->reconnect_at_ms = now + s->reconnect_backoff_ms;
		return err_set(e, "store: the connection to PostgreSQL is lost: %s", line);
	}
	s->reconnect_backoff_ms = 0;
	s->reconnect_at_ms = 0;
	s->prepared = 0;
	s->listening = 0;
	s->changes_said_ms = 0; /* the next wait says "maybe": anything may have changed */
	/* Until the settings are back (read-only above all), the session counts as lost. */
	s->session_unset = PG_SESSION_RESTORING; /* its own statements run meanwhile */
	if (restore_session(s, e) != 0) {
		s->session_unset = PG_SESSION_UNSET;
		return -1;
	}
	s->session_unset = 0;
	return 0;
}

/* Drain the notifications libpq has read: 1 if there were any. */
static int
drain(struct store_pg *s)
{
	PGnotify *n;
	int any = 0;

	while ((n = PQnotifies(s->conn)) != NULL) {
		any = 1;
		PQfreemem(n);
	}
	return any;
}

static int
maybe(struct store_pg *s)
{
	s->changes_said_ms = now_ms();
	return 1;
}

/* Where nothing is announced (a streaming replica refuses LISTEN): a tick, then "maybe". */
static int
sleep_maybe(struct store_pg *s, int timeout_ms)
{
	struct timespec t = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};

	if (timeout_ms > 0)
		nanosleep(&t, NULL);
	return maybe(s);
}

int
pg_changes_wait(struct store *base, int timeout_ms, struct err *e)
{
	struct store_pg *s = (struct store_pg *)base;
	struct pollfd pfd;
	int64_t until = now_ms() + (timeout_ms > 0 ? timeout_ms : 0), left;
	int r;

	if (s->in_txn)
		return err_set(e, "store: waiting for changes inside a transaction");
	if (pg_conn_lost(s) && pg_reconnect(s, e) != 0)
		return -1;
	if (s->listening < 0) /* a standby: nothing to listen to, as for a file */
		return sleep_maybe(s, timeout_ms);
	if (!s->listening) {
		if (pg_exec_simple(s, "LISTEN lancre_changes", "listening for changes", e) != 0) {
			if (pg_conn_lost(s))
				return -1;
			s->listening = -1; /* refused (a hot standby refuses LISTEN): tick instead */
			return sleep_maybe(s, timeout_ms);
		}
		s->listening = 1;
	}
	for (;;) {
		if (PQconsumeInput(s->conn) != 1)
			return pg_err(s, NULL, "waiting for changes", e);
		if (drain(s) || s->changes_said_ms == 0 ||
		    now_ms() - s->changes_said_ms >= PG_CHANGES_RECHECK_MS)
			return maybe(s);
		if ((left = until - now_ms()) <= 0)
			return 0;
		pfd = (struct pollfd){.fd = PQsocket(s->conn), .events = POLLIN};
		if (pfd.fd < 0)
			return pg_err(s, NULL, "waiting for changes", e);
		r = poll(&pfd, 1, (int)(left < PG_CHANGES_RECHECK_MS ? left : PG_CHANGES_RECHECK_MS));
		if (r < 0 && errno != EINTR)
			return err_set(e, "store: waiting for changes: %s", strerror(errno));
		if (r < 0)
			return 0; /* a signal: the caller looks at its flags */
	}
}
