/*
 * bench/p11delay.c - a PKCS#11 module that forwards every call to another
 * module (P11DELAY_MODULE, default SoftHSM2) and makes each C_Sign wait
 * P11DELAY_US microseconds first (default 1000): SoftHSM2 standing in for a
 * network HSM, whose signatures cost a round trip more than CPU.  With it,
 * bench/pkcs11.sh shows what sessions per thread buy whatever the load of
 * the machine: a waiting session needs no core.  Built by bench/pkcs11.sh
 * (cc -shared -fPIC); not part of lancre.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST real, shim;
static long delay_ns;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;

static CK_RV
delayed_sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
    CK_ULONG_PTR siglen)
{
	struct timespec t = {delay_ns / 1000000000L, delay_ns % 1000000000L};

	if (sig != NULL) /* not for a size query */
		nanosleep(&t, NULL);
	return real.C_Sign(h, data, len, sig, siglen);
}

static void
load(void)
{
	const char *path = getenv("P11DELAY_MODULE"), *us = getenv("P11DELAY_US");
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST_PTR r;
	void *dl = dlopen(path != NULL ? path : "/usr/lib/softhsm/libsofthsm2.so", RTLD_NOW);

	if (dl == NULL)
		return;
	*(void **)&get = dlsym(dl, "C_GetFunctionList");
	if (get == NULL || get(&r) != CKR_OK)
		return;
	real = *r;
	shim = real;
	shim.C_Sign = delayed_sign;
	delay_ns = 1000L * (us != NULL ? strtol(us, NULL, 10) : 1000);
	loaded = 1;
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	pthread_once(&once, load);
	if (!loaded)
		return CKR_GENERAL_ERROR;
	*list = &shim;
	return CKR_OK;
}
