/*
 * list.h - the CCADB "JSON Array of Partitioned CRLs" for an issuer: the URL
 * of every shard, in the configured URL form.
 */
#ifndef LANCRE_CRL_LIST_H
#define LANCRE_CRL_LIST_H

#include <stddef.h>

#include "conf/conf.h"

/* ["http://.../1.crl", ...]: a malloc'd string, NULL when out of memory. */
char *crl_list_json(const struct conf *c, const char *issuer, int shards, size_t *len);

#endif
