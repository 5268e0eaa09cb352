/*
 * Unit tests for the signer's [crl] hooks (signer/hook.c): a hook that fails
 * is told through signer_events.on_hook, with its status, and the signer
 * waits only for the hooks it started, never for another child of the
 * process (`lancre run`'s, a test's).
 */
#include "testutil.h"
#include "signer/signer.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>

#define HOOK_WAIT_MS 10000 /* how long a test waits for its hooks to finish */

/* A data directory with one issuer, e1, whose key is a PEM file, and one CRL shard. */
struct hook_fixture {
	char dir[256];
	struct store *s;
	struct test_ca ca;
	struct conf conf;
};

static void
fixture_make(struct hook_fixture *f, const char *hook, int shell)
{
	char path[400];
	struct err e;
	FILE *fp;

	test_mkdtemp(f->dir, sizeof(f->dir));
	assert_non_null(f->s = store_open(f->dir, "lancre.db", 1, &e));
	test_ca_make(&f->ca, "hook test CA", NULL, MINT_P256);
	snprintf(path, sizeof(path), "%s/e1.key", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(PEM_write_PrivateKey(fp, f->ca.key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(fp);
	test_issuer_add(f->s, "e1", &f->ca, "e1.key", 1);
	conf_defaults(&f->conf);
	snprintf(f->conf.crl_hook, sizeof(f->conf.crl_hook), "%s", hook);
	f->conf.crl_hook_shell = shell;
}

static void
fixture_free(struct hook_fixture *f)
{
	store_close(f->s);
	test_ca_free(&f->ca);
	test_rmdir(f->dir);
}

struct hook_news {
	int n, pid, status;
	char why[256];
};

static void
on_hook_news(void *arg, int pid, int status, const char *why)
{
	struct hook_news *news = arg;

	news->n++;
	news->pid = pid;
	news->status = status;
	snprintf(news->why, sizeof(news->why), "%s", why != NULL ? why : "");
}

/* Passes (the first signs and publishes, running the hooks) until a hook is told of, or time is up. */
static void
pass_until_told(struct signer *sg, const struct signer_events *ev, struct hook_news *news)
{
	struct signer_stats st = {0};
	struct timespec tick = {0, 10 * 1000000L};
	struct err e;

	for (int ms = 0; ms < HOOK_WAIT_MS && news->n == 0; ms += 10) {
		assert_int_equal(signer_pass(sg, (int64_t)time(NULL), &st, &e), 0);
		signer_report(sg, ev);
		nanosleep(&tick, NULL);
	}
}

/* What is told of hook (a shell command if shell) run for the files of a first pass. */
static void
hook_told(const char *hook, int shell, struct hook_news *news)
{
	struct hook_fixture f;
	struct signer_events ev = {.on_hook = on_hook_news, .arg = news};
	struct signer *sg;
	struct err e;

	fixture_make(&f, hook, shell);
	assert_non_null(sg = signer_new(f.s, &f.conf, f.dir, 1, &e));
	pass_until_told(sg, &ev, news);
	signer_free(sg);
	fixture_free(&f);
}

/* A hook that exits 3 is told, with its PID and status 3. */
static void
test_failing_hook_is_told(void **state)
{
	struct hook_news news = {0};

	(void)state;
	hook_told("exit 3", 1, &news);
	assert_true(news.n >= 1);
	assert_true(news.pid > 0);
	assert_int_equal(news.status, 3);
	assert_string_equal(news.why, "");
}

/* A hook killed by a signal: 128 + the signal, as a shell says it. */
static void
test_killed_hook_is_told(void **state)
{
	struct hook_news news = {0};

	(void)state;
	hook_told("kill -9 $$", 1, &news);
	assert_true(news.n >= 1);
	assert_int_equal(news.status, 128 + SIGKILL);
}

/*
 * Without hook_shell, no shell: "exit 3" is no program (told as a spawn
 * error), "false" is run (status 1), and shell syntax reaches the program as
 * plain arguments: touch makes a file named "x;touch", not x.
 */
static void
test_hook_without_shell(void **state)
{
	struct hook_fixture f;
	struct hook_news news = {0};
	struct signer_events ev = {.on_hook = on_hook_news, .arg = &news};
	struct signer *sg;
	char hook[400], path[400];
	struct err e;

	(void)state;
	hook_told("exit 3", 0, &news);
	assert_true(news.n >= 1);
	assert_int_equal(news.pid, 0);
	assert_string_equal(news.why, strerror(ENOENT));
	memset(&news, 0, sizeof(news));
	hook_told("false", 0, &news);
	assert_int_equal(news.status, 1);
	memset(&news, 0, sizeof(news));
	fixture_make(&f, "", 0);
	snprintf(hook, sizeof(hook), "touch %s/x;touch", f.dir);
	snprintf(f.conf.crl_hook, sizeof(f.conf.crl_hook), "%s", hook);
	assert_non_null(sg = signer_new(f.s, &f.conf, f.dir, 1, &e));
	snprintf(path, sizeof(path), "%s/x;touch", f.dir);
	for (int ms = 0; ms < HOOK_WAIT_MS && access(path, F_OK) != 0; ms += 10) {
		struct signer_stats st = {0};
		struct timespec tick = {0, 10 * 1000000L};
		assert_int_equal(signer_pass(sg, (int64_t)time(NULL), &st, &e), 0);
		signer_report(sg, &ev);
		nanosleep(&tick, NULL);
	}
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/x", f.dir);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_int_equal(news.n, 0); /* touch succeeded every time */
	signer_free(sg);
	fixture_free(&f);
}

/*
 * A child of the process that the signer did not start, already exited when
 * the signer passes: its status is still there for its parent to wait for.
 * The hooks themselves succeed and are not told of.
 */
static void
test_other_children_are_not_reaped(void **state)
{
	struct hook_fixture f;
	struct hook_news news = {0};
	struct signer_events ev = {.on_hook = on_hook_news, .arg = &news};
	struct signer_stats st = {0};
	struct timespec tick = {0, 100 * 1000000L};
	struct signer *sg;
	siginfo_t info;
	struct err e;
	int status;
	pid_t child;

	(void)state;
	fixture_make(&f, "exit 0", 1);
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(7);
	/* Exited, and left to be waited for (WNOWAIT): a waitpid(-1) would take it. */
	memset(&info, 0, sizeof(info));
	assert_int_equal(waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT), 0);
	assert_non_null(sg = signer_new(f.s, &f.conf, f.dir, 1, &e));
	assert_int_equal(signer_pass(sg, (int64_t)time(NULL), &st, &e), 0); /* starts hooks */
	assert_true(st.crls >= 1);
	nanosleep(&tick, NULL);
	assert_int_equal(signer_pass(sg, (int64_t)time(NULL), &st, &e), 0); /* reaps its own */
	signer_report(sg, &ev);
	assert_int_equal(news.n, 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 7);
	signer_free(sg);
	fixture_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_failing_hook_is_told),
	    cmocka_unit_test(test_killed_hook_is_told),
	    cmocka_unit_test(test_other_children_are_not_reaped),
	    cmocka_unit_test(test_hook_without_shell),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
