/*
 * expect.c - see expect.h.  Pure: the record, the signer's progress and the
 * time in, words out, so that each case is a unit test.
 */
#include "ocsp/expect.h"

#include <stdio.h>

#include "util/timefmt.h"

void
ocsp_expect(const struct ocsp_expect_in *in, const char **answer, char *why, size_t len)
{
	const struct cert_record *r = in->rec;
	const char *recorded;
	char na[TIMEFMT_LEN], gone[TIMEFMT_LEN];

	if (r == NULL) {
		*answer = "unauthorized";
		snprintf(why, len, "lancre has no record of this certificate");
		return;
	}
	recorded = r->status == CERT_REVOKED ? "revoked" : "good";
	timefmt_format(r->not_after, na, sizeof(na));
	timefmt_format(r->not_after + in->grace, gone, sizeof(gone));
	if (in->now >= r->not_after + in->grace) {
		*answer = "unauthorized";
		snprintf(why, len, "expired at %s; responses are deleted once a certificate has "
				   "been expired for %lld s", na, (long long)in->grace);
		return;
	}
	if (!in->signed_yet) {
		if (r->not_after <= in->now) {
			*answer = "unauthorized";
			snprintf(why, len, "expired at %s before the signer got to it: it is no "
					   "longer signed", na);
		} else if (r->status == CERT_REVOKED) {
			*answer = "revoked";
			snprintf(why, len, "once the signer runs: the revocation is not signed yet, "
					   "and until then the last response signed, if any, is served");
		} else {
			*answer = "unauthorized";
			snprintf(why, len, "not signed yet: `lancre sign` (or `lancre run`) has not "
					   "run since it was recorded");
		}
		return;
	}
	*answer = recorded;
	if (r->not_after <= in->now)
		snprintf(why, len, "expired at %s: the last response is served until it lapses, "
				   "unauthorized from %s at the latest", na, gone);
	else
		snprintf(why, len, "signed");
}
