/*
 * landlock.c - the files each role may touch, with Landlock (Linux 5.13+),
 * through the raw system calls (no library: three calls and two structs).
 *
 * A ruleset "handles" every file right the kernel's ABI knows: what no rule
 * grants is denied.  Rules hang on inodes opened now (O_PATH), so a file
 * created, or replaced by rename, after entry is out of reach; a rule on a
 * directory covers everything beneath it.
 *
 *   server  reads the store file and its -wal and -shm (the WAL index), and
 *           lancre.conf and DIR/about/ (the about page's templates), read again on SIGHUP and reloads
 *           (see server_rules() for when that is the whole data directory).
 *           Nothing else: no writes anywhere, no execution.  Libraries,
 *           locale and zone files, openssl.cnf are loaded before entry.
 *   signer  reads the data directory; the system's files it and its [crl]
 *           hook need (signer_system[], each with why); the directories of
 *           the key, passphrase and PIN files its issuers named at start and
 *           [signer] read_dirs (paths->read_dirs); the directories of its
 *           PKCS#11 modules and of the hook's program, also executed; a
 *           SoftHSM2 module's configuration.  Nothing else: a key file put
 *           elsewhere later is refused, by signer/reads.c with a reason
 *           naming the setting (sandbox_signer_may_read() is the same list
 *           checked by path).  It writes only: the store file, -wal and
 *           -shm; public/ (what it publishes) and private/ (its key
 *           references and PIN files); /dev/null (the hook's redirections);
 *           and the token directory of a SoftHSM2 module.  A hook inherits
 *           all of this.
 *
 *   admin   reads and writes the store file, -wal and -shm; nothing else
 *           (its listener is bound before, its settings read before).
 *
 * With ABI 4 the network is narrowed too: no role may bind a TCP port
 * (the server's are bound before entry); the server may not connect
 * anywhere, nor may the signer unless [signer] network = yes (a network HSM,
 * a hook that uploads; seccomp already refuses it a network socket, this is
 * the second lock) -- but to a PostgreSQL store's ports (paths->db_ports),
 * which both may connect to, and its password file, which both may read:
 * libpq reads it again when it reconnects.  With ABI 6
 * neither may reach an abstract unix socket outside its domain, nor signal
 * a process outside it (the supervisor, the other child).
 */
#include "sandbox/sandbox_int.h"
#include "server/about.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Rights and fields newer than the installed <linux/landlock.h> (Debian 12: ABI 2). */
#define LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)  /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

#define LL_FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define LL_FS_FILE                                                                          \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                       \
	    LANDLOCK_ACCESS_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)
#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE_FILE (LANDLOCK_ACCESS_FS_WRITE_FILE | LL_FS_TRUNCATE)

/* struct landlock_net_port_attr (ABI 4), and its rule type. */
#define LL_RULE_NET_PORT 2
struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

