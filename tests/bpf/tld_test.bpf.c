// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Test programs for tld.bpf.h. SEC("syscall") programs run by BPF_PROG_TEST_RUN in the calling
 * thread, so bpf_get_current_task_btf() is the thread under test; they report what
 * tld_get_data() returned through the context, which the kernel copies back. This kernel gives
 * syscall programs the tracing helpers, bpf_get_current_task_btf() and bpf_task_storage_get()
 * included (with CAP_PERFMON); LoadTest fails with the verifier's reason if that changes.
 *
 * Built three times (-mcpu=v1, v2: no alu32; v3: alu32) so the tests load every flavour.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/tld.bpf.h>

#include "tld_test.h"

struct tld_keys {
	tld_key_t int1;
	tld_key_t int2;
	tld_key_t blob;
	tld_key_t longest;
#define TLD_TEST_FIELD(n) tld_key_t k##n;
	TLD_TEST_KEYS(TLD_TEST_FIELD)
};

/*
 * Records a tld_get_data() result. The offset is a pointer difference (allowed for privileged
 * programs); it lets user space check the pointer against the page it built.
 */
static __always_inline void record(struct tld_test_read *r, void *p, struct tld_object *obj,
                                   __u32 size)
{
	if (!p)
		return;
	r->found = 1;
	r->off = (char *)p - (char *)obj->data_map->data;
	if (size >= 8)
		__builtin_memcpy(r->value, p, 8);
	else if (size >= 4)
		__builtin_memcpy(r->value, p, 4);
	if (size >= 32)
		__builtin_memcpy(r->value, p, 32);
}

static __always_inline int init(struct tld_test_ctx *ctx, struct tld_object *obj)
{
	struct task_struct *task = bpf_get_current_task_btf();

	ctx->tid = task->pid;
	ctx->init_err = tld_object_init(task, obj);
	return ctx->init_err;
}

static __always_inline void read_named_keys(struct tld_test_ctx *ctx, struct tld_object *obj)
{
	record(&ctx->int1, tld_get_data(obj, int1, "k_int1", sizeof(int)), obj, sizeof(int));
	record(&ctx->int2, tld_get_data(obj, int2, "k_int2", sizeof(int)), obj, sizeof(int));
	record(&ctx->blob, tld_get_data(obj, blob, "k_blob", TLD_TEST_BLOB_SIZE), obj,
	       TLD_TEST_BLOB_SIZE);
	record(&ctx->longest, tld_get_data(obj, longest, TLD_TEST_LONG_NAME, 8), obj, 8);
}

/* The named keys, cached in tld_key_map. */
SEC("syscall")
int read_named(struct tld_test_ctx *ctx)
{
	struct tld_object obj;

	if (init(ctx, &obj))
		return 0;
	read_named_keys(ctx, &obj);
	return 0;
}

/* A consumer's own per-task context, with tld's offset cache inside. */
struct consumer_task_ctx {
	__u64 unrelated;
	struct tld_keys keys;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct consumer_task_ctx);
} consumer_ctx SEC(".maps");

/* The named keys, cached in consumer_ctx (tld_object_init_cache()). */
SEC("syscall")
int read_named_cache(struct tld_test_ctx *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct consumer_task_ctx *tctx;
	struct tld_object obj;

	ctx->tid = task->pid;
	tctx = bpf_task_storage_get(&consumer_ctx, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx) {
		ctx->init_err = -ENOMEM;
		return 0;
	}
	ctx->init_err = tld_object_init_cache(task, &obj, &tctx->keys);
	if (ctx->init_err)
		return 0;
	read_named_keys(ctx, &obj);
	return 0;
}

/* A second consumer context, so that read_named_value fills a cache of its own. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct consumer_task_ctx);
} consumer_value_ctx SEC(".maps");

/*
 * The named keys with tld_data_map looked up first, then the consumer's context
 * (tld_object_init_value()), as a program does that filters unregistered tasks.
 */
SEC("syscall")
int read_named_value(struct tld_test_ctx *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct consumer_task_ctx *tctx;
	struct tld_map_value *value;
	struct tld_object obj;

	ctx->tid = task->pid;
	value = bpf_task_storage_get(&tld_data_map, task, 0, 0);
	tctx = bpf_task_storage_get(&consumer_value_ctx, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx) {
		ctx->init_err = -ENOMEM;
		return 0;
	}
	ctx->init_err = tld_object_init_value(&obj, value, &tctx->keys);
	if (ctx->init_err)
		return 0;
	read_named_keys(ctx, &obj);
	return 0;
}

#define TLD_TEST_READ(n)                                                                           \
	record(&ctx->keys[1##n - 100], tld_get_data(&obj, k##n, "k" #n, TLD_TEST_GENERIC_SIZE),    \
	       &obj, TLD_TEST_GENERIC_SIZE);

/* Generic keys, a third each; user space runs all three. */
#define TLD_TEST_GENERIC_PROG(group)                                                               \
	SEC("syscall")                                                                             \
	int read_generic_##group(struct tld_test_ctx *ctx)                                         \
	{                                                                                          \
		struct tld_object obj;                                                             \
                                                                                                   \
		if (init(ctx, &obj))                                                               \
			return 0;                                                                  \
		TLD_TEST_KEYS_##group(TLD_TEST_READ) return 0;                                     \
	}

TLD_TEST_GENERIC_PROG(A)
TLD_TEST_GENERIC_PROG(B)
TLD_TEST_GENERIC_PROG(C)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
