/* Unit tests for intake/revoke: the BR revocation rules. */
#include "testutil.h"
#include "intake/revoke.h"
#include "pki/reason.h"
#include "pki/revtime.h"

#define NOW 1000000

static struct cert_record
cert(int revoked, int64_t at, int reason)
{
	struct cert_record r = {0};

	r.not_before = NOW - 5000;
	r.not_after = NOW + 5000;
	r.status = revoked ? CERT_REVOKED : CERT_GOOD;
	r.revoked_at = at;
	r.reason = reason;
	return r;
}

static void
test_first_revocation(void **state)
{
	struct cert_record c = cert(0, 0, 0);
	struct err e;
	int64_t at;
	int reason;

	(void)state;
	assert_int_equal(revoke_decide(&c, NOW - 10, REASON_SUPERSEDED, NOW, &at, &reason, &e), 0);
	assert_int_equal(at, NOW - 10);
	assert_int_equal(reason, REASON_SUPERSEDED);
	/* Small clock skew is tolerated, a day is not. */
	assert_int_equal(revoke_decide(&c, NOW + 60, 0, NOW, &at, &reason, &e), 0);
	assert_int_equal(revoke_decide(&c, NOW + 86400, 0, NOW, &at, &reason, &e), -1);
	assert_non_null(strstr(e.msg, "future"));
	assert_int_equal(revoke_decide(&c, NOW - 6000, 0, NOW, &at, &reason, &e), -1);
	assert_non_null(strstr(e.msg, "notBefore"));
}

/* cACompromise only for a CA certificate (an intermediate recorded under its root). */
static void
test_ca_compromise_only_for_cas(void **state)
{
	struct cert_record leaf = cert(0, 0, 0), ca = cert(0, 0, 0);
	struct err e;
	int64_t at;
	int reason;

	(void)state;
	ca.is_ca = 1;
	assert_int_equal(revoke_decide(&leaf, NOW, REASON_CA_COMPROMISE, NOW, &at, &reason, &e), -1);
	assert_non_null(strstr(e.msg, "subscriber certificate"));
	assert_int_equal(revoke_decide(&ca, NOW, REASON_CA_COMPROMISE, NOW, &at, &reason, &e), 0);
	assert_int_equal(reason, REASON_CA_COMPROMISE);
}

static void
test_only_key_compromise_changes_a_revocation(void **state)
{
	struct cert_record c = cert(1, NOW - 100, REASON_SUPERSEDED);
	struct err e;
	int64_t at = 0;
	int reason = 0;

	(void)state;
	assert_int_equal(revoke_decide(&c, NOW, REASON_SUPERSEDED, NOW, &at, &reason, &e), -1);
	assert_non_null(strstr(e.msg, "already revoked"));
	assert_int_equal(revoke_decide(&c, NOW, REASON_UNSPECIFIED, NOW, &at, &reason, &e), -1);
	/* keyCompromise later than the recorded date keeps the earlier date. */
	assert_int_equal(revoke_decide(&c, NOW, REASON_KEY_COMPROMISE, NOW, &at, &reason, &e), 0);
	assert_int_equal(at, NOW - 100);
	assert_int_equal(reason, REASON_KEY_COMPROMISE);
	/* ...and earlier moves it. */
	assert_int_equal(revoke_decide(&c, NOW - 900, REASON_KEY_COMPROMISE, NOW, &at, &reason, &e), 0);
	assert_int_equal(at, NOW - 900);
}

static void
test_key_compromise_only_moves_earlier(void **state)
{
	struct cert_record c = cert(1, NOW - 100, REASON_KEY_COMPROMISE);
	struct err e;
	int64_t at;
	int reason;

	(void)state;
	assert_int_equal(revoke_decide(&c, NOW - 100, REASON_KEY_COMPROMISE, NOW, &at, &reason, &e), -1);
	assert_int_equal(revoke_decide(&c, NOW - 50, REASON_KEY_COMPROMISE, NOW, &at, &reason, &e), -1);
	assert_non_null(strstr(e.msg, "earlier"));
	assert_int_equal(revoke_decide(&c, NOW - 101, REASON_KEY_COMPROMISE, NOW, &at, &reason, &e), 0);
	assert_int_equal(at, NOW - 101);
	assert_int_equal(revoke_decide(&c, NOW - 200, REASON_SUPERSEDED, NOW, &at, &reason, &e), -1);
}

/*
 * Item 16 of issue 15: a mis-issued certificate dated in the future can be
 * revoked now (a date before its notBefore); a date past the clock-skew
 * allowance is still refused.
 */
static void
test_not_yet_valid_is_revocable_now(void **state)
{
	struct cert_record c = cert(0, 0, 0);
	struct err e;
	int64_t at;
	int reason;

	(void)state;
	c.not_before = NOW + 30 * 86400;
	c.not_after = NOW + 60 * 86400;
	assert_int_equal(revoke_decide(&c, NOW, REASON_KEY_COMPROMISE, NOW, &at, &reason, &e), 0);
	assert_int_equal(at, NOW);
	assert_int_equal(revoke_decide(&c, NOW - 3600, 0, NOW, &at, &reason, &e), 0);
	assert_int_equal(at, NOW - 3600);
	assert_int_equal(revoke_decide(&c, NOW + REVTIME_CLOCK_SKEW + 1, 0, NOW, &at, &reason, &e),
	    -1);
	assert_non_null(strstr(e.msg, "future"));
	assert_int_equal(revoke_decide(&c, c.not_before, 0, NOW, &at, &reason, &e), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_revocation),
	    cmocka_unit_test(test_ca_compromise_only_for_cas),
	    cmocka_unit_test(test_only_key_compromise_changes_a_revocation),
	    cmocka_unit_test(test_key_compromise_only_moves_earlier),
	    cmocka_unit_test(test_not_yet_valid_is_revocable_now),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