/* struct landlock_ruleset_attr as of ABI 6, whatever the header says. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define LL_READ_EXEC (LL_READ | LANDLOCK_ACCESS_FS_EXECUTE)

/* What every signer reads outside the data directory, and why; missing ones get no rule. */
static const struct {
	const char *path;
	uint64_t access;
} signer_system[] = {
    {"/usr", LL_READ_EXEC},   /* libraries, the hook's programs, zoneinfo, locales, p11-kit */
    {"/bin", LL_READ_EXEC},   /* the same where /usr is not merged */
    {"/sbin", LL_READ_EXEC},
    {"/lib", LL_READ_EXEC},
    {"/lib64", LL_READ_EXEC},
    {"/etc/ld.so.cache", LANDLOCK_ACCESS_FS_READ_FILE}, /* the loader: hook programs, modules */
    {"/etc/ssl", LL_READ},            /* CA certificates, openssl.cnf: a hook's TLS (curl) */
    {"/etc/pki", LL_READ},            /* the same on Red Hat systems */
    {"/etc/ca-certificates", LL_READ},
    {"/etc/localtime", LANDLOCK_ACCESS_FS_READ_FILE}, /* local time for the hook's programs */
    {"/etc/passwd", LANDLOCK_ACCESS_FS_READ_FILE},    /* user and group names (ls -l, id) */
    {"/etc/group", LANDLOCK_ACCESS_FS_READ_FILE},
    {"/etc/nsswitch.conf", LANDLOCK_ACCESS_FS_READ_FILE}, /* how glibc looks those up */
    {"/etc/hosts", LANDLOCK_ACCESS_FS_READ_FILE},   /* name resolution: an uploading hook, */
    {"/etc/resolv.conf", LANDLOCK_ACCESS_FS_READ_FILE}, /* a network HSM ([signer] network) */
    {"/etc/host.conf", LANDLOCK_ACCESS_FS_READ_FILE},
    {"/etc/gai.conf", LANDLOCK_ACCESS_FS_READ_FILE},
    {"/etc/services", LANDLOCK_ACCESS_FS_READ_FILE},
    {"/etc/pkcs11", LL_READ},        /* p11-kit's module configuration */
    {"/dev/urandom", LANDLOCK_ACCESS_FS_READ_FILE}, /* randomness for the hook's programs */
    {"/dev/random", LANDLOCK_ACCESS_FS_READ_FILE},
    {"/dev/zero", LANDLOCK_ACCESS_FS_READ_FILE},
    {"/sys/devices/system/cpu", LL_READ}, /* the CPU count (glibc's malloc arenas) */
    /* Files only, no listing: another signer's start time (/proc/PID/stat), whether a
     * lease holder of this host is gone (signer/holder.c). */
    {"/proc", LANDLOCK_ACCESS_FS_READ_FILE},
};

/* The SoftHSM2 configuration key naming its token directory. */
#define LL_SOFTHSM_TOKENDIR "directories.tokendir"
#define LL_SOFTHSM_CONF "/etc/softhsm/softhsm2.conf"

struct ll {
	int fd;          /* the ruleset */
	uint64_t fs;     /* the file rights it handles */
	int net_connect; /* it handles TCP connect: allowed only where a rule says */
	struct err *e;
};

int
sandbox_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v > 0 ? (int)v : 0; /* ENOSYS: no Landlock; EOPNOTSUPP: disabled at boot */
}

/* Every file right ABI abi knows. */
static uint64_t
fs_rights(int abi)
{
	uint64_t r = LL_FS_ABI1;

	if (abi >= 2)
		r |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

/*
 * Grant access beneath path (or to the file path).  A path that does not
 * exist gets no rule; rights a plain file cannot have are dropped for one.
 */
static int
ll_allow(struct ll *l, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int fd, rc;

	if (path == NULL || path[0] == '\0')
		return 0;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : err_set(l->e, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		access &= LL_FS_FILE;
	pb.allowed_access = access & l->fs;
	pb.parent_fd = fd;
	rc = pb.allowed_access == 0 ? 0
				    : (int)syscall(SYS_landlock_add_rule, l->fd, LANDLOCK_RULE_PATH_BENEATH,
					  &pb, 0);
	close(fd);
	if (rc != 0)
		return err_set(l->e, "cannot add a rule for %s: %s", path, strerror(errno));
	return 0;
}

/* Grant access to DIR/NAME SUFFIX. */
static int
ll_allow_in(struct ll *l, const char *dir, const char *name, const char *suffix, uint64_t access)
{
	char path[PATH_MAX];
	int n;

	if (dir == NULL || name == NULL || name[0] == '\0')
		return 0;
	n = snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
	if (n < 0 || (size_t)n >= sizeof(path))
		return err_set(l->e, "%s/%s%s: path too long", dir, name, suffix);
	return ll_allow(l, path, access);
}

/* The store file and the two files SQLite keeps beside it in WAL mode. */
static int
ll_allow_store(struct ll *l, const struct sandbox_paths *p, uint64_t access)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (ll_allow_in(l, p->dir, p->store, suffixes[i], access) != 0)
			return -1;
	}
	return 0;
}

/*
 * A PostgreSQL store: its password file (a file this user cannot even
 * reach gets no rule: libpq could not read it either), and TCP connect to
 * its ports when the ruleset handles TCP connect (net: whether it does).
 */
