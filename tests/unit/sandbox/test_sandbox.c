/*
 * test_sandbox.c - each role's sandbox, entered in a forked child: a call the
 * role must not make kills the child with SIGSYS (seccomp) or fails with
 * EACCES (Landlock), and what the role needs still works.  The trap says
 * which call (in a slot shared with the parent, or on stderr), and a process
 * cannot escape it by ignoring, catching or blocking SIGSYS.
 *
 * Each check runs in its own child (a sandbox cannot be left) and reports
 * through its exit status: CHILD_OK, or a code saying what went wrong.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/sandbox.h"
#include "sandbox/sandbox_int.h"

enum {
	CHILD_OK = 0,
	CHILD_ENTER_FAILED = 10,
	CHILD_REFUSED = 11,   /* an allowed call failed */
	CHILD_ALLOWED = 12,   /* a forbidden call succeeded */
	CHILD_WRONG_ERRNO = 13,
};

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1 /* LeakSanitizer's calls are allowed (seccomp.c): ptrace and fork too */
#else
#define SANITIZED 0
#endif

static char dir[PATH_MAX];
static char conf[PATH_MAX + 32];
static struct sandbox_trap *slot; /* shared with the children: where they note a trap */
static pid_t last_child;
static int network; /* the children's [signer] network */
static int db;                 /* the children's store is a database server (PostgreSQL) */
static unsigned short db_port; /* its TCP port */
extern char **environ;

static void
put(const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	char sub[PATH_MAX + 16];

	(void)state;
	test_mkdtemp(dir, sizeof(dir));
	snprintf(conf, sizeof(conf), "%s/lancre.conf", dir);
	put("lancre.conf", "[server]\n");
	put("lancre.db", "not really a database");
	snprintf(sub, sizeof(sub), "%s/public", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/private", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	slot = mmap(NULL, sizeof(*slot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(slot != MAP_FAILED);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_rmdir(dir);
	munmap(slot, sizeof(*slot));
	return 0;
}

static int
in_dir(char *buf, size_t len, const char *name)
{
	return snprintf(buf, len, "%s/%s", dir, name) > 0 ? 0 : -1;
}

/* Open DIR/name with flags in the sandbox: 0 if it opened, else errno. */
static int
try_open(const char *name, int flags)
{
	char path[PATH_MAX + 64];
	int fd;

	in_dir(path, sizeof(path), name);
	fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/*
 * Fork; the child enters role's sandbox in mode and runs fn, whose return
 * value is its exit status.  Returns the child's wait status.
 */
static int
in_sandbox(enum sandbox_role role, enum sandbox_mode mode, int (*fn)(void))
{
	struct sandbox_paths p = {.dir = dir, .store = "lancre.db", .conf = conf, .network = network,
	    .db_sockets = db, .db_ports = &db_port, .db_nports = db};
	int status;
	pid_t pid;

	fflush(NULL);
	sandbox_trap_clear(slot);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_report r;
		struct err e;
		sandbox_trap_report(slot, NULL);
		if (sandbox_enter(role, mode, &p, &r, &e) != 0 ||
		    (mode != SANDBOX_OFF && (!r.no_new_privs || !r.seccomp)))
			_exit(CHILD_ENTER_FAILED);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	last_child = pid;
	return status;
}

static void
assert_exit(int status, int code)
{
	if (WIFSIGNALED(status))
		fail_msg("killed by signal %d, expected exit %d", WTERMSIG(status), code);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), code);
}

static void
assert_sigsys(int status)
{
	if (WIFEXITED(status))
		fail_msg("exited %d, expected to be killed by SIGSYS", WEXITSTATUS(status));
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

/* ---- the server ---- */

static int
server_reads(void)
{
	if (try_open("lancre.db", O_RDONLY) != 0 || try_open("lancre.conf", O_RDONLY) != 0)
		return CHILD_REFUSED;
	return CHILD_OK;
}

static int
server_writes(void)
{
	try_open("lancre.db", O_WRONLY);
	return CHILD_ALLOWED;
}

static int
server_read_writes(void)
{
	try_open("lancre.db", O_RDWR);
	return CHILD_ALLOWED;
}

static int
server_creates(void)
{
	try_open("new", O_RDONLY | O_CREAT);
	return CHILD_ALLOWED;
}

static int
server_truncates(void)
{
	try_open("lancre.db", O_RDONLY | O_TRUNC);
	return CHILD_ALLOWED;
}

static int
server_reads_outside(void)
{
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		return CHILD_ALLOWED;
	return errno == EACCES ? CHILD_OK : CHILD_WRONG_ERRNO;
}

static int
exec_true(void)
{
	char *argv[] = {"true", NULL};

	execve("/bin/true", argv, environ);
	return CHILD_REFUSED; /* the exec failed: the signer must be able to */
}

static int
open_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return CHILD_REFUSED;
	close(fd);
	return CHILD_ALLOWED; /* the caller says whether that is right */
}

