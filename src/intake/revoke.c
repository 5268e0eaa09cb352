/*
 * revoke.c - see revoke.h.
 */
#include "intake/revoke.h"

#include <stdio.h>

#include "pki/reason.h"
#include "pki/revtime.h"
#include "util/timefmt.h"

int
revoke_check_date(int64_t date, int64_t now, struct err *e)
{
	char when[TIMEFMT_LEN];

	if (date <= now + REVTIME_CLOCK_SKEW)
		return 0;
	timefmt_format(date, when, sizeof(when));
	return err_set(e, "revocation date %s is in the future (more than %d s ahead of this "
			  "machine's clock)", when, REVTIME_CLOCK_SKEW);
}

int
revoke_decide(const struct cert_record *cur, int64_t date, int reason, int64_t now,
    int64_t *at, int *reason_out, struct err *e)
{
	char when[TIMEFMT_LEN], nb[TIMEFMT_LEN];

	if (reason == REASON_CA_COMPROMISE && !cur->is_ca)
		return err_set(e, "cACompromise applies to CA certificates; this is a subscriber "
				  "certificate (RFC 5280 5.3.1, BR 7.2.2)");
	if (revoke_check_date(date, now, e) != 0)
		return -1;
	/* A certificate not yet valid (mis-issued, future-dated) is revocable now. */
	if (date < cur->not_before && cur->not_before <= now) {
		timefmt_format(date, when, sizeof(when));
		timefmt_format(cur->not_before, nb, sizeof(nb));
		return err_set(e, "revocation date %s is before the certificate's notBefore %s",
		    when, nb);
	}
	if (cur->status != CERT_REVOKED) {
		*at = date;
		*reason_out = reason;
		return 0;
	}
	timefmt_format(cur->revoked_at, when, sizeof(when));
	if (reason != REASON_KEY_COMPROMISE)
		return err_set(e, "already revoked at %s (%s); only keyCompromise can change a "
				  "revocation", when, reason_name(cur->reason));
	if (cur->reason == REASON_KEY_COMPROMISE && date >= cur->revoked_at)
		return err_set(e, "already revoked at %s (keyCompromise); a new keyCompromise "
				  "date can only be earlier", when);
	*at = date < cur->revoked_at ? date : cur->revoked_at;
	*reason_out = REASON_KEY_COMPROMISE;
	return 0;
}

int
revoke_apply(struct store *s, const struct cert_record *cur, int64_t date, int reason,
    int64_t now, int64_t *at, int *reason_out, struct err *e)
{
	if (revoke_decide(cur, date, reason, now, at, reason_out, e) != 0)
		return -1;
	return store_cert_revoke(s, cur->id, *at, *reason_out, e);
}

void
revoke_detail(const struct cert_record *cur, int64_t at, int reason, char *out, size_t len)
{
	char when[TIMEFMT_LEN], was[TIMEFMT_LEN];

	timefmt_format(at, when, sizeof(when));
	if (cur->status != CERT_REVOKED) {
		snprintf(out, len, "{\"reason\":\"%s\",\"date\":\"%s\"}", reason_name(reason), when);
		return;
	}
	timefmt_format(cur->revoked_at, was, sizeof(was));
	snprintf(out, len,
	    "{\"reason\":\"%s\",\"date\":\"%s\",\"was\":{\"reason\":\"%s\",\"date\":\"%s\"}}",
	    reason_name(reason), when, reason_name(cur->reason), was);
}
