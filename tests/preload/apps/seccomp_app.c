// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// A program under a seccomp filter, as sandboxes make them (issue 14).
//   seccomp_app threads        allowlist with default KILL, then 4 threads: prints "threads ok"
//   seccomp_app nosocket PROG  socket() fails with EPERM, then exec PROG (the filter stays)
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ALLOW(nr)                                                                                  \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                                           \
	        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static void *worker(void *arg)
{
	return arg;
}

static int install(struct sock_filter *f, unsigned short n)
{
	struct sock_fprog prog = {n, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		perror("seccomp");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "nosocket") == 0) {
		struct sock_filter f[] = {
		        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 0, 1),
		        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		if (install(f, sizeof(f) / sizeof(f[0])))
			return 1;
		execv(argv[2], argv + 2);
		perror("execv");
		return 1;
	}
	if (argc == 2 && strcmp(argv[1], "threads") == 0) {
		// What glibc needs to start and join threads and to print, nothing more.
		struct sock_filter f[] = {
		        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		        ALLOW(__NR_clone),
		        ALLOW(__NR_clone3),
		        ALLOW(__NR_mmap),
		        ALLOW(__NR_munmap),
		        ALLOW(__NR_mprotect),
		        ALLOW(__NR_madvise),
		        ALLOW(__NR_futex),
		        ALLOW(__NR_rseq),
		        ALLOW(__NR_set_robust_list),
		        ALLOW(__NR_rt_sigprocmask),
		        ALLOW(__NR_exit),
		        ALLOW(__NR_exit_group),
		        ALLOW(__NR_write),
		        ALLOW(__NR_brk),
		        ALLOW(__NR_newfstatat),
		        ALLOW(__NR_fstat),
		        ALLOW(__NR_rt_sigaction),
		        ALLOW(__NR_getrandom),
		        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		};
		if (install(f, sizeof(f) / sizeof(f[0])))
			return 1;
		pthread_t t[4];
		for (int i = 0; i < 4; i++)
			if (pthread_create(&t[i], NULL, worker, NULL) != 0)
				return 1;
		for (int i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		printf("threads ok\n");
		return 0;
	}
	fprintf(stderr, "usage: seccomp_app threads | nosocket PROG [ARGS]\n");
	return 2;
}
