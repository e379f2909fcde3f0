// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What one hint read costs a BPF program, measured in the kernel: each program times
 * ctx->loops reads with bpf_ktime_get_ns() around a bpf_loop() (BPF_PROG_TEST_RUN has no
 * repeat for syscall programs). Every read starts from the current task, as a scheduler
 * callback would:
 *
 *   empty     the loop alone (subtracted by compare.py)
 *   floor     bpf_task_storage_get(tld_data_map) and a u64 read at a known offset: the least
 *             any task-local hint can cost
 *   tld       tld_object_init() + tld_get_data() with a warm cache + the read
 *   tld_cache tld_object_init_cache() + tld_get_data() + the read: the offset cache lives in
 *             the consumer's own task storage (a scheduler's task context), found once before
 *             the loop as a scheduler already has it at hand
 *   tld_get   tld_get_data() + read only, the object initialised once (several keys, one task)
 *   hash      bpf_map_lookup_elem() in a hash map keyed by tid + the read (today's design)
 *   upstream  the lookup of upstream's task_local_data.bpf.h (tests/interop/
 *             upstream_protocol.bpf.h) with its own warm offset cache + the read
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/tld.bpf.h>

#include "bench_read.h"
#include "upstream_protocol.bpf.h"

struct tld_keys {
	tld_key_t hint;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} tid_hints SEC(".maps");

/* A consumer's own per-task context with tld's offset cache inside. */
struct consumer_task_ctx {
	__u64 runtime;
	struct tld_keys keys;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct consumer_task_ctx);
} consumer_ctx SEC(".maps");

struct loop_state {
	__u64 sum;
	__u64 hits;
	__u32 key_off;
	struct tld_object obj;          /* tld_get */
	struct consumer_task_ctx *tctx; /* tld_cache */
};

static long empty_cb(__u32 i, struct loop_state *s)
{
	s->sum += i;
	return 0;
}

static long floor_cb(__u32 i, struct loop_state *s)
{
	struct tld_map_value *v;
	__u64 off;

	v = bpf_task_storage_get(&tld_data_map, bpf_get_current_task_btf(), 0, 0);
	if (!v || !v->data)
		return 0;
	/* The page's start word and a bound: the least any reader of this layout does. */
	off = v->data->start + s->key_off;
	if (off > TLD_PAGE_SIZE - 8)
		return 0;
	s->sum += *(__u64 *)((char *)v->data + off);
	s->hits++;
	return 0;
}

/* What the three tld variants share after their init: tld_get_data() and the read. Inlined, so
 * each callback times the same instructions as if written out. */
static __always_inline long read_hint(struct tld_object *obj, struct loop_state *s)
{
	__u64 *p = tld_get_data(obj, hint, "hint", sizeof(__u64));

	if (!p)
		return 0;
	s->sum += *p;
	s->hits++;
	return 0;
}

static long tld_cb(__u32 i, struct loop_state *s)
{
	struct tld_object obj;

	if (tld_object_init(bpf_get_current_task_btf(), &obj))
		return 0;
	return read_hint(&obj, s);
}

static long tld_cache_cb(__u32 i, struct loop_state *s)
{
	struct tld_object obj;
	struct consumer_task_ctx *tctx = s->tctx;

	if (!tctx || tld_object_init_cache(bpf_get_current_task_btf(), &obj, &tctx->keys))
		return 0;
	return read_hint(&obj, s);
}

static long tld_get_cb(__u32 i, struct loop_state *s)
{
	return read_hint(&s->obj, s);
}

static long hash_cb(__u32 i, struct loop_state *s)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *v = bpf_map_lookup_elem(&tid_hints, &tid);

	if (!v)
		return 0;
	s->sum += *v;
	s->hits++;
	return 0;
}

/* Upstream's consumer: its own offset cache, its name compare in .rodata. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct up_keys);
} up_key_map SEC(".maps");

const char up_hint_name[UP_NAME_LEN + 2] = "hint";

static long upstream_cb(__u32 i, struct loop_state *s)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct up_object obj;
	__u32 off;
	__u64 *p;

	/* The same map: its value has upstream's layout (abi.h). */
	obj.data_map = (struct up_map_value *)bpf_task_storage_get(&tld_data_map, task, 0, 0);
	if (!obj.data_map)
		return 0;
	obj.key_map = bpf_task_storage_get(&up_key_map, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	p = up_get_data(&obj, 0, up_hint_name, sizeof(__u64), &off);
	if (!p)
		return 0;
	s->sum += *p;
	s->hits++;
	return 0;
}

#define BENCH_PROG(name, cb, setup)                                                                \
	SEC("syscall")                                                                             \
	int bench_##name(struct bench_read_ctx *ctx)                                               \
	{                                                                                          \
		struct loop_state s = {.key_off = ctx->key_off};                                   \
		__u64 t0;                                                                          \
                                                                                                   \
		setup;                                                                             \
		t0 = bpf_ktime_get_ns();                                                           \
		bpf_loop(ctx->loops, cb, &s, 0);                                                   \
		ctx->ns = bpf_ktime_get_ns() - t0;                                                 \
		ctx->sum = s.sum;                                                                  \
		ctx->hits = s.hits;                                                                \
		return 0;                                                                          \
	}

BENCH_PROG(empty, empty_cb, )
BENCH_PROG(floor, floor_cb, )
BENCH_PROG(tld, tld_cb, )
BENCH_PROG(tld_cache, tld_cache_cb,
           s.tctx = bpf_task_storage_get(&consumer_ctx, bpf_get_current_task_btf(), 0,
                                         BPF_LOCAL_STORAGE_GET_F_CREATE))
BENCH_PROG(tld_get, tld_get_cb, if (tld_object_init(bpf_get_current_task_btf(), &s.obj)) return 1)
BENCH_PROG(hash, hash_cb, )
BENCH_PROG(upstream, upstream_cb, )

char LICENSE[] SEC("license") = "Dual BSD/GPL";