static int
ll_allow_db(struct ll *l, const struct sandbox_paths *p, int net)
{
	if (!p->db_sockets)
		return 0;
	if (p->db_passfile != NULL && p->db_passfile[0] != '\0' &&
	    access(p->db_passfile, F_OK) == 0 &&
	    ll_allow(l, p->db_passfile, LANDLOCK_ACCESS_FS_READ_FILE) != 0)
		return -1;
	for (int i = 0; net && i < p->db_nports; i++) {
		struct ll_net_port_attr np = {.allowed_access = LL_NET_CONNECT_TCP,
		    .port = p->db_ports[i]};
		if (syscall(SYS_landlock_add_rule, l->fd, LL_RULE_NET_PORT, &np, 0) != 0)
			return err_set(l->e, "cannot allow TCP connect to port %u: %s",
			    (unsigned)p->db_ports[i], strerror(errno));
	}
	return 0;
}

/* Whether one of p's PKCS#11 modules is SoftHSM2 (which keeps its tokens in files). */
static int
uses_softhsm(const struct sandbox_paths *p)
{
	if (p->pkcs11_module != NULL && strstr(p->pkcs11_module, "softhsm") != NULL)
		return 1;
	for (size_t i = 0; p->modules != NULL && p->modules[i] != NULL; i++) {
		if (strstr(p->modules[i], "softhsm") != NULL)
			return 1;
	}
	return 0;
}

/* SoftHSM2's configuration file: SOFTHSM2_CONF, else its default. */
static const char *
softhsm_conf(void)
{
	const char *conf = getenv("SOFTHSM2_CONF");

	return conf != NULL && conf[0] != '\0' ? conf : LL_SOFTHSM_CONF;
}

/*
 * The token directory of p's SoftHSM2 module (its configuration file's
 * directories.tokendir), into out; "" when none is SoftHSM2 or it says none.
 */
static void
softhsm_tokendir(const struct sandbox_paths *p, char *out, size_t len)
{
	char line[PATH_MAX + 64];
	FILE *f;

	out[0] = '\0';
	if (!uses_softhsm(p))
		return;
	f = fopen(softhsm_conf(), "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s = line, *v;
		while (*s == ' ' || *s == '\t')
			s++;
		if (strncmp(s, LL_SOFTHSM_TOKENDIR, strlen(LL_SOFTHSM_TOKENDIR)) != 0 ||
		    (v = strchr(s, '=')) == NULL)
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		v[strcspn(v, " \t\r\n")] = '\0';
		snprintf(out, len, "%s", v);
	}
	fclose(f);
}

/*
 * For the sanitizers' runtime at exit: /proc (LeakSanitizer reads the
 * threads' maps) and the suppressions file LSAN_OPTIONS names, read then.
 */
static int
ll_allow_sanitizer(struct ll *l)
{
#if defined(__SANITIZE_ADDRESS__)
	const char *opts = getenv("LSAN_OPTIONS"), *s;
	char path[PATH_MAX];

	if (opts != NULL && (s = strstr(opts, "suppressions=")) != NULL) {
		s += strlen("suppressions=");
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(s, ":"), s);
		if (ll_allow(l, path, LANDLOCK_ACCESS_FS_READ_FILE) != 0)
			return -1;
	}
	return ll_allow(l, "/proc", LL_READ);
#else
	(void)l;
	return 0;
#endif
}

/*
 * Whether the server runs as the data directory's owner (one user for every
 * process): then Landlock is all that keeps private/ from it.
 */
static int
server_owns_dir(const char *dir)
{
	struct stat st;

	return dir != NULL && stat(dir, &st) == 0 && geteuid() != 0 && st.st_uid == geteuid();
}

/*
 * Run as another user than the data directory's owner (started as root),
 * the server may read beneath the directory: private/ is closed to it by
 * its owner and mode (lancre-signer, 0700), and lancre.conf or an about page
 * replaced by an editor (a new file) is still read on SIGHUP.  Run as the
 * owner, only the files present at entry: a file replaced later is out of
 * reach until a restart, the price of keeping private/ away.
 */
