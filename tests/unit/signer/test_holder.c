/*
 * Unit tests for signer/holder.c: a lease holder's name and whether a
 * holder of this host is gone (issue 18, leases review item 2): this host
 * is its boot id and PID namespace, not its name, and a recycled pid is
 * not the holder.
 */
#include "testutil.h"
#include "signer/signer_int.h"

#include <sys/wait.h>
#include <unistd.h>

/* Our own holder name, with its pid and start time replaced. */
static void
name_as(char *out, size_t len, const char *hostid, long pid, unsigned long long start)
{
	snprintf(out, len, "somehost:%s:%ld:%llu:00112233", hostid, pid, start);
}

/* A pid that was a process a moment ago and is gone now (reaped). */
static long
gone_pid(void)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return (long)pid;
}

static void
test_own_name(void **state)
{
	char hostid[64], holder[STORE_LEASE_HOLDER_MAX + 1], boot[64] = "";
	unsigned long long start = 0;
	FILE *f;

	(void)state;
	signer_holder_hostid(hostid, sizeof(hostid));
	assert_non_null(f = fopen("/proc/sys/kernel/random/boot_id", "r"));
	assert_non_null(fgets(boot, sizeof(boot), f));
	fclose(f);
	assert_memory_equal(hostid, boot, 8); /* the boot id's first group, then more */
	assert_non_null(strchr(hostid, '.'));
	assert_true(strlen(strchr(hostid, '.')) > 1); /* the PID namespace's inode */
	signer_holder_name(holder, sizeof(holder), hostid);
	assert_non_null(strstr(holder, hostid));
	assert_int_equal(signer_holder_start((long)getpid(), &start), 1);
	assert_true(start > 0);
	assert_false(signer_holder_dead(hostid, holder)); /* this very process */
	assert_int_equal(signer_holder_start(gone_pid(), &start), 0);
}

/* A holder of this host whose process is gone is dead; alive while its process runs. */
static void
test_gone_is_dead(void **state)
{
	char hostid[64], holder[STORE_LEASE_HOLDER_MAX + 1];
	unsigned long long start;

	(void)state;
	signer_holder_hostid(hostid, sizeof(hostid));
	name_as(holder, sizeof(holder), hostid, gone_pid(), 12345);
	assert_true(signer_holder_dead(hostid, holder));
	assert_int_equal(signer_holder_start((long)getppid(), &start), 1);
	name_as(holder, sizeof(holder), hostid, (long)getppid(), start);
	assert_false(signer_holder_dead(hostid, holder));
}

/* A pid now used by another process than the holder (another start time): dead. */
static void
test_recycled_pid_is_dead(void **state)
{
	char hostid[64], holder[STORE_LEASE_HOLDER_MAX + 1];
	unsigned long long start;

	(void)state;
	signer_holder_hostid(hostid, sizeof(hostid));
	assert_int_equal(signer_holder_start((long)getpid(), &start), 1);
	name_as(holder, sizeof(holder), hostid, (long)getpid(), start + 1);
	assert_true(signer_holder_dead(hostid, holder));
}

/*
 * Another host that bears this one's name (a container sharing the host's
 * network, a cloned VM): another boot id or PID namespace.  Its pid means
 * nothing here, gone or not: never dead, it only waits for its lease.  An
 * older signer's name ("host:pid:random") waits too.
 */
static void
test_other_host_is_never_dead(void **state)
{
	char hostid[64], other[64], holder[STORE_LEASE_HOLDER_MAX + 1], host[64] = "";
	long pid = gone_pid();

	(void)state;
	signer_holder_hostid(hostid, sizeof(hostid));
	snprintf(other, sizeof(other), "%s", hostid);
	other[0] = other[0] == 'f' ? '0' : 'f'; /* another boot */
	name_as(holder, sizeof(holder), other, pid, 12345);
	assert_false(signer_holder_dead(hostid, holder));
	snprintf(other, sizeof(other), "%.*s1", (int)strlen(hostid), hostid); /* another ns */
	name_as(holder, sizeof(holder), other, pid, 12345);
	assert_false(signer_holder_dead(hostid, holder));
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	snprintf(holder, sizeof(holder), "%s:%ld:0011223344556677", host, pid);
	assert_false(signer_holder_dead(hostid, holder));
}

int
main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_own_name),
	    cmocka_unit_test(test_gone_is_dead),
	    cmocka_unit_test(test_recycled_pid_is_dead),
	    cmocka_unit_test(test_other_host_is_never_dead),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