static int
attach_parent(void)
{
	long rc = ptrace(PTRACE_ATTACH, getppid(), NULL, NULL);

	if (rc == 0)
		return CHILD_ALLOWED;
	return errno == EPERM ? CHILD_OK : CHILD_WRONG_ERRNO; /* Landlock: outside its domain */
}

static int
forks(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	return pid > 0 ? CHILD_ALLOWED : CHILD_REFUSED;
}

static void *
thread_main(void *arg)
{
	return arg;
}

static int
starts_thread(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, thread_main, NULL) != 0 || pthread_join(t, NULL) != 0)
		return CHILD_REFUSED;
	return CHILD_OK;
}

static void
test_server_reads_its_files(void **state)
{
	(void)state;
	assert_exit(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, server_reads), CHILD_OK);
}

static void
test_server_never_opens_for_writing(void **state)
{
	(void)state;
	assert_sigsys(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, server_writes));
	assert_sigsys(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, server_read_writes));
	assert_sigsys(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, server_creates));
	assert_sigsys(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, server_truncates));
}

static void
test_server_reads_nothing_outside(void **state)
{
	(void)state;
	if (sandbox_landlock_abi() == 0)
		skip();
	assert_exit(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, server_reads_outside), CHILD_OK);
}

static void
test_server_no_exec_socket_ptrace_fork(void **state)
{
	(void)state;
	assert_sigsys(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, exec_true));
	assert_sigsys(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, open_socket));
	if (SANITIZED) { /* allowed for LeakSanitizer; Landlock still refuses the parent */
		assert_exit(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, attach_parent), CHILD_OK);
		return;
	}
	assert_sigsys(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, attach_parent));
	assert_sigsys(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, forks));
}

static void
test_server_starts_threads(void **state)
{
	(void)state;
	assert_exit(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, starts_thread), CHILD_OK);
}

/* A thread started before entry gets the filter too (TSYNC): its socket() kills all. */
static int tsync_pipe[2];

static void *
late_socket(void *arg)
{
	char c;

	(void)arg;
	if (read(tsync_pipe[0], &c, 1) == 1)
		socket(AF_INET, SOCK_STREAM, 0);
	return NULL;
}

static void
test_threads_started_before_get_the_filter(void **state)
{
	struct sandbox_paths p = {.dir = dir, .store = "lancre.db", .conf = conf};
	int status;
	pid_t pid;

	(void)state;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_report r;
		struct err e;
		pthread_t t;
		sandbox_trap_report(NULL, NULL); /* quiet: the status says SIGSYS */
		if (pipe(tsync_pipe) != 0 || pthread_create(&t, NULL, late_socket, NULL) != 0)
			_exit(CHILD_REFUSED);
		if (sandbox_enter(SANDBOX_SERVER, SANDBOX_AUTO, &p, &r, &e) != 0)
			_exit(CHILD_ENTER_FAILED);
		if (write(tsync_pipe[1], "x", 1) != 1)
			_exit(CHILD_REFUSED);
		pthread_join(t, NULL);
		_exit(CHILD_ALLOWED);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_sigsys(status);
}

/* ---- the signer ---- */

static int
signer_writes_its_files(void)
{
	if (try_open("public/crl.tmp", O_WRONLY | O_CREAT | O_EXCL) != 0 ||
	    try_open("private/keys.db", O_RDWR | O_CREAT) != 0 ||
	    try_open("lancre.db", O_RDWR) != 0 || try_open("lancre.conf", O_RDONLY) != 0)
		return CHILD_REFUSED;
	return CHILD_OK;
}

static int
signer_writes_elsewhere(void)
{
	int a = try_open("lancre.conf", O_WRONLY), b = try_open("stray", O_WRONLY | O_CREAT);

	if (a == 0 || b == 0)
		return CHILD_ALLOWED;
	return a == EACCES && b == EACCES ? CHILD_OK : CHILD_WRONG_ERRNO;
}

static int
signer_runs_hook(void)
{
	char *argv[] = {"sh", "-c", "exit 7", NULL};
	int status;
	pid_t pid;

	if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0 ||
	    waitpid(pid, &status, 0) != pid)
		return CHILD_REFUSED;
	return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? CHILD_OK : CHILD_WRONG_ERRNO;
}

