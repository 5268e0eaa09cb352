/*
 * about_tpl.c - see about_tpl.h.
 *
 * The copy is cut in place: each header line's end becomes a NUL, so a value
 * is a pointer into the copy and the template owns one allocation.
 */
#include "server/about_tpl.h"

#include <stdlib.h>
#include <string.h>

static const char *const key_names[ABOUT_NKEYS] = {
    [ABOUT_K_NAME] = "name",
    [ABOUT_K_TITLE] = "title",
    [ABOUT_K_LANGUAGES] = "languages",
    [ABOUT_K_DIRECTORY] = "directory",
    [ABOUT_K_ISSUER] = "issuer",
    [ABOUT_K_CERTIFICATE] = "certificate",
    [ABOUT_K_CRL] = "crl",
    [ABOUT_K_SIGNED] = "signed",
    [ABOUT_K_AGE] = "age",
    [ABOUT_K_NEXT_UPDATE] = "next_update",
    [ABOUT_K_SIZE] = "size",
    [ABOUT_K_FULL_CRL] = "full_crl",
    [ABOUT_K_SHARD] = "shard",
    [ABOUT_K_DELTA] = "delta",
    [ABOUT_K_NO_CRL] = "no_crl",
    [ABOUT_K_CCADB] = "ccadb",
    [ABOUT_K_AS_OF] = "as_of",
    [ABOUT_K_BYTES] = "bytes",
    [ABOUT_K_MINUTES] = "minutes",
    [ABOUT_K_HOURS] = "hours",
    [ABOUT_K_DAYS] = "days",
    [ABOUT_K_UNNAMED_CA] = "unnamed_ca",
    [ABOUT_K_NO_CONTACT] = "no_contact",
};

const char *
about_key_name(enum about_key k)
{
	return k < ABOUT_NKEYS ? key_names[k] : "";
}

/* "key: value" (line, NUL-terminated, cut in place): sets t->val[key]; other lines are ignored. */
static void
header_line(struct about_tpl *t, char *line)
{
	char *colon = strchr(line, ':'), *v;

	if (line[0] == '#' || colon == NULL)
		return;
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	for (int k = 0; k < ABOUT_NKEYS; k++) {
		if (strcmp(line, key_names[k]) == 0) {
			t->val[k] = v;
			return;
		}
	}
}

/* The "---" line that ends the header, or NULL. */
static char *
find_rule(char *s)
{
	for (char *p = s; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, "---", 3) == 0 && (p[3] == '\n' || (p[3] == '\r' && p[4] == '\n') || p[3] == '\0'))
			return p;
	}
	return NULL;
}

int
about_tpl_parse(struct about_tpl *t, const char *tag, const char *text, size_t len, struct err *e)
{
	char *rule, *line, *next;

	memset(t, 0, sizeof(*t));
	if (!about_lang_tag_ok(tag, strlen(tag)))
		return err_set(e, "'%s' is not a language tag", tag);
	if (memchr(text, '\0', len) != NULL)
		return err_set(e, "a NUL byte in the text");
	memcpy(t->tag, tag, strlen(tag) + 1);
	t->text = malloc(len + 1);
	if (t->text == NULL)
		return err_set(e, "out of memory");
	memcpy(t->text, text, len);
	t->text[len] = '\0';
	rule = find_rule(t->text);
	if (rule == NULL) {
		t->body = t->text;
		return 0;
	}
	t->body = strchr(rule, '\n') != NULL ? strchr(rule, '\n') + 1 : rule + 3;
	*rule = '\0';
	for (line = t->text; line < rule; line = next) {
		next = strchr(line, '\n');
		*next++ = '\0'; /* the rule follows a newline: there is one */
		if (next - line >= 2 && next[-2] == '\r')
			next[-2] = '\0';
		header_line(t, line);
	}
	return 0;
}

void
about_tpl_free(struct about_tpl *t)
{
	free(t->text);
	memset(t, 0, sizeof(*t));
}
