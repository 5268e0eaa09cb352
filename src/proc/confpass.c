/*
 * confpass.c - see confpass.h.
 *
 * The memory file's layout, in native byte order (both ends are the same
 * program on the same machine):
 *
 *   0   begin   the put's sequence number, written first
 *   8   end     the same, written last
 *   16  len     the text's length
 *   24  failed  1: the text is why the file could not be read
 *   32  text
 *
 * A reader reads end, then the rest, then begin: equal, nothing was written
 * in between (a put that started would have changed begin first).  end 0:
 * nothing was ever put.
 */
#include "proc/confpass.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONFPASS_BEGIN 0
#define CONFPASS_END 8
#define CONFPASS_LEN 16
#define CONFPASS_TEXT 32
#define CONFPASS_TRIES 100 /* a reader meeting a put tries again, 1 ms apart */

int
proc_confpass_new(struct err *e)
{
	int fd = memfd_create("lancre.conf", MFD_CLOEXEC);

	if (fd < 0)
		return err_set(e, "cannot make a memory file for lancre.conf: %s", strerror(errno));
	return fd;
}

static int
put_at(int fd, const void *buf, size_t n, off_t at)
{
	return pwrite(fd, buf, n, at) == (ssize_t)n ? 0 : -1;
}

static int
get_at(int fd, void *buf, size_t n, off_t at)
{
	return pread(fd, buf, n, at) == (ssize_t)n ? 0 : -1;
}

/* path's bytes into buf (PROC_CONF_MAX), *len of them; else why into buf, and -1. */
static int
read_file(const char *path, char *buf, size_t *len)
{
	/* O_NONBLOCK and a regular file only: a FIFO put there would otherwise hang the
	 * supervisor, which then reaps nothing and never sees SIGTERM. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), bad;
	ssize_t r = 0;
	struct stat st;

	*len = 0;
	if (fd < 0) {
		*len = (size_t)snprintf(buf, PROC_CONF_MAX, "cannot open %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*len = (size_t)snprintf(buf, PROC_CONF_MAX, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	while (*len <= PROC_CONF_MAX && (r = read(fd, buf + *len, PROC_CONF_MAX + 1 - *len)) > 0)
		*len += (size_t)r;
	bad = r < 0 || *len > PROC_CONF_MAX;
	if (r < 0)
		*len = (size_t)snprintf(buf, PROC_CONF_MAX, "cannot read %s: %s", path,
		    strerror(errno));
	else if (bad)
		*len = (size_t)snprintf(buf, PROC_CONF_MAX, "%s: larger than %d bytes", path,
		    PROC_CONF_MAX);
	close(fd);
	return bad ? -1 : 0;
}

int
proc_confpass_put(int fd, const char *path, struct err *e)
{
	char *buf = malloc(PROC_CONF_MAX + 1);
	uint64_t seq = 0, meta[2];
	size_t len;
	int rc;

	if (buf == NULL)
		return err_set(e, "out of memory");
	meta[1] = read_file(path, buf, &len) != 0;
	meta[0] = len;
	if (get_at(fd, &seq, sizeof(seq), CONFPASS_BEGIN) != 0)
		seq = 0; /* empty: the first put */
	seq++;
	rc = put_at(fd, &seq, sizeof(seq), CONFPASS_BEGIN) != 0 ||
	     put_at(fd, buf, len, CONFPASS_TEXT) != 0 ||
	     put_at(fd, meta, sizeof(meta), CONFPASS_LEN) != 0 ||
	     put_at(fd, &seq, sizeof(seq), CONFPASS_END) != 0;
	free(buf);
	if (rc != 0)
		return err_set(e, "cannot pass lancre.conf on: %s", strerror(errno));
	return 0;
}

/* One try: 0 read whole, 1 nothing put, 2 a put met (try again), -1 fd unreadable. */
static int
get_once(int fd, char **text, size_t *len, uint64_t *failed)
{
	uint64_t begin, end, meta[2];

	if (get_at(fd, &end, sizeof(end), CONFPASS_END) != 0)
		return 1; /* shorter than a header: nothing put */
	if (end == 0)
		return 1;
	if (get_at(fd, meta, sizeof(meta), CONFPASS_LEN) != 0 || meta[0] > PROC_CONF_MAX)
		return 2;
	*text = malloc(meta[0] + 1);
	if (*text == NULL)
		return -1;
	if (get_at(fd, *text, meta[0], CONFPASS_TEXT) != 0 ||
	    get_at(fd, &begin, sizeof(begin), CONFPASS_BEGIN) != 0 || begin != end) {
		free(*text);
		*text = NULL;
		return 2;
	}
	(*text)[meta[0]] = '\0';
	*len = meta[0];
	*failed = meta[1];
	return 0;
}

int
proc_confpass_get(int fd, char **text, size_t *len, struct err *e)
{
	struct timespec ms = {0, 1000000L};
	uint64_t failed = 0;
	int rc = 2;

	*text = NULL;
	for (int i = 0; i < CONFPASS_TRIES && rc == 2; i++) {
		if ((rc = get_once(fd, text, len, &failed)) == 2)
			nanosleep(&ms, NULL);
	}
	if (rc == 1)
		return 1;
	if (rc != 0)
		return err_set(e, "cannot read lancre.conf as the supervisor passed it");
	if (failed) {
		err_set(e, "%s", *text);
		free(*text);
		*text = NULL;
		return -1;
	}
	return 0;
}
