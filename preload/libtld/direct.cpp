// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "direct.h"

#include <cerrno>

#include <tld/abi.h>

#include "sys/syscalls.h"

namespace tld::direct {

int register_thread(int map_fd, pid_t tid, const arena::Block &block)
{
	tld_meta_u *meta = arena::meta();
	if (!meta || !block)
		return -EINVAL;
	tld_map_value value = {};
	value.data = static_cast<tld_data_u *>(block.page);
	value.meta = meta;
	int err = sys::with_thread_pidfd(tid, [&](int pidfd) {
		return sys::bpf_map_update(map_fd, &pidfd, &value, BPF_ANY);
	});
	return err < 0 ? err : 0;
}

int unregister_thread(int map_fd, pid_t tid)
{
	int err = sys::with_thread_pidfd(
	        tid, [&](int pidfd) { return sys::bpf_map_delete(map_fd, &pidfd); });
	return err == -ENOENT ? 0 : err;
}

} // namespace tld::direct
