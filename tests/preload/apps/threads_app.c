// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A program that knows nothing of tld. It starts threads in every way the preload must handle,
 * prints "T <pid> <tid> <role>" for each live one and "READY", then waits for stdin to close.
 *
 *   threads_app mix            named, renamed, detached, exiting, cancelled threads
 *   threads_app fork           a thread forks; the child starts named threads too
 *   threads_app exec [clean]   a thread execs this program again ("mix"), with or without
 *                              LD_PRELOAD in the new image's environment
 *   threads_app spawn N        N threads that each start and join one more, repeatedly
 *   threads_app children       vfork+exec, posix_spawn and system() from a thread, then
 *                              announces itself: the children never touch our registrations
 *   threads_app serve          reads "spawn NAME" lines: starts a parked thread named NAME,
 *                              announces it and prints "READY"; exits at end of input.
 *                              "tick": a thread that only starts and exits, then "READY"
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t started;
static const char *self_path;

static void announce(const char *role)
{
	pthread_mutex_lock(&out_lock);
	printf("T %d %ld %s\n", getpid(), (long)syscall(SYS_gettid), role);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void park(void)
{
	for (;;)
		pause();
}

static void *named_worker(void *arg)
{
	char name[16];
	snprintf(name, sizeof(name), "worker-%ld", (long)arg);
	pthread_setname_np(pthread_self(), name); /* renamed after start */
	announce(name);
	pthread_barrier_wait(&started);
	park();
	return NULL;
}

static void *prctl_worker(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "worker-2");
	announce("worker-2");
	pthread_barrier_wait(&started);
	park();
	return NULL;
}

/* Exported (-rdynamic) so rules can match the start routine's symbol. */
void *latency_worker(void *arg)
{
	(void)arg;
	announce("latency");
	pthread_barrier_wait(&started);
	park();
	return NULL;
}

static void *plain(void *arg)
{
	announce((const char *)arg);
	pthread_barrier_wait(&started);
	park();
	return NULL;
}

static void *exits_early(void *arg)
{
	(void)arg;
	pthread_exit(NULL);
}

static void *cancelled(void *arg)
{
	(void)arg;
	park();
	return NULL;
}

static void start(void *(*fn)(void *), void *arg, int detach)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, arg) != 0) {
		perror("pthread_create");
		exit(2);
	}
	if (detach)
		pthread_detach(t);
}

static void wait_stdin(void)
{
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0) {
	}
}

static void mix(void)
{
	pthread_t gone, cancel, renamed_by_main;
	pthread_barrier_init(&started, NULL, 7);
	start(named_worker, (void *)0, 0);
	start(named_worker, (void *)1, 0);
	start(prctl_worker, NULL, 0);
	start(latency_worker, NULL, 0);
	start(plain, "detached", 1);
	pthread_create(&renamed_by_main, NULL, plain, "renamed");
	pthread_barrier_wait(&started);
	pthread_setname_np(renamed_by_main, "worker-7"); /* renamed by another thread */

	pthread_create(&gone, NULL, exits_early, NULL);
	pthread_join(gone, NULL);
	pthread_create(&cancel, NULL, cancelled, NULL);
	pthread_cancel(cancel);
	pthread_join(cancel, NULL);

	announce("main");
	printf("READY\n");
	fflush(stdout);
	wait_stdin();
}

static void *forker(void *arg)
{
	(void)arg;
	pid_t child = fork();
	if (child == 0) {
		pthread_barrier_init(&started, NULL, 3);
		start(named_worker, (void *)3, 0);
		start(named_worker, (void *)4, 0);
		pthread_barrier_wait(&started);
		announce("child-forker");
		printf("READY\n");
		fflush(stdout);
		wait_stdin();
		_exit(0);
	}
	announce("forker");
	waitpid(child, NULL, 0);
	return NULL;
}

static void fork_mode(void)
{
	pthread_t t;
	pthread_barrier_init(&started, NULL, 2);
	start(named_worker, (void *)5, 0);
	pthread_barrier_wait(&started);
	announce("main");
	pthread_create(&t, NULL, forker, NULL);
	pthread_join(t, NULL);
}

