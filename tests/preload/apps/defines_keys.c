// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A program that knows tld and defines its keys as getting-started shows, with TLD_DEFINE_KEY
 * and tld_get_data(-1, ...). "prio" has the size the test config gives it (u32), "deadline_ns"
 * does not (the config says u64). Prints "prio-key <off>", "deadline-key <off>", then either
 * "prio <value>" (the configured value; it stores 10 for BPF) or "get_data <errno name>",
 * then "T <pid> <tid> main" and "READY", and waits for stdin to close.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <tld/tld.h>

TLD_DEFINE_KEY(prio, "prio", sizeof(int));
TLD_DEFINE_KEY(deadline, "deadline_ns", sizeof(int));

static const char *errno_name(int e)
{
	switch (e) {
	case ENOTCONN:
		return "ENOTCONN";
	case EBADF:
		return "EBADF";
	case EINVAL:
		return "EINVAL";
	default:
		return "other";
	}
}

int main(void)
{
	printf("prio-key %d\ndeadline-key %d\n", prio.off, deadline.off);
	int *p = tld_get_data(-1, prio);
	if (p) {
		printf("prio %d\n", *p);
		*p = 10;
	} else {
		printf("get_data %s\n", errno_name(errno));
	}
	printf("T %d %ld main\nREADY\n", getpid(), (long)syscall(SYS_gettid));
	fflush(stdout);
	char buf[16];
	while (read(0, buf, sizeof(buf)) > 0) {
	}
	return 0;
}
