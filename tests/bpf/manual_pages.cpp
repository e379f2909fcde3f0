// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "manual_pages.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

namespace tld::test {

Page::Page()
{
	addr_ = mmap(nullptr, TLD_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	             -1, 0);
	if (addr_ == MAP_FAILED)
		std::abort(); // no memory for one page: nothing in the test can proceed
	std::memset(addr_, 0, TLD_PAGE_SIZE);
}

Page::~Page()
{
	munmap(addr_, TLD_PAGE_SIZE);
}

void set_key(tld_meta_u *meta, unsigned i, const std::string &name, std::uint16_t size)
{
	tld_metadata *m = &meta->metadata[i];
	std::memset(m->name, 0, sizeof(m->name));
	std::memcpy(m->name, name.data(), std::min(name.size(), sizeof(m->name)));
	m->size = size;
}

Registration::Registration(int map_fd) : map_fd_(map_fd)
{
	int fd = static_cast<int>(syscall(SYS_pidfd_open, gettid(), PIDFD_THREAD));
	if (fd < 0)
		error_ = std::string("pidfd_open(gettid(), PIDFD_THREAD): ") + std::strerror(errno);
	pidfd_.reset(fd);
}

Registration::~Registration()
{
	// Before the pages go: a registration keeps BPF reading (and writing) them.
	if (registered_) {
		int fd = pidfd_.get();
		bpf_map_delete_elem(map_fd_, &fd);
	}
}

int Registration::update(const Page &meta, const Page &data, std::uint16_t start)
{
	tld_map_value value = {};
	value.data = reinterpret_cast<tld_data_u *>(data.bytes());
	value.meta = meta.meta();
	// Where the block is: the page's own start word (abi.h).
	reinterpret_cast<tld_data_u *>(data.bytes())->start = start;
	int fd = pidfd_.get();
	int err = bpf_map_update_elem(map_fd_, &fd, &value, BPF_ANY);
	if (err)
		return -errno;
	registered_ = true;
	return 0;
}

int Registration::clear_cache(int key_map_fd)
{
	int fd = pidfd_.get();
	int err = bpf_map_delete_elem(key_map_fd, &fd);
	return err && errno != ENOENT ? -errno : 0;
}

} // namespace tld::test