static void *execer(void *arg)
{
	char *argv[] = {(char *)self_path, "mix", NULL};
	if (arg) {
		/* The new image runs without the preload. */
		static char *env[] = {"PATH=/usr/bin:/bin", NULL};
		execve(self_path, argv, env);
	} else {
		execv(self_path, argv);
	}
	perror("exec");
	exit(3);
}

static void exec_mode(int clean)
{
	pthread_t t;
	pthread_barrier_init(&started, NULL, 2);
	start(named_worker, (void *)6, 0);
	pthread_barrier_wait(&started);
	announce("pre-exec-main");
	pthread_create(&t, NULL, execer, clean ? (void *)1 : NULL);
	park();
}

static void *run_children(void *arg)
{
	char *argv[] = {"/bin/true", NULL};
	extern char **environ;
	pid_t pid;
	int status, failures = 0;
	(void)arg;
	pid = vfork();
	if (pid == 0) {
		execve("/bin/true", argv, environ);
		_exit(127);
	}
	failures += waitpid(pid, &status, 0) != pid || status != 0;
	failures += posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0;
	failures += waitpid(pid, &status, 0) != pid || status != 0;
	failures += system("/bin/true") != 0;
	announce(failures ? "children-failed" : "children");
	pthread_barrier_wait(&started);
	park();
	return NULL;
}

static void children(void)
{
	pthread_barrier_init(&started, NULL, 2);
	start(run_children, NULL, 0);
	pthread_barrier_wait(&started);
	announce("main");
	printf("READY\n");
	fflush(stdout);
	wait_stdin();
}

static void *spawner(void *arg)
{
	long rounds = (long)arg;
	for (long i = 0; i < rounds; i++) {
		pthread_t t;
		pthread_create(&t, NULL, exits_early, NULL);
		pthread_join(t, NULL);
	}
	return NULL;
}

static void *serve_worker(void *arg)
{
	char *name = arg;
	pthread_setname_np(pthread_self(), name);
	announce(name);
	free(name);
	pthread_barrier_wait(&started);
	park();
	return NULL;
}

static void serve(void)
{
	char line[128];
	announce("main");
	printf("READY\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		char name[16];
		if (!strncmp(line, "badexec", 7)) {
			/* An exec that fails: every thread must keep its hints. */
			execl("/nonexistent/tld-test", "tld-test", (char *)NULL);
			printf("READY\n");
			fflush(stdout);
			continue;
		}
		if (!strncmp(line, "tick", 4)) {
			/* A thread start: when the preload retries a tldd it lost. */
			pthread_t t;
			pthread_create(&t, NULL, exits_early, NULL);
			pthread_join(t, NULL);
			printf("READY\n");
			fflush(stdout);
			continue;
		}
		if (sscanf(line, "spawn %15s", name) != 1)
			continue;
		pthread_barrier_init(&started, NULL, 2);
		start(serve_worker, strdup(name), 1);
		pthread_barrier_wait(&started);
		pthread_barrier_destroy(&started);
		printf("READY\n");
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	self_path = argv[0];
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc > 1 && !strcmp(argv[1], "mix"))
		mix();
	else if (argc > 1 && !strcmp(argv[1], "fork"))
		fork_mode();
	else if (argc > 1 && !strcmp(argv[1], "children"))
		children();
	else if (argc > 1 && !strcmp(argv[1], "serve"))
		serve();
	else if (argc > 1 && !strcmp(argv[1], "exec"))
		exec_mode(argc > 2 && !strcmp(argv[2], "clean"));
	else if (argc > 2 && !strcmp(argv[1], "spawn")) {
		pthread_t t[8];
		for (int i = 0; i < 8; i++)
			pthread_create(&t[i], NULL, spawner, (void *)atol(argv[2]));
		for (int i = 0; i < 8; i++)
			pthread_join(t[i], NULL);
		printf("spawned\n");
	} else {
		fprintf(stderr, "usage: %s mix|fork|exec [clean]|children|spawn N|serve\n",
		        argv[0]);
		return 2;
	}
	return 0;
}
