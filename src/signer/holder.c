/*
 * holder.c - a signer's name as a lease holder, and whether a holder named
 * so is a process of this host that is gone (lease.c frees its units at
 * once instead of after its lease).
 *
 * The name is "NAME:HOSTID:PID:START:RANDOM".  NAME is the host name
 * (shortened; for people reading `lancre status`, never compared).
 * HOSTID is what tells this host's processes from others: the kernel's
 * boot id (/proc/sys/kernel/random/boot_id, new at each boot, so a cloned
 * VM differs) and the inode of the PID namespace (readlink
 * /proc/self/ns/pid: containers sharing a host's network, and so its name,
 * have their own), both read at start, before the sandbox.  Only a holder
 * with this HOSTID has a PID that means anything here.  START is the
 * process's start time (/proc/PID/stat field 22, clock ticks since boot):
 * a PID recycled by another process is not the holder.
 *
 * Dead for certain: no /proc/PID, or a start time that differs.  When
 * /proc cannot be read (an old sandbox), kill(pid, 0) answering ESRCH.
 * Anything else (another host, an older holder's name, a doubt) is alive:
 * its units only wait for its lease to expire.
 */
#include "signer/signer_int.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#define HOLDER_NAME_MAX 24 /* characters of the host name kept in a holder's name */
#define HOLDER_RANDOM 8    /* random bytes in a holder's name */
#define HOLDER_STAT_MAX 1024 /* bytes of /proc/PID/stat read: field 22 is well within */

/* The first line of path, without its end of line, into out; 0, or -1. */
static int
read_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (f == NULL)
		return -1;
	ok = fgets(out, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

void
signer_holder_hostid(char *out, size_t len)
{
	char boot[64] = "", ns[64] = "", hex[64];
	ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof(ns) - 1);
	const char *ino;
	size_t j = 0;

	if (read_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot)) != 0)
		snprintf(boot, sizeof(boot), "noboot");
	for (size_t i = 0; boot[i] != '\0' && j + 1 < sizeof(hex); i++)
		if (boot[i] != '-' && boot[i] != ':')
			hex[j++] = boot[i];
	hex[j] = '\0';
	ns[n > 0 ? n : 0] = '\0';
	ino = ns + strcspn(ns, "0123456789"); /* "pid:[4026531836]": its digits */
	snprintf(out, len, "%s.%.*s", hex, (int)strspn(ino, "0123456789"), ino);
}

int
signer_holder_start(long pid, unsigned long long *start)
{
	char path[64], buf[HOLDER_STAT_MAX], *p, *end;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return errno == ENOENT || errno == ESRCH ? 0 : -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ...": comm may hold anything, so count from its last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (int field = 2; field < 22; field++) {
		if ((p = strchr(p + 1, ' ')) == NULL)
			return -1;
	}
	errno = 0;
	*start = strtoull(p + 1, &end, 10);
	return end == p + 1 || errno != 0 ? -1 : 1;
}

void
signer_holder_name(char *out, size_t len, const char *hostid)
{
	unsigned char r[HOLDER_RANDOM] = {0};
	char host[HOLDER_NAME_MAX + 1] = "", hex[2 * HOLDER_RANDOM + 1];
	unsigned long long start = 0;
	long pid = (long)getpid();

	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	host[strcspn(host, ":")] = '\0';
	if (signer_holder_start(pid, &start) != 1)
		start = 0; /* no /proc: never judged by its start time (holder_dead) */
	if (RAND_bytes(r, sizeof(r)) != 1) /* the pid and start still tell it apart */
		memset(r, 0, sizeof(r));
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(hex + 2 * i, 3, "%02x", r[i]);
	snprintf(out, len, "%s:%s:%ld:%llu:%s", host, hostid, pid, start, hex);
}

/* The colon before end in holder (after holder), or NULL. */
static const char *
colon_before(const char *holder, const char *end)
{
	while (end > holder) {
		end--;
		if (*end == ':')
			return end;
	}
	return NULL;
}

int
signer_holder_dead(const char *hostid, const char *holder)
{
	const char *c4 = strrchr(holder, ':'), *c3, *c2, *c1;
	size_t hlen = strlen(hostid);
	unsigned long long start, now;
	char *end;
	long pid;
	int rc;

	if (c4 == NULL || (c3 = colon_before(holder, c4)) == NULL ||
	    (c2 = colon_before(holder, c3)) == NULL || (c1 = colon_before(holder, c2)) == NULL)
		return 0; /* not a name of this kind: an older signer's, say */
	if ((size_t)(c2 - c1 - 1) != hlen || strncmp(c1 + 1, hostid, hlen) != 0)
		return 0; /* another host, or another PID namespace: its pids are not ours */
	errno = 0;
	pid = strtol(c2 + 1, &end, 10);
	if (end != c3 || errno != 0 || pid <= 0)
		return 0;
	start = strtoull(c3 + 1, &end, 10);
	if (end != c4 || errno != 0)
		return 0;
	if ((rc = signer_holder_start(pid, &now)) == 0)
		return 1; /* no such process */
	if (rc > 0)
		return start != 0 && now != start; /* the pid is another process's now */
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH; /* /proc out of reach */
}
