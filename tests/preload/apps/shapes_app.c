// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Process shapes the preload meets in the wild, in a program that knows nothing of tld. Prints
 * "T <pid> <tid> <role>" for each parked thread and "READY", then waits for stdin to close.
 *
 *   shapes_app clone     two workers, then a child made by a raw clone(SIGCHLD) syscall (no
 *                        fork handlers run in it) that starts a thread of its own and exits
 *   shapes_ctor_app libctor   (this program linked with libshapes_ctor.so) the library's
 *                        constructor started a worker before main, before the preload's
 *   shapes_app seccomp prctl|syscall   installs a seccomp allowlist (default: kill the
 *                        process) through prctl() or seccomp(2), then starts workers
 *   shapes_app dormant-clone   a raw clone(SIGCHLD) child made before any thread (a process
 *                        the preload left dormant) starts a worker; the child prints the lines
 *                        and "READY", the parent kills it once stdin closes
 */
#define _GNU_SOURCE
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t started;

void shapes_announce(const char *role)
{
	pthread_mutex_lock(&out_lock);
	printf("T %d %ld %s\n", getpid(), (long)syscall(SYS_gettid), role);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void *worker(void *arg)
{
	shapes_announce((const char *)arg);
	pthread_barrier_wait(&started);
	for (;;)
		pause();
	return NULL;
}

static void *short_lived(void *arg)
{
	(void)arg;
	return NULL;
}

static void start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, arg) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		exit(2);
	}
}

static void ready_and_wait(void)
{
	char buf[64];
	printf("READY\n");
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0) {
	}
}

static int clone_mode(void)
{
	pthread_barrier_init(&started, NULL, 3);
	start(worker, "worker-a");
	start(worker, "worker-b");
	pthread_barrier_wait(&started);
	shapes_announce("main");
	long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child < 0)
		return 3;
	if (child == 0) {
		/* A raw clone child: its memory is a copy, no atfork handler ran. */
		pthread_t t;
		int ok = pthread_create(&t, NULL, short_lived, NULL) == 0 &&
		         pthread_join(t, NULL) == 0;
		exit(ok ? 0 : 4);
	}
	int status = 0;
	if (waitpid((pid_t)child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return 5;
	ready_and_wait();
	return 0;
}

static int dormant_clone_mode(void)
{
	long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child < 0)
		return 3;
	if (child == 0) {
		pthread_barrier_init(&started, NULL, 2);
		start(worker, "child-worker");
		pthread_barrier_wait(&started);
		shapes_announce("child-main");
		printf("READY\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0) {
	}
	kill((pid_t)child, SIGKILL);
	waitpid((pid_t)child, NULL, 0);
	return 0;
}

#ifdef SHAPES_CTOR_LIB
/* Started by libshapes_ctor.so's constructor. */
extern long shapes_ctor_started(void);
#else
static long shapes_ctor_started(void)
{
	return 0;
}
#endif

static int libctor_mode(void)
{
	long tid = shapes_ctor_started();
	if (!tid)
		return 6;
	printf("T %d %ld lib-ctor\n", getpid(), tid);
	shapes_announce("main");
	ready_and_wait();
	return 0;
}

/* An allowlist of what this program and glibc's thread start need, nothing of the preload's
 * extras: any other syscall kills the process. */
static int seccomp_mode(const char *how)
{
	static const int allowed[] = {
	        SYS_read,         SYS_write,           SYS_exit,
	        SYS_exit_group,   SYS_futex,           SYS_mmap,
	        SYS_munmap,       SYS_mprotect,        SYS_brk,
	        SYS_clone,        SYS_clone3,          SYS_rt_sigprocmask,
	        SYS_rt_sigaction, SYS_set_robust_list, SYS_rseq,
	        SYS_madvise,      SYS_getpid,          SYS_gettid,
	        SYS_pause,        SYS_newfstatat,      SYS_fstat,
	        SYS_sched_yield,  SYS_restart_syscall,
	};
	enum { n = sizeof(allowed) / sizeof(allowed[0]) };
	struct sock_filter f[n + 3];
	int i = 0;
	f[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                      offsetof(struct seccomp_data, nr));
	for (int k = 0; k < n; k++) /* equal: jump to the ALLOW at the end */
		f[i++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allowed[k],
		                                      (unsigned char)(n - k), 0);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	f[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {(unsigned short)i, f};
	/* Stdout is a pipe: print before the filter so stdio has set up its buffer. */
	shapes_announce("main");
	/* libseccomp installs through seccomp(2), older code through prctl(). */
	int use_syscall = how && !strcmp(how, "syscall");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    (use_syscall ? syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)
	                 : prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0)) != 0) {
		perror("seccomp");
		return 7;
	}
	pthread_barrier_init(&started, NULL, 3);
	start(worker, "worker-a");
	start(worker, "worker-b");
	pthread_barrier_wait(&started);
	printf("READY\n");
	fflush(stdout);
	/* Nothing more is allowed than the filter: exit once stdin closes. */
	char buf[64];
	while (syscall(SYS_read, 0, buf, sizeof(buf)) > 0) {
	}
	syscall(SYS_exit_group, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "clone"))
		return clone_mode();
	if (argc > 1 && !strcmp(argv[1], "libctor"))
		return libctor_mode();
	if (argc > 1 && !strcmp(argv[1], "seccomp"))
		return seccomp_mode(argc > 2 ? argv[2] : "prctl");
	if (argc > 1 && !strcmp(argv[1], "dormant-clone"))
		return dormant_clone_mode();
	fprintf(stderr, "usage: shapes_app clone|libctor|seccomp|dormant-clone\n");
	return 1;
}
