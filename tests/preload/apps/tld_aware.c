// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A program that knows tld and links libtld.so. Under the preload it shares the preload's keys
 * and blocks: it finds the config's "prio" key, reads the value the config gave its thread,
 * stores a new one, releases its block and takes a new one, and creates a key of its own that BPF
 * can read too. Prints "prio <value>" and "own <offset>", then "T <pid> <tid> main" and "READY".
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <tld/tld.h>

int main(void)
{
	tld_key_t prio = tld_find_key("prio");
	if (tld_key_is_err(prio)) {
		printf("prio missing %d\n", prio.off);
		return 1;
	}
	uint32_t *p = tld_get_data(-1, prio);
	if (!p) {
		perror("tld_get_data");
		return 1;
	}
	printf("prio %u\n", *p);
	*p = 7;
	/* Released and taken again: the new block gets the configured values, not garbage. */
	tld_free();
	p = tld_get_data(-1, prio);
	if (!p) {
		perror("tld_get_data after tld_free");
		return 1;
	}
	printf("after-free prio %u\n", *p);
	*p = 42;
	tld_key_t own = tld_create_key("own", 8);
	printf("own %d\n", own.off);
	printf("T %d %ld main\nREADY\n", getpid(), (long)syscall(SYS_gettid));
	fflush(stdout);
	char buf[16];
	while (read(0, buf, sizeof(buf)) > 0) {
	}
	return 0;
}
