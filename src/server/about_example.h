/*
 * about_example.h - the example on the about page of what a captured request
 * looks like: a complete OCSP GET URL, as a client sends it and a proxy or
 * web-server log shows it, that a visitor can copy whole into
 * `lancre explain` and that this server answers.
 */
#ifndef LANCRE_SERVER_ABOUT_EXAMPLE_H
#define LANCRE_SERVER_ABOUT_EXAMPLE_H

#include <openssl/x509.h>

#include "conf/conf.h"

/*
 * The example for issuer (its name in the store, a label: [a-z0-9-], and its
 * certificate; NULL, NULL before there is an issuer: a request for a
 * made-up one) under c's URLs: http://<issuer>.o.<domain>/<request> when
 * [urls] domain is set, else <base>/ocsp/<request>.  The request asks about
 * serial 01 (an example: no certificate need have it; the server answers
 * it "unauthorized" then).  Not escaped for HTML; free() it; NULL when out
 * of memory.
 */
char *about_example_ocsp_url(const struct conf *c, const char *issuer, X509 *cert);

#endif
