/*
 * addr.h - the addresses lancre.conf and the command line give: listen
 * addresses (HOST:PORT) and what goes into certificates (the path-style base
 * URL, the host-style domain).
 *
 * A URL in a certificate cannot be taken back, so it is checked before it is
 * written anywhere: plain http:// (OCSP and CRL fetches are HTTP), a host
 * that is a DNS name or an IP address, a port 1-65535, nothing the server
 * would not answer (a path under the base, a query, user info, spaces).  A
 * port out of range is refused rather than wrapped by getaddrinfo (99999
 * bound 34463).  Every function returns 0, or -1 with one line in *e.
 */
#ifndef LANCRE_CONF_ADDR_H
#define LANCRE_CONF_ADDR_H

#include <stddef.h>

#include "util/err.h"

#define ADDR_PORT_MAX 65535
#define ADDR_HOST_MAX 253  /* a DNS name's length in text (RFC 1035, 2.3.4) */
#define ADDR_LABEL_MAX 63  /* one label of it */

/* HOST:PORT to listen on: a DNS name, an IPv4 address or [IPv6], and a port 1-65535. */
int addr_check_listen(const char *hostport, struct err *e);

/*
 * The base of path-style URLs, http://HOST[:PORT], with trailing slashes
 * removed in place first (http://h/ and http://h are the same base; the
 * server answers /ocsp, not //ocsp).
 */
int addr_check_base_url(char *url, struct err *e);

/* The domain of host-style URLs: a DNS name (no scheme, port, path or trailing dot). */
int addr_check_domain(const char *domain, struct err *e);

#endif
