// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A consumer of upstream's protocol (upstream_protocol.bpf.h): its own tld_data_map and
 * tld_key_map, and a task iterator that emits one struct interop_rec per registered task.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "upstream_protocol.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct up_map_value);
#ifdef UP_PIN_BY_NAME
	__uint(pinning, LIBBPF_PIN_BY_NAME);
#endif
} tld_data_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct up_keys);
} tld_key_map SEC(".maps");

/* Full pointee definitions in BTF, as the kernel wants for uptrs (a variable of no size is
 * refused, hence the word). */
const volatile struct {
	__u32 version;
	struct up_data_u d[0];
	struct up_meta_u m[0];
} up_btf_anchor = {.version = 1};

/* bpf_strncmp() wants its second string in read-only memory: .rodata. */
const char names[INTEROP_KEYS][UP_NAME_LEN + 2] = {"flag", "prio", "budget", "tag"};

SEC("iter/task")
int upstream_dump(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct interop_rec rec = {};
	struct up_object obj = {};
	int k;

	if (!task)
		return 0;
	obj.data_map = bpf_task_storage_get(&tld_data_map, task, 0, 0);
	if (!obj.data_map)
		return 0;
	obj.key_map = bpf_task_storage_get(&tld_key_map, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	rec.pid = task->tgid;
	rec.tid = task->pid;
	rec.data_page = (__u64)obj.data_map->data;
#pragma clang loop unroll(full)
	for (k = 0; k < INTEROP_KEYS; k++) {
		__u32 off = 0;
		char *p = up_get_data(&obj, k, names[k], INTEROP_READ, &off);

		if (p) {
			rec.key[k].found = 1;
			rec.key[k].off = off;
			__builtin_memcpy(rec.key[k].bytes, p, INTEROP_READ);
		}
	}
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
