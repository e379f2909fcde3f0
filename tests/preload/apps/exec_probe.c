// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Measures what the kernel does with task storage across exec: registers its main thread
 * directly with libtld (no preload, so nothing unregisters it), writes a hint, then execs
 * `sleep 5`. The test then looks for the new image's entry.
 *
 *   exec_probe PINNED_MAP_PATH
 */
#include <bpf/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <tld/tld.h>

TLD_DEFINE_KEY(prio, "prio", sizeof(uint32_t));

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int map_fd = bpf_obj_get(argv[1]);
	uint32_t *p = tld_get_data(map_fd, prio);
	if (!p) {
		perror("tld_get_data");
		return 1;
	}
	*p = 42;
	printf("REGISTERED\n");
	fflush(stdout);
	execl("/bin/sleep", "sleep", "5", (char *)NULL);
	return 1;
}