static int
server_rules(struct ll *l, const struct sandbox_paths *p)
{
	if (ll_allow_db(l, p, l->net_connect) != 0)
		return -1;
	if (!server_owns_dir(p->dir))
		return ll_allow(l, p->dir, LL_READ) != 0 ? -1 : ll_allow_sanitizer(l);
	if (ll_allow_store(l, p, LANDLOCK_ACCESS_FS_READ_FILE) != 0 ||
	    ll_allow(l, p->conf, LANDLOCK_ACCESS_FS_READ_FILE) != 0)
		return -1;
	/* The about page's templates: the directory, so a language added later is read too. */
	if (ll_allow_in(l, p->dir, ABOUT_DIR, "", LL_READ) != 0)
		return -1;
	return ll_allow_sanitizer(l);
}

/*
 * The admin process's ?wait=served asks the public listener what it serves:
 * TCP connect to that port, and no other (the supervisor's ruleset, which
 * its children start under, gets the same rule).
 */
static int
ll_allow_public(struct ll *l, const struct sandbox_paths *p)
{
	struct ll_net_port_attr np = {.allowed_access = LL_NET_CONNECT_TCP, .port = p->public_port};

	if (!l->net_connect || p->public_port == 0)
		return 0;
	if (syscall(SYS_landlock_add_rule, l->fd, LL_RULE_NET_PORT, &np, 0) != 0)
		return err_set(l->e, "cannot allow TCP connect to port %u: %s",
		    (unsigned)p->public_port, strerror(errno));
	return 0;
}

/* The admin process: its store (a SQLite file, or a PostgreSQL server's ports). */
static int
admin_rules(struct ll *l, const struct sandbox_paths *p)
{
	if (ll_allow_db(l, p, l->net_connect) != 0 ||
	    (!p->db_sockets && ll_allow_store(l, p, LL_READ | LL_WRITE_FILE) != 0))
		return -1;
	if (ll_allow_public(l, p) != 0)
		return -1;
	return ll_allow_sanitizer(l);
}

/* Called for each of the signer's read rules: path (may be relative), its rights. */
typedef int (*ll_rule_fn)(void *arg, const char *path, uint64_t access);

/* dir_of's directory into buf ("." for a bare name), for a rule on it. */
static const char *
dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
	return buf;
}

/*
 * Every read rule of the signer, to fn: one list for Landlock's rules and
 * for sandbox_signer_may_read()'s check of a path.
 */
static int
signer_reads(const struct sandbox_paths *p, ll_rule_fn fn, void *arg)
{
	char dir[PATH_MAX];

	for (size_t i = 0; i < sizeof(signer_system) / sizeof(signer_system[0]); i++) {
		if (fn(arg, signer_system[i].path, signer_system[i].access) != 0)
			return -1;
	}
	/* The data directory: lancre.conf (SIGHUP), keys/ and private/ (keys, PIN files). */
	if (fn(arg, p->dir, LL_READ) != 0)
		return -1;
	for (size_t i = 0; p->read_dirs != NULL && p->read_dirs[i] != NULL; i++) {
		if (fn(arg, p->read_dirs[i], LL_READ) != 0)
			return -1;
	}
	/* A module is loaded again when its token comes back (signer/pkcs11.c).  A bare
	 * name ("p11-kit-proxy.so") is the loader's to find in /usr or /lib, allowed above:
	 * its "." would be wherever lancre was started, "/" under systemd. */
	if (p->pkcs11_module != NULL && strchr(p->pkcs11_module, '/') != NULL &&
	    fn(arg, dir_of(p->pkcs11_module, dir, sizeof(dir)), LL_READ_EXEC) != 0)
		return -1;
	for (size_t i = 0; p->modules != NULL && p->modules[i] != NULL; i++) {
		if (fn(arg, dir_of(p->modules[i], dir, sizeof(dir)), LL_READ_EXEC) != 0)
			return -1;
	}
	/* The hook's program, wherever the operator put it (a bare name is found in /usr). */
	if (p->hook != NULL && strchr(p->hook, '/') != NULL &&
	    fn(arg, dir_of(p->hook, dir, sizeof(dir)), LL_READ_EXEC) != 0)
		return -1;
	/* SoftHSM2 reads its configuration at each C_Initialize (a token that came back). */
	if (uses_softhsm(p) && fn(arg, softhsm_conf(), LANDLOCK_ACCESS_FS_READ_FILE) != 0)
		return -1;
	return 0;
}

