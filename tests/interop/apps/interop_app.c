// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The interop tests' program: N threads, each storing values of its own in the four keys
 * (flag bool, prio u32, budget u64, tag bytes:16) through libtld, which both readers must
 * report thread by thread.
 *
 *   interop_app MAP|- N     MAP: a pinned tld_data_map to register in directly; -: the
 *                           preload's registration (tldd), keys from its keys.conf
 *
 * Each thread prints "T <pid> <tid> <index> <generation>" once its values are stored, then
 * the program "READY". Commands, a letter a line on stdin:
 *   c  every thread stores the next generation's values
 *   r  every thread exits; after the arena's short grace, N new threads (blocks reused)
 *   f  fork: the child starts N threads of its own (generation + 100), prints their lines
 *      and READY, and lives until the parent exits
 * End of input ends the program. The values are interop_values_fill() of pid, index, generation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <tld/tld.h>

#include "interop_values.h"

#define MAX_THREADS 64

static tld_key_t keys[4];
static int map_fd = -1;
static int nthreads;
static pthread_t threads[MAX_THREADS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int seq, gen, done, stop;

static tld_key_t key(const char *name, size_t size)
{
	tld_key_t k = tld_create_key(name, size);
	if (k.off == -EEXIST)
		k = tld_find_key(name); /* the preload's keys.conf made it */
	if (tld_key_is_err(k)) {
		fprintf(stderr, "key %s: %d\n", name, k.off);
		exit(2);
	}
	return k;
}

static void store(int idx, int g)
{
	struct interop_values v;
	interop_values_fill(getpid(), idx, g, &v);
	uint8_t *flag = tld_get_data(map_fd, keys[0]);
	uint32_t *prio = tld_get_data(map_fd, keys[1]);
	uint64_t *budget = tld_get_data(map_fd, keys[2]);
	char *tag = tld_get_data(map_fd, keys[3]);
	if (!flag || !prio || !budget || !tag) {
		perror("tld_get_data");
		exit(3);
	}
	*flag = v.flag;
	*prio = v.prio;
	*budget = v.budget;
	memcpy(tag, v.tag, sizeof(v.tag));
}

static void *worker(void *arg)
{
	int idx = (int)(intptr_t)arg, my_seq = -1;
	for (;;) {
		pthread_mutex_lock(&mu);
		while (seq == my_seq && !stop)
			pthread_cond_wait(&cv, &mu);
		if (stop) {
			pthread_mutex_unlock(&mu);
			return NULL;
		}
		my_seq = seq;
		int g = gen;
		pthread_mutex_unlock(&mu);
		store(idx, g);
		pthread_mutex_lock(&mu);
		printf("T %d %ld %d %d\n", getpid(), (long)syscall(SYS_gettid), idx, g);
		done++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
}

/* Starts the threads (or, with them running, asks for the next generation) and waits. */
static void round_trip(int start_threads)
{
	pthread_mutex_lock(&mu);
	done = 0;
	seq++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; start_threads && i < nthreads; i++)
		if (pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i)) {
			perror("pthread_create");
			exit(4);
		}
	pthread_mutex_lock(&mu);
	while (done < nthreads)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	printf("READY\n");
}

static void stop_threads(void)
{
	pthread_mutex_lock(&mu);
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	stop = 0;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (nthreads = atoi(argv[2])) < 1 || nthreads > MAX_THREADS) {
		fprintf(stderr, "usage: interop_app MAP|- N (N <= %d)\n", MAX_THREADS);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(argv[1], "-") != 0) {
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.pathname = (uint64_t)(uintptr_t)argv[1];
		map_fd = (int)syscall(SYS_bpf, BPF_OBJ_GET, &attr, sizeof(attr));
		if (map_fd < 0) {
			perror("BPF_OBJ_GET");
			return 1;
		}
	}
	/* In this order: flag is the block's first key, at offset 0. */
	keys[0] = key("flag", 1);
	keys[1] = key("prio", 4);
	keys[2] = key("budget", 8);
	keys[3] = key("tag", 16);
	round_trip(1);
	char line[16];
	while (fgets(line, sizeof(line), stdin)) {
		if (line[0] == 'c') {
			pthread_mutex_lock(&mu);
			gen++;
			pthread_mutex_unlock(&mu);
			round_trip(0);
		} else if (line[0] == 'r') {
			stop_threads();
			usleep(100000); /* past the arena's grace for blocks of exited threads */
			gen++;
			round_trip(1);
		} else if (line[0] == 'f') {
			fflush(stdout);
			pid_t child = fork();
			if (child < 0) {
				perror("fork");
				return 5;
			}
			if (child == 0) {
				/* Only this thread came along: the others' blocks are free here. */
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				/* The parent's waiters are not here: a condition variable
				 * that counts them must start afresh. */
				pthread_mutex_init(&mu, NULL);
				pthread_cond_init(&cv, NULL);
				gen += 100;
				round_trip(1);
				for (;;)
					pause();
			}
		}
	}
	stop_threads();
	return 0;
}
