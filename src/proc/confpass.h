/*
 * confpass.h - lancre.conf handed from `lancre run`'s supervisor to its
 * server on SIGHUP.
 *
 * Run by one user for everything, the server's Landlock rule names the
 * files that exist when it starts (a rule on the whole data directory would
 * open private/, the key references, to it): lancre.conf replaced by an
 * editor (a new file renamed over the old one) is a new inode out of its
 * reach.  The supervisor has no Landlock rule and no other input, so it
 * reads the file on SIGHUP, before passing the signal on, and copies its
 * bytes, unparsed, into a memory file (memfd) made before any child
 * starts; the server, which inherits the descriptor, reads them back with
 * pread() (a call its seccomp filter allows) and parses them as it would
 * parse the file: one parser, the server's messages unchanged.  What could
 * not be read (a missing file, a denied one) is passed as its message.
 *
 * A SIGHUP that comes while the server still reads the last one must not
 * give it half of each: the memory file starts with a sequence number
 * written before the text and again after it (a seqlock), and the reader
 * tries again when the two differ.
 */
#ifndef LANCRE_PROC_CONFPASS_H
#define LANCRE_PROC_CONFPASS_H

#include <stddef.h>

#include "util/err.h"

#define PROC_CONF_MAX (256 * 1024) /* a larger lancre.conf is refused, not passed */

/* A new, empty memory file (close-on-exec), or -1 with e set. */
int proc_confpass_new(struct err *e);

/*
 * The supervisor, on SIGHUP: read path and put its bytes into fd, or, if it
 * cannot be read, why (the reader gets that as its error).  -1 with e set
 * when fd itself cannot be written.
 */
int proc_confpass_put(int fd, const char *path, struct err *e);

/*
 * The server: the text last put, malloc'd into *text (*len bytes, plus a
 * NUL), to be freed by the caller.  0: *text set; 1: nothing put yet; -1:
 * what was put is an error (e says it, as put() met it), or fd cannot be read.
 */
int proc_confpass_get(int fd, char **text, size_t *len, struct err *e);

#endif
