/*
 * issuer_manage.h - changing a registered issuer: its key moves (a new file
 * path, a replaced token) or it is retired.  The checks are the ones that
 * keep a running signer from being handed a key it cannot use.
 */
#ifndef LANCRE_INTAKE_ISSUER_MANAGE_H
#define LANCRE_INTAKE_ISSUER_MANAGE_H

#include "conf/conf.h"
#include "pki/issuer.h"
#include "store/store.h"
#include "util/err.h"

/*
 * Record key_ref (and pass_ref, the file with an encrypted PEM key's
 * passphrase, or NULL) as is's key, after proving that it loads and is the
 * private half of is's certificate (key_check_pair); otherwise nothing
 * changes.  A running signer reloads its issuers on the next pass.
 */
int issuer_set_key(struct store *s, const struct conf *c, const char *dir,
    const struct issuer *is, const char *key_ref, const char *pass_ref, struct err *e);

/*
 * Retire is at now: no new certificate is recorded for it; OCSP responses
 * and CRLs go on for its certificates until the last one expires, and one
 * CRL more is published after that (see signer.h).  Refuses a retired one.
 */
int issuer_retire(struct store *s, const struct issuer *is, int64_t now, struct err *e);

#endif
