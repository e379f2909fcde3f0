/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The task-local-data ABI: the one layout shared by BPF programs, libtld, tldd and tldctl.
 * It follows the upstream task-local-data layout, so a consumer built against upstream's
 * task_local_data.bpf.h reads tld's data and vice versa.
 *
 *   tld_data_map: task storage, key = a pidfd (user space) / the task (BPF),
 *                 value = struct tld_map_value, both pointers are __uptr (pinned user pages).
 *   meta  -> one page per process: key names and sizes, shared by all its threads.
 *   data  -> one page per thread: the u64 at offset 0 (`start`) is where the thread's block
 *            begins in that page, TLD_DATA_START, and a key lives at `start + off`, off = sum
 *            of the 8-rounded sizes of the keys before it. One block a page, as upstream:
 *            its consumer header reads `start` from the page, never from the map value.
 *
 * Included by BPF C (after vmlinux.h, which provides __u16/__u64) and by C/C++ user space.
 */
#ifndef TLD_ABI_H
#define TLD_ABI_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

/* Bumped on any incompatible change of the structs below or of the broker protocol. */
#define TLD_ABI_VERSION 2
#define TLD_PAGE_SIZE   4096
/* name[] holds at most TLD_NAME_LEN - 1 characters and a NUL, zero padded. */
#define TLD_NAME_LEN   62
#define TLD_MAX_KEYS   63
#define TLD_DATA_ALIGN 8
/* Where libtld puts every block: right after the page's start word. */
#define TLD_DATA_START    8
#define TLD_DATA_MAP_NAME "tld_data_map"

#ifndef __uptr
#if defined(__bpf__)
/* Without this BTF tag the kernel treats the pointers as plain scalars (clang >= 16 emits it). */
#define __uptr __attribute__((btf_type_tag("uptr")))
#else
/* User space stores plain addresses; only the BPF object's BTF needs the tag. */
#define __uptr
#endif
#endif

struct tld_metadata {
	char name[TLD_NAME_LEN];
	/* 0 while the key is being published; written last, with release order. */
	__u16 size;
};

struct tld_meta_u {
	__u16 cnt;  /* keys published or being published; may exceed TLD_MAX_KEYS if corrupted */
	__u16 size; /* per-thread block size in bytes: all keys plus the dynamic reserve */
	struct tld_metadata metadata[TLD_MAX_KEYS];
};

struct tld_data_u {
	/* Offset of the thread's block in this page (TLD_DATA_START); user memory, so readers
	 * bound it like everything else in the page. */
	__u64 start;
	char data[TLD_PAGE_SIZE - 8];
};

/* Exactly upstream's value, 16 bytes: libbpf's pin reuse check compares the value size. */
struct tld_map_value {
	struct tld_data_u __uptr *data; /* this thread's data page */
	struct tld_meta_u __uptr *meta; /* the process's meta page */
};

/*
 * tldd's side map (tld_broker_map, pinned next to tld_data_map as TLD_BROKER_MAP_NAME): the
 * value of a thread tldd registered. Not part of what consumers read.
 */
#define TLD_BROKER_MAP_NAME "tld_broker_map"
struct tld_broker_entry {
	__u32 flags; /* TLD_BROKER_E_* */
};
/* tldd registered the thread's tld_data_map entry for its process (the broker). */
#define TLD_BROKER_E_BROKERED 0x1

/*
 * BTF must carry the pointee structs as full definitions, or the verifier sees forward
 * declarations and rejects the uptr fields. A zero-length array of each in a struct that BPF
 * objects reference (tld_btf_anchor) forces both into every object's BTF.
 */
struct tld_btf_anchor {
	struct tld_data_u data[0];
	struct tld_meta_u meta[0];
};

/* Rounds a key size up to its slot size in a block. */
#define TLD_ROUND_UP(x) (((x) + (TLD_DATA_ALIGN - 1)) & ~(TLD_DATA_ALIGN - 1))

#if defined(__cplusplus)
#define TLD_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define TLD_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* The builtin for the checks below, whatever offsetof the includer has: bpf_helpers.h's
 * ((unsigned long)&((T *)0)->m) is no integral constant expression for clang < 16. */
#pragma push_macro("offsetof")
#undef offsetof
#define offsetof(type, member) __builtin_offsetof(type, member)

TLD_STATIC_ASSERT(sizeof(struct tld_metadata) == 64, "tld_metadata is 64 bytes");
TLD_STATIC_ASSERT(offsetof(struct tld_metadata, name) == 0, "name first");
TLD_STATIC_ASSERT(offsetof(struct tld_metadata, size) == 62, "size after name");
TLD_STATIC_ASSERT(offsetof(struct tld_meta_u, cnt) == 0, "cnt first");
TLD_STATIC_ASSERT(offsetof(struct tld_meta_u, size) == 2, "size second");
TLD_STATIC_ASSERT(offsetof(struct tld_meta_u, metadata) == 4, "metadata at 4");
TLD_STATIC_ASSERT(sizeof(struct tld_meta_u) == 4 + 63 * 64, "tld_meta_u size");
TLD_STATIC_ASSERT(sizeof(struct tld_meta_u) <= TLD_PAGE_SIZE, "meta fits one page");
TLD_STATIC_ASSERT(sizeof(struct tld_data_u) == TLD_PAGE_SIZE, "data struct is exactly a page");
TLD_STATIC_ASSERT(offsetof(struct tld_data_u, start) == 0, "start: the page's first u64");
TLD_STATIC_ASSERT(sizeof(((struct tld_data_u *)0)->start) == 8, "start is a u64");
TLD_STATIC_ASSERT(offsetof(struct tld_data_u, data) == TLD_DATA_START, "block right after it");
TLD_STATIC_ASSERT(TLD_DATA_START % TLD_DATA_ALIGN == 0, "blocks start aligned");
TLD_STATIC_ASSERT(offsetof(struct tld_map_value, data) == 0, "data first");
TLD_STATIC_ASSERT(offsetof(struct tld_map_value, meta) == 8, "meta second");
TLD_STATIC_ASSERT(sizeof(struct tld_map_value) == 16, "tld_map_value is upstream's 16 bytes");
TLD_STATIC_ASSERT(sizeof(struct tld_broker_entry) == 4, "broker entry is a u32");
TLD_STATIC_ASSERT(sizeof(((struct tld_meta_u *)0)->cnt) == 2, "cnt is a u16");
TLD_STATIC_ASSERT(sizeof(((struct tld_meta_u *)0)->size) == 2, "meta size is a u16");
TLD_STATIC_ASSERT(sizeof(((struct tld_metadata *)0)->name) == 62, "names: 62 bytes");
TLD_STATIC_ASSERT(sizeof(((struct tld_metadata *)0)->size) == 2, "key size is a u16");
#pragma pop_macro("offsetof")

#endif /* TLD_ABI_H */
