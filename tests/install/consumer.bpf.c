// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A BPF consumer built the way a user builds one: against the *installed* tld/tld.bpf.h (the
 * include path comes from the installed tld.pc), libbpf's bpf_helpers.h and a vmlinux.h.
 * read_answer runs in the calling thread (BPF_PROG_TEST_RUN of a syscall program) and reports
 * that thread's value of CONSUMER_KEY.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/tld.bpf.h>

#include "consumer.h"

struct tld_keys {
	tld_key_t answer;
};

SEC("syscall")
int read_answer(struct consumer_args *args)
{
	struct tld_object obj;
	__u64 *p;

	args->found = 0;
	args->init_err = tld_object_init(bpf_get_current_task_btf(), &obj);
	if (args->init_err)
		return 0;
	p = tld_get_data(&obj, answer, CONSUMER_KEY, sizeof(__u64));
	if (!p)
		return 0;
	args->value = *p;
	args->found = 1;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
