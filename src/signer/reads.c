/*
 * reads.c - the files the signer's keys make it read, and the check that
 * keeps an issuer added later within what its sandbox may read.
 *
 * The signer enters its sandbox once its keys are loaded, and Landlock then
 * lets it read only what the caller allowed: the data directory, system
 * files, [signer] read_dirs, and the directories of the files the keys of
 * start-up were read from (signer_key_files(): key and passphrase files,
 * PKCS#11 modules and PIN files).  An issuer added while it runs may name a
 * key elsewhere, whose read would fail with a bare "Permission denied".  So
 * once confined the signer asks the sandbox's own test first
 * (signer_confine_reads()), and such an issuer is left out with one line
 * naming the setting that would allow it; the others are signed for.
 */
#include "signer/signer_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* f, once: without Landlock the signer is never confined and reloads its issuers
 * every retry, so a list that grew with each reload would grow for ever. */
static int
remember(struct signer *sg, const struct key_file *f)
{
	for (size_t i = 0; i < sg->nkey_files; i++) {
		if (sg->key_files[i].exec == f->exec && strcmp(sg->key_files[i].path, f->path) == 0)
			return 0;
	}
	if (sg->nkey_files == sg->key_files_cap) {
		size_t cap = sg->key_files_cap ? 2 * sg->key_files_cap : 8;
		struct key_file *v = realloc(sg->key_files, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		sg->key_files = v;
		sg->key_files_cap = cap;
	}
	sg->key_files[sg->nkey_files++] = *f;
	return 0;
}

/* ref's files: remembered, or checked once confined. */
static int
check_ref(struct signer *sg, const char *ref, const char *pass_ref, struct err *why)
{
	struct key_file f[KEY_REF_FILES_MAX];
	struct err ignored;
	size_t n;

	/* A reference that names no file it can find: key_load() says what is wrong. */
	if (ref[0] == '\0' || key_ref_files(ref, pass_ref, sg->conf, sg->dir, f, &n, &ignored) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (sg->may_read == NULL) {
			if (remember(sg, &f[i]) != 0)
				return err_set(why, "out of memory");
		} else if (!sg->may_read(sg->may_read_arg, f[i].path, f[i].exec)) {
			return err_set(why, "%s is outside what the signer's sandbox may %s: add its "
					    "directory to [signer] read_dirs in lancre.conf and restart "
					    "the signer, or just restart it (it may read where the keys "
					    "it finds at start are)",
			    f[i].path, f[i].exec ? "load code from" : "read");
		}
	}
	return 0;
}

int
signer_reads_check(struct signer *sg, const struct store_issuer_keys *k, struct err *why)
{
	if (check_ref(sg, k->key_ref, k->key_pass_ref, why) != 0 ||
	    check_ref(sg, k->ocsp_key_ref, NULL, why) != 0)
		return -1;
	return 0;
}

size_t
signer_key_files(const struct signer *sg, const struct key_file **files)
{
	*files = sg->key_files;
	return sg->nkey_files;
}

void
signer_confine_reads(struct signer *sg, int (*may_read)(void *arg, const char *path, int exec),
    void *arg)
{
	sg->may_read = may_read;
	sg->may_read_arg = arg;
}

void
signer_reads_free(struct signer *sg)
{
	free(sg->key_files);
	sg->key_files = NULL;
	sg->nkey_files = sg->key_files_cap = 0;
}
