// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tld_data_map as tldd created it before TLD_ABI_VERSION 2: a 24-byte value, start and flags
 * after the two uptrs. Pinned by daemon_test.cpp to check that tldd refuses such a pin and
 * names the command that removes it. Written out here (not from abi.h, which has moved on).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define __uptr __attribute__((btf_type_tag("uptr")))

struct abi1_page {
	char bytes[4096];
};

struct tld_map_value {
	struct abi1_page __uptr *data;
	struct abi1_page __uptr *meta;
	__u16 start;
	__u16 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct tld_map_value);
} tld_data_map SEC(".maps");

const volatile struct {
	__u32 abi_version;
	struct abi1_page page[0];
} abi1_anchor = {.abi_version = 1};

char LICENSE[] SEC("license") = "Dual BSD/GPL";
