// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * An independent BPF reader for tldctl's tests: a task iterator that reads the u32 key "class"
 * of every registered task through tld.bpf.h, the way a scheduler would, so a test can check
 * that `tldctl set` changed what BPF reads (and not just what tldctl itself reads).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/tld.bpf.h>

struct tld_keys {
	tld_key_t class_key;
};

struct reader_rec {
	__u32 pid;
	__u32 tid;
	__u32 value;
	__u32 found;
};

SEC("iter/task")
int read_class(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct reader_rec rec = {};
	struct tld_object obj;
	__u32 *v;

	if (!task || tld_object_init(task, &obj))
		return 0;
	rec.pid = task->tgid;
	rec.tid = task->pid;
	v = tld_get_data(&obj, class_key, "class", sizeof(__u32));
	if (v) {
		rec.value = *v;
		rec.found = 1;
	}
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
