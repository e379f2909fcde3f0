// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A shared library whose constructor starts a thread before main: like libraries that start
 * a worker pool when loaded. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long started; /* the worker's tid */

static void *lib_worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	started = syscall(SYS_gettid);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (;;)
		pause();
	return NULL;
}

static pthread_t worker;
static int created;

__attribute__((constructor)) static void start_pool(void)
{
	created = pthread_create(&worker, NULL, lib_worker, NULL) == 0;
}

/* Called from main: the worker's tid, once it runs (0 if it could not start). */
long shapes_ctor_started(void)
{
	if (!created)
		return 0;
	pthread_mutex_lock(&lock);
	while (!started)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return started;
}