static void
test_signer_writes_only_its_files(void **state)
{
	(void)state;
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, signer_writes_its_files), CHILD_OK);
	if (sandbox_landlock_abi() == 0)
		skip();
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, signer_writes_elsewhere), CHILD_OK);
}

static void
test_signer_runs_the_hook(void **state)
{
	(void)state;
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, signer_runs_hook), CHILD_OK);
	/* A network HSM or an uploading hook needs a socket: with [signer] network only. */
	network = 1;
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, open_socket), CHILD_ALLOWED);
	network = 0;
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, open_socket), CHILD_REFUSED);
	if (!SANITIZED)
		assert_sigsys(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, attach_parent));
}

/* ---- the trap: which call, and no way around it ---- */

static int
calls_mount(void)
{
	syscall(SYS_mount, NULL, NULL, NULL, 0UL, NULL); /* no role may; EFAULT if it could */
	return CHILD_ALLOWED;
}

/* The call its child noted, as the supervisor's log names it; "" if none. */
static const char *
noted_call(char *buf, size_t len)
{
	uint32_t arch;
	int nr;

	if (sandbox_trap_read(slot, last_child, &nr, &arch) != 0)
		return "";
	return sandbox_syscall_describe(arch, nr, buf, len);
}

static void
test_trap_notes_the_call(void **state)
{
	char buf[96], want[64];

	(void)state;
	snprintf(want, sizeof(want), "\"mount\" (%d)", SYS_mount);
	assert_sigsys(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, calls_mount));
	assert_string_equal(noted_call(buf, sizeof(buf)), want);
	assert_sigsys(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, calls_mount));
	assert_string_equal(noted_call(buf, sizeof(buf)), want);
	assert_sigsys(in_sandbox(SANDBOX_SUPERVISOR, SANDBOX_AUTO, calls_mount));
	assert_string_equal(noted_call(buf, sizeof(buf)), want);
	/* Another process's note is not this one's. */
	assert_int_not_equal(sandbox_trap_read(slot, last_child + 1, &(int){0}, &(uint32_t){0}), 0);
}

static void
noop_handler(int sig)
{
	(void)sig;
}

/* A taken-over process may not ignore SIGSYS or catch it with a handler of its own. */
static int
ignores_then_calls(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGSYS, &sa, NULL) == 0)
		return CHILD_ALLOWED;
	if (errno != EPERM)
		return CHILD_WRONG_ERRNO;
	sa.sa_handler = noop_handler;
	if (sigaction(SIGSYS, &sa, NULL) == 0 || signal(SIGSYS, SIG_IGN) != SIG_ERR)
		return CHILD_ALLOWED;
	if (sigaction(SIGSYS, NULL, &sa) != 0) /* asking is allowed (posix_spawn does) */
		return CHILD_REFUSED;
	return calls_mount();
}

/*
 * Nor by a signal number with bits above the int the kernel reads: the raw
 * call with SIGSYS | 1 << 32 would install noop_handler for SIGSYS had the
 * filter compared "not SIGSYS" (a NE rule); it must be trapped instead.
 */
static int
high_bits_sigaction(void)
{
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} ksa = {noop_handler, 0, NULL, 0};

	if (syscall(SYS_rt_sigaction, (unsigned long)SIGSYS | 1UL << 32, &ksa, NULL, 8) == 0)
		return CHILD_ALLOWED;
	return CHILD_REFUSED;
}

/* Blocking SIGSYS does not help either: the kernel delivers it with the default action. */
static int
blocks_then_calls(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return CHILD_REFUSED;
	return calls_mount();
}

static void
test_trap_cannot_be_escaped(void **state)
{
	char buf[96], want[64];

	(void)state;
	snprintf(want, sizeof(want), "\"mount\" (%d)", SYS_mount);
	for (enum sandbox_role r = SANDBOX_SERVER; r <= SANDBOX_SUPERVISOR; r++) {
		assert_sigsys(in_sandbox(r, SANDBOX_AUTO, ignores_then_calls));
		assert_string_equal(noted_call(buf, sizeof(buf)), want);
		assert_sigsys(in_sandbox(r, SANDBOX_AUTO, high_bits_sigaction));
		assert_sigsys(in_sandbox(r, SANDBOX_AUTO, blocks_then_calls));
	}
}

