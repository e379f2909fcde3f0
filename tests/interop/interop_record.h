/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What both readers (upstream_reader.bpf.c and tld_reader.bpf.c) report for one task: the four
 * keys of the interop tests, each as found or not, where in the data page and the bytes there.
 * Plain C, shared by the BPF programs and the tests.
 */
#ifndef TLD_TEST_INTEROP_RECORD_H
#define TLD_TEST_INTEROP_RECORD_H

/* The keys, in the order of interop_rec.key[]: bool, u32, u64, bytes:16. */
#define INTEROP_KEYS   4
#define INTEROP_K_FLAG 0  /* "flag", bool: the first key, at offset 0 of the block */
#define INTEROP_K_PRIO 1  /* "prio", u32 */
#define INTEROP_K_BUDG 2  /* "budget", u64 */
#define INTEROP_K_TAG  3  /* "tag", bytes:16 */
#define INTEROP_READ   16 /* bytes each reader copies from a key's pointer */

struct interop_key {
	__s32 found; /* the reader returned a pointer */
	__u32 off;   /* that pointer minus the data page's base */
	__u8 bytes[INTEROP_READ];
};

struct interop_rec {
	__s32 pid;
	__s32 tid;
	__u64 data_page; /* the entry's data uptr as BPF sees it: which page, for reuse checks */
	struct interop_key key[INTEROP_KEYS];
};

#endif
