/*
 * condwait.h - a condition wait with a time limit, for threads that have
 * something to do now and then even when nobody signals them (the server's
 * lookup and builder threads look at their store while idle: store_idle).
 */
#ifndef LANCRE_UTIL_CONDWAIT_H
#define LANCRE_UTIL_CONDWAIT_H

#include <pthread.h>

/*
 * pthread_cond_wait on cv with mu held, for at most ms milliseconds of the
 * wall clock (the condition's default clock): 1 when the time ran out, 0 when
 * woken (perhaps spuriously: the caller checks its condition again).
 */
int condwait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int ms);

#endif
