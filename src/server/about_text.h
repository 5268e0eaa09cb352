/*
 * about_text.h - the about page's built-in words, in English and French.
 *
 * Each is a template in the form about_tpl.h describes, the same form an
 * operator writes to DIR/about/<tag>.html: copy one of these (or
 * `curl -s 'http://HOST/?lang=en'` for how it renders) to start a
 * translation.  English is the fallback of every key and every visitor.
 */
#ifndef LANCRE_SERVER_ABOUT_TEXT_H
#define LANCRE_SERVER_ABOUT_TEXT_H

extern const char about_text_en[];
extern const char about_text_fr[];

#endif
