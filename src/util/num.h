/*
 * num.h - numbers from the command line and lancre.conf, strictly: decimal
 * digits only (no sign, no spaces, no suffix, no 0x), within a range, and no
 * silent wrap-around (strtol's result cast to int would take "4294967297"
 * for 1).
 */
#ifndef LANCRE_UTIL_NUM_H
#define LANCRE_UTIL_NUM_H

/* s as a number in [min, max]: 0 and *out set, or -1. */
int num_parse(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out);

/* The same for an int option (0 <= min <= max). */
int num_parse_int(const char *s, int min, int max, int *out);

#endif
