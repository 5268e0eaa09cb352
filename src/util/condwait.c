/*
 * condwait.c - see condwait.h.
 */
#include "util/condwait.h"

#include <errno.h>
#include <time.h>

int
condwait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	return pthread_cond_timedwait(cv, mu, &until) == ETIMEDOUT;
}