static int
ll_rule(void *arg, const char *path, uint64_t access)
{
	return ll_allow(arg, path, access);
}

static int
signer_rules(struct ll *l, const struct sandbox_paths *p)
{
	char tokendir[PATH_MAX];

	softhsm_tokendir(p, tokendir, sizeof(tokendir));
	if (signer_reads(p, ll_rule, l) != 0 ||
	    ll_allow_store(l, p, LL_READ | LL_WRITE_FILE) != 0 ||
	    ll_allow_in(l, p->dir, "public", "", l->fs) != 0 ||
	    ll_allow_in(l, p->dir, "private", "", l->fs) != 0 ||
	    ll_allow(l, "/dev/null", LL_READ | LL_WRITE_FILE) != 0 ||
	    ll_allow(l, tokendir, l->fs) != 0 || ll_allow_db(l, p, l->net_connect) != 0 ||
	    ll_allow_public(l, p) != 0)
		return -1;
	return ll_allow_sanitizer(l);
}

/* sandbox_signer_may_read()'s question: is real (resolved) beneath a rule with the rights? */
struct may_read {
	const char *real;
	uint64_t need;
	int yes;
};

static int
may_read_rule(void *arg, const char *path, uint64_t access)
{
	struct may_read *m = arg;
	char real[PATH_MAX];
	size_t n;

	if ((access & m->need) != m->need || path == NULL || path[0] == '\0' ||
	    realpath(path, real) == NULL)
		return 0;
	n = strlen(real);
	if (strcmp(real, "/") == 0 ||
	    (strncmp(m->real, real, n) == 0 && (m->real[n] == '\0' || m->real[n] == '/')))
		m->yes = 1;
	return 0;
}

int
sandbox_signer_may_read(const struct sandbox_paths *paths, const char *path, int exec)
{
	char real[PATH_MAX];
	struct may_read m = {.real = real, .need = LANDLOCK_ACCESS_FS_READ_FILE |
						  (exec ? LANDLOCK_ACCESS_FS_EXECUTE : 0)};

	/* A file that is not there yet is judged by where it would be. */
	if (realpath(path, real) == NULL) {
		char dir[PATH_MAX], rdir[PATH_MAX];
		const char *base = strrchr(path, '/');
		if (realpath(dir_of(path, dir, sizeof(dir)), rdir) == NULL ||
		    snprintf(real, sizeof(real), "%s/%s", rdir, base != NULL ? base + 1 : path) >=
			(int)sizeof(real))
			return 0;
	}
	signer_reads(paths, may_read_rule, &m);
	return m.yes;
}

int
sandbox_landlock_enter(enum sandbox_role role, const struct sandbox_paths *p, int abi,
    struct err *e)
{
	struct ll_ruleset_attr attr = {.handled_access_fs = fs_rights(abi)};
	size_t size = abi >= 6 ? sizeof(attr) : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
	struct ll l = {.fs = attr.handled_access_fs, .e = e};
	int rc;

	/* The server connects nowhere, the signer with [signer] network only; both to a
	 * PostgreSQL store's ports (ll_allow_db). */
	if (abi >= 4) {
		l.net_connect = role == SANDBOX_SERVER || role == SANDBOX_ADMIN || !p->network;
		attr.handled_access_net = LL_NET_BIND_TCP | (l.net_connect ? LL_NET_CONNECT_TCP : 0);
	}
	if (abi >= 6) /* neither signals anyone: the supervisor does */
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
	l.fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (l.fd < 0)
		return err_set(e, "cannot create a ruleset: %s", strerror(errno));
	rc = role == SANDBOX_SERVER  ? server_rules(&l, p)
	    : role == SANDBOX_ADMIN ? admin_rules(&l, p)
				    : signer_rules(&l, p);
	if (rc == 0 && syscall(SYS_landlock_restrict_self, l.fd, 0) != 0)
		rc = err_set(e, "cannot enforce the ruleset: %s", strerror(errno));
	close(l.fd);
	return rc;
}
