/* Unit tests for proc/users: looking up [server] user and [signer] user. */
#include "testutil.h"
#include "proc/users.h"

#include <unistd.h>

static void
test_lookup(void **state)
{
	struct proc_user u;
	struct err e;

	(void)state;
	assert_int_equal(proc_user_lookup("root", "[server] user", &u, &e), 0);
	assert_int_equal(u.uid, 0);
	assert_string_equal(u.name, "root");
	assert_int_equal(proc_user_lookup("lancre-no-such-user", "[signer] user", &u, &e), -1);
	assert_string_equal(e.msg, "[signer] user 'lancre-no-such-user' does not exist: create it "
				   "with `useradd --system --user-group --no-create-home --shell "
				   "/usr/sbin/nologin lancre-no-such-user`");
}

static void
test_resolve(void **state)
{
	struct proc_users u;
	struct conf c;
	struct err e;

	(void)state;
	conf_defaults(&c);
	if (geteuid() != 0) { /* a normal user: both settings ignored */
		snprintf(c.user, sizeof(c.user), "lancre-no-such-user");
		assert_int_equal(proc_users_resolve(&c, &u, &e), 0);
		assert_int_equal(u.as_root, 0);
		assert_int_equal(u.server.uid, geteuid());
		assert_int_equal(u.signer.uid, geteuid());
		return;
	}
	/* tests/run.sh creates the default users (scripts/users.sh) */
	assert_int_equal(proc_users_resolve(&c, &u, &e), 0);
	assert_int_equal(u.as_root, 1);
	assert_string_equal(u.server.name, PROC_SERVER_USER_DEFAULT);
	assert_string_equal(u.signer.name, PROC_SIGNER_USER_DEFAULT);
	assert_int_not_equal(u.server.uid, 0);
	assert_int_not_equal(u.server.uid, u.signer.uid);
	snprintf(c.signer_user, sizeof(c.signer_user), "lancre-no-such-user");
	assert_int_equal(proc_users_resolve(&c, &u, &e), -1);
	assert_non_null(strstr(e.msg, "useradd --system"));
	snprintf(c.signer_user, sizeof(c.signer_user), PROC_SERVER_USER_DEFAULT);
	assert_int_equal(proc_users_resolve(&c, &u, &e), -1);
	assert_non_null(strstr(e.msg, "must be two users"));
	snprintf(c.signer_user, sizeof(c.signer_user), "root");
	assert_int_equal(proc_users_resolve(&c, &u, &e), -1);
	assert_non_null(strstr(e.msg, "is root"));
}

/* [admin] user: its own user, or none at all with [admin] listen = off. */
static void
test_resolve_admin(void **state)
{
	struct proc_users u;
	struct conf c;
	struct err e;

	(void)state;
	conf_defaults(&c);
	if (geteuid() != 0) { /* a normal user: the admin process runs as that user too */
		assert_int_equal(proc_users_resolve(&c, &u, &e), 0);
		assert_int_equal(u.admin.uid, geteuid());
		return;
	}
	assert_int_equal(proc_users_resolve(&c, &u, &e), 0);
	assert_string_equal(u.admin.name, PROC_ADMIN_USER_DEFAULT);
	assert_int_not_equal(u.admin.uid, 0);
	assert_int_not_equal(u.admin.uid, u.signer.uid);
	assert_int_not_equal(u.admin.uid, u.server.uid);
	snprintf(c.api_user, sizeof(c.api_user), PROC_SIGNER_USER_DEFAULT);
	assert_int_equal(proc_users_resolve(&c, &u, &e), -1);
	assert_non_null(strstr(e.msg, "must be a user of its own"));
	snprintf(c.api_user, sizeof(c.api_user), "root");
	assert_int_equal(proc_users_resolve(&c, &u, &e), -1);
	assert_non_null(strstr(e.msg, "[admin] user 'root' is root"));
	/* Off: not looked up, a missing one is no error. */
	snprintf(c.api_user, sizeof(c.api_user), "lancre-no-such-user");
	snprintf(c.api_listen, sizeof(c.api_listen), CONF_API_OFF);
	assert_int_equal(proc_users_resolve(&c, &u, &e), 0);
	assert_int_equal(u.admin.uid, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_resolve),
	    cmocka_unit_test(test_resolve_admin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
