/*
 * lookup.h - finding a recorded certificate from what a person types: a
 * certificate file, or a serial number (with or without an issuer name).
 * Shared by `lancre revoke` and `lancre status`.
 */
#ifndef LANCRE_CLI_LOOKUP_H
#define LANCRE_CLI_LOOKUP_H

#include "cli/cli.h"
#include "pki/issuer.h"

#define LOOKUP_MAX_MATCHES 16

struct lookup_match {
	const struct issuer *issuer;
	struct cert_record rec;
	int found; /* 0: the issuer is known but lancre never saw this certificate */
};

/*
 * The certificate in file path: its issuer is found by signature; *m says
 * whether the store has it.  -1 if the file is unreadable or no issuer signed it.
 */
int lookup_by_file(struct cli_dir *d, const struct issuer_set *set, const char *path,
    struct lookup_match *m, struct err *e);

/*
 * Certificates with this hex serial, under the named issuer or (issuer NULL)
 * under every issuer.  Fills up to LOOKUP_MAX_MATCHES entries of m with
 * found records and sets *n (0 when none).
 */
int lookup_by_serial(struct cli_dir *d, const struct issuer_set *set, const char *issuer,
    const char *hex, struct lookup_match *m, size_t *n, struct err *e);

/* The issuer named name in set, or NULL saying there is none (and where to look). */
const struct issuer *lookup_issuer(const struct issuer_set *set, const char *name,
    struct err *e);

/*
 * 0 if hex is a serial lookup_by_serial() can read, else -1 saying why: a
 * bad serial is a usage error (exit 2), found before anything is opened.
 */
int lookup_check_serial(const char *hex, struct err *e);

#endif