/* Run alone, the process says it on stderr, with the number. */
static void
test_trap_line_on_stderr(void **state)
{
	struct sandbox_paths p = {.dir = dir, .store = "lancre.db", .conf = conf};
	char line[256] = "", want[128];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sandbox_report r;
		struct err e;
		dup2(fds[1], STDERR_FILENO);
		sandbox_trap_report(NULL, "lancre sign");
		if (sandbox_enter(SANDBOX_SIGNER, SANDBOX_AUTO, &p, &r, &e) != 0)
			_exit(CHILD_ENTER_FAILED);
		_exit(calls_mount());
	}
	close(fds[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_sigsys(status);
	n = read(fds[0], line, sizeof(line) - 1);
	close(fds[0]);
	assert_true(n > 0);
	line[n] = '\0';
	snprintf(want, sizeof(want),
	    "lancre sign: killed by the sandbox: forbidden system call number %d\n", SYS_mount);
	assert_string_equal(line, want);
}

/* ---- the signer's network ([signer] network) ---- */

/* Every family but AF_UNIX fails with EACCES (not a kill); AF_UNIX works. */
static int
socket_families(void)
{
	static const int refused[] = {AF_INET, AF_INET6, AF_NETLINK, AF_PACKET};
	int fd;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		fd = socket(refused[i], SOCK_DGRAM, 0);
		if (fd >= 0)
			return CHILD_ALLOWED;
		if (errno != EACCES)
			return CHILD_WRONG_ERRNO;
	}
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return CHILD_REFUSED;
	close(fd);
	return CHILD_OK;
}

/* A listener and an unconnected TCP socket made before entry, for Landlock's rule. */
static int tcp_listener = -1, tcp_client = -1;
static struct sockaddr_in tcp_addr;

static int
connects_out(void)
{
	if (connect(tcp_client, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr)) == 0)
		return CHILD_ALLOWED;
	return errno == EACCES ? CHILD_REFUSED : CHILD_WRONG_ERRNO;
}

static void
test_signer_network(void **state)
{
	socklen_t len = sizeof(tcp_addr);

	(void)state;
	network = 0;
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, socket_families), CHILD_OK);
	assert_exit(in_sandbox(SANDBOX_SUPERVISOR, SANDBOX_AUTO, socket_families), CHILD_OK);
	network = 1;
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, socket_families), CHILD_ALLOWED);
	/* Landlock ABI 4: a TCP socket made before entry connects only with network = yes. */
	if (sandbox_landlock_abi() < 4) {
		network = 0;
		skip();
	}
	memset(&tcp_addr, 0, sizeof(tcp_addr));
	tcp_addr.sin_family = AF_INET;
	tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	tcp_listener = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(tcp_listener >= 0);
	assert_int_equal(bind(tcp_listener, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr)), 0);
	assert_int_equal(listen(tcp_listener, 4), 0);
	assert_int_equal(getsockname(tcp_listener, (struct sockaddr *)&tcp_addr, &len), 0);
	for (network = 0; network <= 1; network++) {
		tcp_client = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(tcp_client >= 0);
		assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, connects_out),
		    network ? CHILD_ALLOWED : CHILD_REFUSED);
		close(tcp_client);
	}
	network = 0;
	close(tcp_listener);
}

/* ---- a PostgreSQL store: stream sockets, and TCP connect to its port only ---- */

/* What libpq opens works; UDP, raw and other families still fail with EACCES. */
static int
db_socket_kinds(void)
{
	static const int streams[] = {AF_UNIX, AF_INET, AF_INET6};
	/* Family, type, protocol: SCTP streams would pass Landlock's TCP-only port rule. */
	static const int refused[][3] = {{AF_INET, SOCK_DGRAM, 0}, {AF_INET6, SOCK_DGRAM, 0},
	    {AF_INET, SOCK_RAW, 0}, {AF_PACKET, SOCK_RAW, 0}, {AF_NETLINK, SOCK_DGRAM, 0},
	    {0, SOCK_STREAM, 0}, {AF_INET, SOCK_STREAM, IPPROTO_SCTP}, {AF_INET6, SOCK_STREAM, IPPROTO_SCTP}};
	int fd;

	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		fd = socket(streams[i], SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return CHILD_REFUSED;
		close(fd);
	}
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		fd = socket(refused[i][0], refused[i][1], refused[i][2]);
		if (fd >= 0)
			return CHILD_ALLOWED;
		if (errno != EACCES)
			return CHILD_WRONG_ERRNO;
	}
	return CHILD_OK;
}

/* The server's: the database's streams only (anything else is its kill, tested above). */
static int
db_streams(void)
{
	static const int streams[] = {AF_UNIX, AF_INET, AF_INET6};

	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		int fd = socket(streams[i], SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return CHILD_REFUSED;
		close(fd);
	}
	return CHILD_OK;
}

