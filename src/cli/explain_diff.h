/*
 * explain_diff.h - the CRL diff printer of `lancre explain OLD.crl NEW.crl`.
 */
#ifndef LANCRE_CLI_EXPLAIN_DIFF_H
#define LANCRE_CLI_EXPLAIN_DIFF_H

#include "cli/explain.h"

#define EXIT_DIFF_UNSOUND 3 /* `explain OLD.crl NEW.crl`: the change is not sound */

/* Compare and print; *sound set to 1 or 0.  -1 if a CRL is unreadable or memory ran out. */
int explain_crl_diff(struct explain_ctx *c, const struct explain_object *old_obj,
    const struct explain_object *new_obj, int *sound, struct err *e);

#endif
