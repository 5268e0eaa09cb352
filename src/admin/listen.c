/*
 * listen.c - the admin API's address; see listen.h.
 */
#include "admin/listen.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/server.h"

static int
is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >>
			   24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return 0;
}

int
admin_listen_is_loopback(const char *hostport, struct err *e)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res, *ai;
	char host[256], port[16];
	int rc, all = 1;

	if (server_parse_addr(hostport, host, sizeof(host), port, sizeof(port), e) != 0)
		return -1;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return err_set(e, "cannot resolve %s: %s", hostport, gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next)
		all = all && is_loopback(ai->ai_addr);
	freeaddrinfo(res);
	if (!all)
		err_set(e, "[admin] listen %s is not a loopback address", hostport);
	return all;
}

int
admin_listen_addr(const struct conf *c, const char *public_listen, const char *given, char *out,
    size_t len, struct err *e)
{
	const char *colon = strrchr(public_listen, ':');
	long port = colon != NULL ? strtol(colon + 1, NULL, 10) : 0;
	const char *set = given != NULL ? given : c->api_listen;
	int rc;

	out[0] = '\0';
	if (strcmp(set, CONF_API_OFF) == 0)
		return 1;
	if (set[0] != '\0')
		snprintf(out, len, "%s", set);
	else if (port > 0 && port < 65534)
		snprintf(out, len, "127.0.0.1:%ld", port + 2);
	else
		return err_set(e, "[admin] listen is empty and the public port %s + 2 is no port: "
				  "set [admin] listen (or off)", colon != NULL ? colon + 1 : "?");
	if ((rc = admin_listen_is_loopback(out, e)) != 0)
		return rc > 0 ? 0 : -1;
	/* Off loopback, mutual TLS or nothing: see listen.h. */
	if (c->api_tls_cert[0] == '\0')
		return err_set(e, "[admin] listen %s is not a loopback address and the admin API "
				  "has no TLS: its bearer tokens would cross the network in the "
				  "clear; set [admin] tls_cert, tls_key and client_ca (mutual TLS), or "
				  "listen on 127.0.0.1 or [::1]", out);
	if (c->api_client_ca[0] == '\0')
		return err_set(e, "[admin] listen %s is not a loopback address and [admin] "
				  "client_ca is not set: off loopback the admin API takes only "
				  "clients with a certificate (mutual TLS); set client_ca, or listen "
				  "on 127.0.0.1 or [::1]", out);
	return 0;
}
