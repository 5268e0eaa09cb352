/*
 * postgresql_conn.c - connecting to the database, and connecting again.
 *
 * Design: the server and the signer connect before they enter their
 * sandboxes, and a lost connection is made again from inside them.  There,
 * the server cannot resolve a host name (no /etc/hosts, no datagram socket
 * for DNS), and a lookup would kill it.  So after the first connect, a
 * database named by one host name is pinned to the address that name
 * resolved to (PQhostaddr), and a reconnection opens a new connection with
 * hostaddr= that address (the name still names it: for TLS verification and
 * the password file, which libpq reads again: the sandbox lets each process
 * read its own, store/reach.c).  A unix socket, a numeric address, a URL
 * with its own hostaddr= or with several hosts (libpq's failover, which
 * needs names resolved) are not pinned: PQreset, which reuses the options
 * of the first connect, connects them again.  A database that moves to
 * another address needs a restart of the processes that use it.
 */
#include "store/postgresql_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Seconds libpq waits to connect unless the URL says (connect_timeout=). */
#define PG_CONNECT_TIMEOUT "10"
/*
 * A database host that vanishes without a reset (a black-holed route, a
 * frozen VM) would leave a query waiting for the kernel's retransmission
 * limit, about 15 minutes, and with it a request the server holds or a
 * signer's pass.  Unless the URL says otherwise: a write unacknowledged for
 * PG_TCP_USER_TIMEOUT ms, or an idle connection unanswered after keepalive
 * probes for about 25 s, fails the connection (TCP only; ignored on a unix
 * socket), and the caller's reconnect takes over.
 */
#define PG_TCP_USER_TIMEOUT "30000"
#define PG_KEEPALIVES_IDLE "10"
#define PG_KEEPALIVES_INTERVAL "5"
#define PG_KEEPALIVES_COUNT "3"

/* libpq prints the server's notices on stderr by default; library code never prints. */
static void
ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Connect; *why gets libpq's words (folded) on failure, and the connection is freed. */
static PGconn *
open_conn(const char *location, const char *hostaddr, char *why, size_t len)
{
	/* The timeouts before the URL (which may override them), hostaddr after (it wins). */
	const char *const keys[] = {"connect_timeout", "tcp_user_timeout", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "fallback_application_name", "dbname",
	    hostaddr != NULL ? "hostaddr" : NULL, NULL};
	const char *const values[] = {PG_CONNECT_TIMEOUT, PG_TCP_USER_TIMEOUT, PG_KEEPALIVES_IDLE,
	    PG_KEEPALIVES_INTERVAL, PG_KEEPALIVES_COUNT, "lancre", location, hostaddr, NULL};
	PGconn *conn = PQconnectdbParams(keys, values, 1);

	if (conn == NULL) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		pg_fold(PQerrorMessage(conn), why, len);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	return conn;
}

PGconn *
pg_connect(const char *location, const char *hostaddr, struct err *e)
{
	char why[ERR_MSG_MAX];
	PGconn *conn = open_conn(location, hostaddr, why, sizeof(why));

	if (conn == NULL)
		err_set(e, "store: cannot connect to PostgreSQL: %s", why);
	return conn;
}

/* Whether host is one host name: not a socket directory, an address, or a list. */
static int
is_one_name(const char *host)
{
	unsigned char addr[16];

	return host != NULL && host[0] != '\0' && host[0] != '/' && host[0] != '@' &&
	       strchr(host, ',') == NULL && inet_pton(AF_INET, host, addr) != 1 &&
	       inet_pton(AF_INET6, host, addr) != 1;
}

int
pg_conn_pin(struct store_pg *s, const char *location, struct err *e)
{
	PQconninfoOption *opts = PQconninfo(s->conn);
	const char *addr = PQhostaddr(s->conn);
	int pin = 0;

	if (opts == NULL)
		return err_set(e, "out of memory");
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") == 0)
			pin = is_one_name(o->val);
		else if (strcmp(o->keyword, "hostaddr") == 0 && o->val != NULL && o->val[0] != '\0') {
			pin = 0; /* the URL's own address: PQreset keeps it */
			break;
		}
	}
	PQconninfoFree(opts);
	if (!pin || addr == NULL || addr[0] == '\0' || strlen(addr) >= sizeof(s->hostaddr))
		return 0;
	s->location = strdup(location);
	if (s->location == NULL)
		return err_set(e, "out of memory");
	snprintf(s->hostaddr, sizeof(s->hostaddr), "%s", addr);
	return 0;
}

int
pg_conn_again(struct store_pg *s, char *why, size_t len)
{
	PGconn *conn;

	if (s->location == NULL) {
		PQreset(s->conn);
		if (PQstatus(s->conn) == CONNECTION_OK)
			return 0;
		pg_fold(PQerrorMessage(s->conn), why, len);
		return -1;
	}
	/* A failure keeps the old connection, broken: pg_conn_lost() still says so. */
	if ((conn = open_conn(s->location, s->hostaddr, why, len)) == NULL)
		return -1;
	PQfinish(s->conn);
	s->conn = conn;
	return 0;
}
