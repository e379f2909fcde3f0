// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The maps tldd creates and pins. Only the definitions matter: tldd loads this object to create
 * tld_data_map with exactly the BTF a consumer's tld.bpf.h declares, so bpf_map__reuse_fd and a
 * pin path both work, and its own tld_broker_map next to it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <tld/abi.h>
#include <tld/broker_map.bpf.h>
#include <tld/data_map.bpf.h>

/* Forces full definitions of the uptr pointees into BTF (see tld_btf_anchor). */
const volatile struct {
	__u32 abi_version;
	struct tld_btf_anchor anchor;
} tld_abi_info = {.abi_version = TLD_ABI_VERSION};

char LICENSE[] SEC("license") = "Dual BSD/GPL";
