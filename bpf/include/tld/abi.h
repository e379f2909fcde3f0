/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The task-local-data ABI: the one layout shared by BPF programs, libtld, tldd and tldctl.
 * It follows the upstream task-local-data layout, so a consumer built against upstream's
 * task_local_data.bpf.h reads tld's data and vice versa.
 *
 *   tld_data_map: task storage, key = a pidfd (user space) / the task (BPF),
 *                 value = struct tld_map_value, both pointers are __uptr (pinned user pages).
 *   meta  -> one page per process: key names and sizes, shared by all its threads.
 *   data  -> a page base; this thread's block starts at `start` inside that page and a key
 *            lives at `start + off`, off = sum of the 8-rounded sizes of the keys before it.
 *
 * Included by BPF C (after vmlinux.h, which provides __u16/__u64) and by C/C++ user space.
 */
#ifndef TLD_ABI_H
#define TLD_ABI_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

/* Bumped on any incompatible change of the structs below or of the broker protocol. */
#define TLD_ABI_VERSION 1
#define TLD_PAGE_SIZE   4096
/* name[] holds at most TLD_NAME_LEN - 1 characters and a NUL, zero padded. */
#define TLD_NAME_LEN      62
#define TLD_MAX_KEYS      63
#define TLD_DATA_ALIGN    8
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
	__u64 unused;
	char data[TLD_PAGE_SIZE - 8];
};

struct tld_map_value {
	struct tld_data_u __uptr *data; /* page base of this thread's block */
	struct tld_meta_u __uptr *meta; /* the process's meta page */
	__u16 start;                    /* offset of the thread's block within the data page */
	__u16 flags;                    /* TLD_MAP_F_*: 0 from direct registrants */
};

/*
 * tldd registered this entry for the thread's process (the broker). In what was padding, so it
 * comes with the registration at no cost and goes when anything re-registers the thread.
 * Whoever may write the map may set it, but they may attach memory to any task anyway: the map
 * is root-only or a trusted group's (docs/security.md).
 */
#define TLD_MAP_F_BROKERED 0x1

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
TLD_STATIC_ASSERT(offsetof(struct tld_data_u, data) == 8, "data[] at 8");
TLD_STATIC_ASSERT(offsetof(struct tld_map_value, data) == 0, "data first");
TLD_STATIC_ASSERT(offsetof(struct tld_map_value, meta) == 8, "meta second");
TLD_STATIC_ASSERT(offsetof(struct tld_map_value, start) == 16, "start third");
TLD_STATIC_ASSERT(offsetof(struct tld_map_value, flags) == 18, "flags in start's padding");
TLD_STATIC_ASSERT(sizeof(struct tld_map_value) == 24, "tld_map_value is 24 bytes");
#pragma pop_macro("offsetof")

#endif /* TLD_ABI_H */