static struct sockaddr_in other_addr; /* a listener on another port than the database's */

/* A new TCP socket connects to the database's port, and not to another. */
static int
connects_db_only(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	if (fd < 0)
		return CHILD_REFUSED;
	rc = connect(fd, (struct sockaddr *)&tcp_addr, sizeof(tcp_addr));
	close(fd);
	if (rc != 0)
		return CHILD_REFUSED;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	rc = connect(fd, (struct sockaddr *)&other_addr, sizeof(other_addr));
	close(fd);
	if (rc == 0)
		return CHILD_ALLOWED;
	return errno == EACCES ? CHILD_OK : CHILD_WRONG_ERRNO;
}

static int
loopback_listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)a, sizeof(*a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)a, &len), 0);
	return fd;
}

static void
test_db_store(void **state)
{
	int other;

	(void)state;
	db = 1;
	network = 0;
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, db_socket_kinds), CHILD_OK);
	assert_exit(in_sandbox(SANDBOX_SUPERVISOR, SANDBOX_AUTO, db_socket_kinds), CHILD_OK);
	assert_exit(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, db_streams), CHILD_OK);
	db = 0; /* without one, the signer's TCP socket is refused and the server's kills it */
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, db_streams), CHILD_REFUSED);
	assert_sigsys(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, db_streams));
	if (sandbox_landlock_abi() < 4)
		skip();
	tcp_listener = loopback_listener(&tcp_addr);
	other = loopback_listener(&other_addr);
	db_port = ntohs(tcp_addr.sin_port);
	db = 1;
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, connects_db_only), CHILD_OK);
	assert_exit(in_sandbox(SANDBOX_SERVER, SANDBOX_AUTO, connects_db_only), CHILD_OK);
	network = 1; /* [signer] network = yes: anywhere */
	assert_exit(in_sandbox(SANDBOX_SIGNER, SANDBOX_AUTO, connects_db_only), CHILD_ALLOWED);
	network = 0;
	db = 0;
	close(tcp_listener);
	close(other);
}

/* ---- modes and names ---- */

static void
test_off_applies_nothing(void **state)
{
	(void)state;
	assert_exit(in_sandbox(SANDBOX_SERVER, SANDBOX_OFF, exec_true), 0); /* /bin/true ran */
}

static void
test_modes(void **state)
{
	enum sandbox_mode m;
	char buf[64];

	(void)state;
	assert_int_equal(sandbox_mode_parse("auto", &m), 0);
	assert_int_equal(m, SANDBOX_AUTO);
	assert_int_equal(sandbox_mode_parse("required", &m), 0);
	assert_int_equal(m, SANDBOX_REQUIRED);
	assert_int_equal(sandbox_mode_parse("off", &m), 0);
	assert_int_equal(m, SANDBOX_OFF);
	assert_int_equal(sandbox_mode_parse("on", &m), -1);
	assert_string_equal(sandbox_mode_name(SANDBOX_REQUIRED), "required");
	setenv(SANDBOX_ENV, "off", 1);
	assert_int_equal(sandbox_mode_effective(SANDBOX_REQUIRED), SANDBOX_OFF);
	unsetenv(SANDBOX_ENV);
	assert_int_equal(sandbox_mode_effective(SANDBOX_REQUIRED), SANDBOX_REQUIRED);
	assert_string_equal(sandbox_syscall_name(SYS_openat, buf, sizeof(buf)), "openat");
	assert_string_equal(sandbox_syscall_name(-5, buf, sizeof(buf)), "syscall -5");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_server_reads_its_files),
	    cmocka_unit_test(test_server_never_opens_for_writing),
	    cmocka_unit_test(test_server_reads_nothing_outside),
	    cmocka_unit_test(test_server_no_exec_socket_ptrace_fork),
	    cmocka_unit_test(test_server_starts_threads),
	    cmocka_unit_test(test_threads_started_before_get_the_filter),
	    cmocka_unit_test(test_signer_writes_only_its_files),
	    cmocka_unit_test(test_signer_runs_the_hook),
	    cmocka_unit_test(test_signer_network),
	    cmocka_unit_test(test_db_store),
	    cmocka_unit_test(test_trap_notes_the_call),
	    cmocka_unit_test(test_trap_cannot_be_escaped),
	    cmocka_unit_test(test_trap_line_on_stderr),
	    cmocka_unit_test(test_off_applies_nothing),
	    cmocka_unit_test(test_modes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
