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

/* Lines of path that contain word (0 when there is no such file). */
static int
lines_with(const char *path, const char *word)
{
	char line[1024];
	int n = 0;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, word) != NULL;
	fclose(fp);
	return n;
}

/*
 * Issue 18, CRL hooks across signers: a CRL's hook has its number and
 * thisUpdate in LANCRE_CRL_NUMBER and LANCRE_CRL_THIS_UPDATE (as stored),
 * so that an uploader can refuse to put an older CRL over a newer one; the
 * other files' hooks have neither, even when the signer's environment does.
 * The CRL hooks take a second: the signer, stopping, gives its units back
 * only once they have finished (a stopped signer's unit taken over: the new
 * holder's hook comes after).
 */
static void
test_crl_hook_gets_number(void **state)
{
	struct hook_fixture f;
	struct signer_stats st = {0};
	struct crl_record r;
	struct signer *sg;
	struct err e;
	char hook[600], log[400], line[1024], path[400], want[400];
	long long number, this_update;
	int crls = 0, json = 0;
	FILE *fp;

	(void)state;
	fixture_make(&f, "", 1);
	snprintf(log, sizeof(log), "%s/hooks.log", f.dir);
	snprintf(hook, sizeof(hook),
	    "case \"$1\" in *.crl) sleep 1;; esac;"
	    " echo \"$1 ${LANCRE_CRL_NUMBER-none} ${LANCRE_CRL_THIS_UPDATE-none}\" >> %s", log);
	snprintf(f.conf.crl_hook, sizeof(f.conf.crl_hook), "%s", hook);
	assert_int_equal(setenv("LANCRE_CRL_NUMBER", "999", 1), 0); /* never passed on */
	assert_non_null(sg = signer_new(f.s, &f.conf, f.dir, 1, &e));
	assert_int_equal(signer_pass(sg, (int64_t)time(NULL), &st, &e), 0);
	assert_true(st.crls >= 2); /* the full CRL and shard 1's */
	signer_free(sg);           /* waits for the CRL hooks before giving the units back */
	assert_int_equal(lines_with(log, ".crl "), (int)st.crls);
	for (int ms = 0; ms < HOOK_WAIT_MS && lines_with(log, ".json ") == 0; ms += 10)
		nanosleep(&(struct timespec){0, 10 * 1000000L}, NULL);
	assert_non_null(fp = fopen(log, "r"));
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *sp = strchr(line, ' ');
		assert_non_null(sp);
		*sp = '\0';
		snprintf(path, sizeof(path), "%s", line);
		if (strstr(path, ".crl") == NULL) {
			assert_string_equal(sp + 1, "none none\n");
			json += strstr(path, ".json") != NULL;
			continue;
		}
		assert_int_equal(sscanf(sp + 1, "%lld %lld", &number, &this_update), 2);
		for (int shard = 0; shard <= 1; shard++) {
			if (shard == 0)
				snprintf(want, sizeof(want), "%s/public/crl/e1.crl", f.dir);
			else
				snprintf(want, sizeof(want), "%s/public/crl/e1/1.crl", f.dir);
			if (strcmp(path, want) != 0)
				continue;
			assert_int_equal(store_crl_get(f.s, 1, shard, &r, &e), 1);
			assert_true(r.number == number);
			assert_true(r.this_update == this_update);
			crls++;
		}
	}
	fclose(fp);
	assert_int_equal(unsetenv("LANCRE_CRL_NUMBER"), 0);
	assert_int_equal(crls, 2);
	assert_true(json >= 1);
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
	    cmocka_unit_test(test_crl_hook_gets_number),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
