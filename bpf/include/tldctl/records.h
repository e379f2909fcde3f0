/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What tldctl's BPF programs hand to user space: plain C structs included by the BPF objects
 * (bpf/tldctl_*.bpf.c) and by tldctl. Private to tldctl, not part of the tld ABI.
 *
 * The dump iterator (tldctl_dump.bpf.c) writes, for every task with an entry in tld_data_map,
 * one struct tldctl_thread_rec followed by @nkeys struct tld_metadata (the meta page's key
 * table, as the task's process published it) and @block_len bytes of the thread's block,
 * zero padded to a multiple of 8. Everything after the header is user-controlled memory and
 * must be validated again by the reader.
 */
#ifndef TLDCTL_RECORDS_H
#define TLDCTL_RECORDS_H

#if !defined(__bpf__)
#include <linux/types.h>
#endif

#define TLDCTL_REC_MAGIC 0x52444c54u /* "TLDR" */

/* tldctl_thread_rec.flags */
#define TLDCTL_REC_NO_META      0x1u  /* the entry has no meta page (uptr NULL) */
#define TLDCTL_REC_NO_DATA      0x2u  /* the entry has no data page */
#define TLDCTL_REC_BAD_CNT      0x4u  /* meta->cnt > TLD_MAX_KEYS: only TLD_MAX_KEYS keys follow */
#define TLDCTL_REC_BAD_SIZE     0x8u  /* start + meta->size crosses the page: the block is cut */
#define TLDCTL_REC_BROKERED     0x10u /* tldd registered it (its tld_broker_map says so) */
#define TLDCTL_REC_PATH_UNKNOWN 0x20u /* no tld_broker_map: brokered or direct is not known */
#define TLDCTL_REC_BAD_START    0x40u /* the page's start word is past the page: no block */

struct tldctl_thread_rec {
	__u32 magic; /* TLDCTL_REC_MAGIC */
	__u32 pid;   /* thread group id, in the iterator's pid namespace */
	__u32 tid;
	__u32 flags;     /* TLDCTL_REC_* */
	char comm[16];   /* the thread's name */
	char pcomm[16];  /* the thread group leader's name */
	__u64 data_page; /* opaque identity of the data page, for counting pinned pages */
	__u64 meta_page; /* opaque identity of the meta page */
	__u16 start;     /* the data page's start word: where the block is in it */
	__u16 meta_cnt;  /* meta->cnt as read */
	__u16 meta_size; /* meta->size as read */
	__u16 nkeys;     /* struct tld_metadata entries that follow */
	__u16 block_len; /* block bytes that follow the keys */
	__u16 reserved0;
	__u32 reserved1;
};

/*
 * The context of the set program (tldctl_set.bpf.c), one BPF_PROG_TEST_RUN per thread: the
 * kernel copies it back, with err and off filled in.
 */
struct tldctl_set_ctx {
	__s32 tid; /* in: the thread (global pid namespace) */
	__u32 reserved0;
	__u32 check_only; /* in: 1: validate, write nothing */
	__s32 err;        /* out: 0 or -errno, see tldctl_set.bpf.c */
	__u32 off;        /* out: the key's offset in the block, when found */
	__u32 reserved1;
};

/* The largest value `set` writes: bytes:N keys are at most 4000 bytes (config/values.h). */
#define TLDCTL_MAX_VALUE 4000

#if defined(__cplusplus)
static_assert(sizeof(struct tldctl_thread_rec) == 80, "record header size");
static_assert(sizeof(struct tldctl_set_ctx) == 24, "set context size");
#endif

#endif /* TLDCTL_RECORDS_H */
