/*
 * asan.h - what the sanitizer builds need from lancre's own code.
 *
 * LeakSanitizer names the functions of a leak's stack (and matches
 * tests/lsan.supp's suppressions against those names) by symbolizing at
 * exit: GCC's runtime reads every loaded module's symbols (libbacktrace)
 * the first time it symbolizes anything, else it starts llvm-symbolizer.
 * A sandboxed server may then neither open the libraries (Landlock) nor
 * start a program (seccomp): its leak reports would carry library names
 * only, and a suppression could only name a whole library -- which hides
 * a leak in lancre's code called from it, an h2o callback for one.
 * asan_symbolizer_warm(), called before the sandbox is entered, has the
 * runtime symbolize once, so that what it needs at exit is already read (or
 * started).  A no-op in other builds.
 */
#ifndef LANCRE_UTIL_ASAN_H
#define LANCRE_UTIL_ASAN_H

void asan_symbolizer_warm(void);

#endif
