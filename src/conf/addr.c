/*
 * addr.c - see addr.h.
 *
 * Hosts are checked by their text alone, never resolved: lancre.conf may
 * name a host that only resolves where lancre runs.  A DNS name is
 * letters, digits and '-' in dot-separated labels (RFC 1123, 2.1), its last
 * label not all digits (that would be a mistyped IPv4 address); an IPv4 or
 * IPv6 address is whatever inet_pton() takes.
 */
#include "conf/addr.h"

#include <arpa/inet.h>
#include <string.h>

#include "util/num.h"

/* A DNS name of n characters: 0, or -1. */
static int
dns_name(const char *s, size_t n)
{
	size_t label = 0, digits = 0;

	if (n == 0 || n > ADDR_HOST_MAX)
		return -1;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';
		if (c == '.') {
			if (label == 0 || label > ADDR_LABEL_MAX || s[i - 1] == '-' ||
			    s[i - label] == '-')
				return -1;
			if (i == n && digits == label)
				return -1; /* 1.2.3.4 is an address, checked as one */
			label = digits = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '-'))
			return -1;
		label++;
		digits += c >= '0' && c <= '9';
	}
	return 0;
}

/* A host of n characters: a DNS name, an IPv4 address, or an IPv6 one in brackets. */
static int
host_ok(const char *s, size_t n)
{
	char buf[ADDR_HOST_MAX + 1];
	unsigned char bin[16];

	if (n == 0 || n > ADDR_HOST_MAX)
		return -1;
	if (s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return -1;
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		return inet_pton(AF_INET6, buf, bin) == 1 ? 0 : -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strspn(buf, "0123456789.") == n)
		return inet_pton(AF_INET, buf, bin) == 1 ? 0 : -1;
	return dns_name(s, n);
}

/* A port, 1-65535, in decimal digits. */
static int
port_ok(const char *s)
{
	int port;

	return num_parse_int(s, 1, ADDR_PORT_MAX, &port);
}

/* HOST[:PORT] (port required or not) ending at the string's end. */
static int
host_port_ok(const char *s, int need_port)
{
	const char *colon = strrchr(s, ':');

	/* "::1:80" has a colon too: a bare IPv6 address is refused, a bracketed one is not. */
	if (colon != NULL && strchr(s, ']') != NULL && colon < strchr(s, ']'))
		colon = NULL;
	if (colon == NULL)
		return need_port ? -1 : host_ok(s, strlen(s));
	return host_ok(s, (size_t)(colon - s)) == 0 && port_ok(colon + 1) == 0 ? 0 : -1;
}

int
addr_check_listen(const char *hostport, struct err *e)
{
	if (host_port_ok(hostport, 1) != 0)
		return err_set(e, "'%s' is not HOST:PORT (a host name, an IPv4 address or [IPv6], "
				  "and a port from 1 to %d)", hostport, ADDR_PORT_MAX);
	return 0;
}

int
addr_check_base_url(char *url, struct err *e)
{
	size_t n = strlen(url);

	while (n > 7 && url[n - 1] == '/') /* not the slashes of "http://" */
		url[--n] = '\0';
	if (strncmp(url, "http://", 7) != 0)
		return err_set(e, "'%s' must start with http:// (OCSP and CRL fetches use plain "
				  "HTTP)", url);
	if (strchr(url + 7, '/') != NULL)
		return err_set(e, "'%s' has a path: the server answers /ocsp, /crl/ and /issuer/ "
				  "at the root, so the base is http://HOST[:PORT]", url);
	if (host_port_ok(url + 7, 0) != 0)
		return err_set(e, "'%s' is not http://HOST[:PORT] (a host name, an IPv4 address "
				  "or [IPv6], and a port from 1 to %d)", url, ADDR_PORT_MAX);
	return 0;
}

int
addr_check_domain(const char *domain, struct err *e)
{
	if (dns_name(domain, strlen(domain)) != 0)
		return err_set(e, "'%s' is not a domain name (like pki.example: letters, digits, "
				  "'-' and dots; no scheme, port or path)", domain);
	return 0;
}
