// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "progs/uptr_probe.h"

#include <bpf/bpf.h>
#include <cerrno>
#include <sys/mman.h>
#include <unistd.h>

#include <tld/abi.h>

#include "sys/fd.h"
#include "sys/pidfd_compat.h"

namespace tld::progs {

Result<UptrFields> probe_uptr_fields(int map_fd)
{
	void *page = mmap(nullptr, TLD_PAGE_SIZE, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return error_from_errno("mmap", errno);
	// The leader's pidfd, not a thread's: PIDFD_THREAD would refuse a kernel this probe
	// exists to diagnose.
	Fd self(sys::pidfd_open(getpid(), 0));
	int key = self.get();
	tld_map_value v{};
	v.data = static_cast<tld_data_u *>(page);
	v.meta = static_cast<tld_meta_u *>(page);
	int err = self ? bpf_map_update_elem(map_fd, &key, &v, BPF_ANY) : -errno;
	tld_map_value back{};
	if (!err)
		err = bpf_map_lookup_elem(map_fd, &key, &back);
	if (self)
		bpf_map_delete_elem(map_fd, &key);
	munmap(page, TLD_PAGE_SIZE);
	if (err)
		return error_from_errno("test registration in the tld_data_map", err);
	return back.data || back.meta ? UptrFields::plain : UptrFields::uptrs;
}

} // namespace tld::progs
