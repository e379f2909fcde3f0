// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Test probe: reads a task's tld_data_map entry the way a consumer does (page + start) and
 * copies the first u64 of the thread's block out. read_self looks at the task that runs it
 * (bpf_prog_test_run from that thread), read_tid at any thread by id, so a root test can
 * inspect the threads of an unprivileged client that cannot run BPF itself.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/abi.h>
#include <tld/data_map.bpf.h>

struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
void bpf_task_release(struct task_struct *p) __ksym;

/* In and out through the test-run context. */
struct tld_probe_args {
	__s32 tid;      /* read_tid: the thread to look at */
	__s32 found;    /* 1 registered, 0 not, < 0 inconsistent entry */
	__u64 value;    /* first u64 of the block */
	__u32 start;    /* the data page's start word (low 32 bits) */
	__u32 meta_cnt; /* the meta page's key count, proves meta points at page 0 */
};

static __always_inline void read_entry(struct task_struct *task, struct tld_probe_args *args)
{
	struct tld_map_value *v = bpf_task_storage_get(&tld_data_map, task, 0, 0);
	struct tld_data_u *data;
	struct tld_meta_u *meta;
	__u64 off;

	args->found = 0;
	if (!v)
		return;
	data = v->data;
	meta = v->meta;
	if (!data || !meta) {
		args->found = -1;
		return;
	}
	off = data->start;
	args->start = off;
	if (off > TLD_PAGE_SIZE - 8) {
		args->found = -1;
		return;
	}
	args->value = *(__u64 *)((char *)data + off);
	args->meta_cnt = meta->cnt;
	args->found = 1;
}

SEC("syscall")
int read_self(struct tld_probe_args *args)
{
	read_entry(bpf_get_current_task_btf(), args);
	return 0;
}

SEC("syscall")
int read_tid(struct tld_probe_args *args)
{
	struct task_struct *task = bpf_task_from_pid(args->tid);

	if (!task) {
		args->found = -2;
		return 0;
	}
	read_entry(task, args);
	bpf_task_release(task);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
