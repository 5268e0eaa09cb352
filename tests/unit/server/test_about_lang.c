/* Unit tests for server/about_lang (Accept-Language, ?lang=) and server/about_tpl (templates). */
#include "testutil.h"
#include "server/about_lang.h"
#include "server/about_tpl.h"

static const char *const tags[] = {"en", "fr", "de", "pt-BR"};
#define NT (sizeof(tags) / sizeof(tags[0]))

static size_t
pick(const char *h)
{
	return about_lang_pick(h, h ? strlen(h) : 0, tags, NT, 0);
}

static void
test_pick(void **state)
{
	(void)state;
	assert_int_equal(pick(NULL), 0);
	assert_int_equal(pick(""), 0);
	assert_int_equal(pick("fr"), 1);
	assert_int_equal(pick("FR"), 1);
	assert_int_equal(pick("fr-CA;q=0.8"), 1);       /* a region falls back to its language */
	assert_int_equal(pick("fr-CA;q=0.8, en;q=0.9"), 0); /* the higher q wins... */
	assert_int_equal(pick("en;q=0.5, fr"), 1);        /* ...not the first listed */
	assert_int_equal(pick("de, fr"), 2);              /* equal q: the first listed */
	assert_int_equal(pick("ja"), 0);                  /* unknown: English */
	assert_int_equal(pick("ja, fr;q=0.1"), 1);
	assert_int_equal(pick("fr;q=0, de;q=0.2"), 2);    /* q=0: not this one */
	assert_int_equal(pick("fr;q=0"), 0);
	assert_int_equal(pick("pt"), 3);                  /* a language matches its regions */
	assert_int_equal(pick("pt-br"), 3);
	assert_int_equal(pick("fro"), 0);                 /* a prefix is not a subtag */
	assert_int_equal(pick("*;q=0.5, de;q=0.4"), 0);   /* "*": the default */
	assert_int_equal(pick(" fr ; q=0.7 ,de;q=0.6"), 1);
	assert_int_equal(pick("fr;q=2, de;q=0.1"), 2);    /* a malformed q ignores that range */
	assert_int_equal(pick("fr;q=abc, de;q=0.1"), 2);
	assert_int_equal(pick(",,;,"), 0);
}

static void
test_query(void **state)
{
	(void)state;
	assert_int_equal(about_lang_query("lang=fr", 7, tags, NT), 1);
	assert_int_equal(about_lang_query("x=1&lang=pt-BR", 14, tags, NT), 3);
	assert_int_equal(about_lang_query("lang=ja", 7, tags, NT), NT);
	assert_int_equal(about_lang_query("lang=", 5, tags, NT), NT);
	assert_int_equal(about_lang_query(NULL, 0, tags, NT), NT);
	assert_int_equal(about_lang_query("lang=frx", 7, tags, NT), 1); /* only len bytes count */
}

static void
test_tag_ok(void **state)
{
	(void)state;
	assert_true(about_lang_tag_ok("de", 2));
	assert_true(about_lang_tag_ok("zh-Hant-TW", 10));
	assert_false(about_lang_tag_ok("", 0));
	assert_false(about_lang_tag_ok("1de", 3));
	assert_false(about_lang_tag_ok("de-", 3));
	assert_false(about_lang_tag_ok("d e", 3));
	assert_false(about_lang_tag_ok("de\"><script>", 12));
}

static void
test_template(void **state)
{
	static const char text[] = "# a comment\r\nname: Deutsch\ntitle:  Dienst von {ca}\n"
				   "unknown: ignored\n---\n<p>Hallo</p>\n---\n";
	struct about_tpl t;
	struct err e;

	(void)state;
	assert_int_equal(about_tpl_parse(&t, "de", text, sizeof(text) - 1, &e), 0);
	assert_string_equal(t.tag, "de");
	assert_string_equal(t.val[ABOUT_K_NAME], "Deutsch");
	assert_string_equal(t.val[ABOUT_K_TITLE], "Dienst von {ca}");
	assert_null(t.val[ABOUT_K_DIRECTORY]);
	assert_string_equal(t.body, "<p>Hallo</p>\n---\n"); /* only the first rule ends the header */
	about_tpl_free(&t);
	/* No rule: all body. */
	assert_int_equal(about_tpl_parse(&t, "en", "<p>x</p>", 8, &e), 0);
	assert_null(t.val[ABOUT_K_NAME]);
	assert_string_equal(t.body, "<p>x</p>");
	about_tpl_free(&t);
	assert_int_equal(about_tpl_parse(&t, "e n", "x", 1, &e), -1);
	assert_int_equal(about_tpl_parse(&t, "de", "a\0b", 3, &e), -1);
	about_tpl_free(&t);
	assert_string_equal(about_key_name(ABOUT_K_NO_CONTACT), "no_contact");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pick),
	    cmocka_unit_test(test_query),
	    cmocka_unit_test(test_tag_ok),
	    cmocka_unit_test(test_template),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
