/*
 * reason.c - see reason.h.
 */
#include "pki/reason.h"

#include <stddef.h>
#include <stdlib.h>
#include <strings.h>

static const char *const names[] = {
    [REASON_UNSPECIFIED] = "unspecified",
    [REASON_KEY_COMPROMISE] = "keyCompromise",
    [REASON_CA_COMPROMISE] = "cACompromise",
    [REASON_AFFILIATION_CHANGED] = "affiliationChanged",
    [REASON_SUPERSEDED] = "superseded",
    [REASON_CESSATION_OF_OPERATION] = "cessationOfOperation",
    [REASON_CERTIFICATE_HOLD] = "certificateHold",
    [REASON_REMOVE_FROM_CRL] = "removeFromCRL",
    [REASON_PRIVILEGE_WITHDRAWN] = "privilegeWithdrawn",
    [REASON_AA_COMPROMISE] = "aACompromise",
};

#define NNAMES ((int)(sizeof(names) / sizeof(names[0])))

const char *
reason_name(int code)
{
	if (code < 0 || code >= NNAMES)
		return NULL;
	return names[code];
}

int
reason_parse(const char *s, int *code, struct err *e)
{
	int c = -1;

	for (int i = 0; i < NNAMES; i++) {
		if (names[i] != NULL && strcasecmp(s, names[i]) == 0)
			c = i;
	}
	if (c < 0 && s[0] >= '0' && s[0] <= '9') {
		char *end;
		long v = strtol(s, &end, 10);
		if (*end == '\0' && v >= 0 && v < NNAMES)
			c = (int)v;
	}
	if (c < 0 || reason_name(c) == NULL)
		return err_set(e, "unknown revocation reason '%s' (use keyCompromise, superseded, "
				  "cessationOfOperation, affiliationChanged, privilegeWithdrawn or "
				  "unspecified)", s);
	switch (c) {
	case REASON_CERTIFICATE_HOLD:
	case REASON_REMOVE_FROM_CRL:
		return err_set(e, "%s is not allowed: certificates cannot be suspended or "
				  "un-revoked (CA/B Forum BR 7.2.2)", names[c]);
	case REASON_AA_COMPROMISE:
		return err_set(e, "%s applies to attribute-authority certificates, which lancre "
				  "does not track", names[c]);
	}
	*code = c;
	return 0;
}
