// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Hand-built meta and data pages and a direct registration of the calling thread, so the BPF
// side can be tested on exactly the bytes a test writes (garbage included), without libtld.
#pragma once

#include <cstdint>
#include <string>

#include <tld/abi.h>

#include "sys/fd.h"

namespace tld::test {

// One page-aligned, zeroed, private anonymous page: a valid uptr target.
class Page {
public:
	Page();
	~Page();
	Page(const Page &) = delete;
	Page &operator=(const Page &) = delete;

	char *bytes() const { return static_cast<char *>(addr_); }
	tld_meta_u *meta() const { return static_cast<tld_meta_u *>(addr_); }

private:
	void *addr_ = nullptr;
};

// Writes metadata[i] = {name, size}. Copies at most TLD_NAME_LEN bytes of @name as given, so a
// test can write a name without a terminator.
void set_key(tld_meta_u *meta, unsigned i, const std::string &name, std::uint16_t size);

// The calling thread's entry in a tld_data_map: pidfd_open(gettid(), PIDFD_THREAD) and
// bpf_map_update_elem(), the direct registration path. Deleted with the object.
class Registration {
public:
	// Opens the thread's pidfd; check ok() (the error is in error()).
	explicit Registration(int map_fd);
	~Registration();
	Registration(const Registration &) = delete;
	Registration &operator=(const Registration &) = delete;

	bool ok() const { return pidfd_.valid(); }
	const std::string &error() const { return error_; }
	int pidfd() const { return pidfd_.get(); }

	// (Re)registers the thread with these pages. Returns 0 or -errno.
	int update(const Page &meta, const Page &data, std::uint16_t start);
	// Drops the thread's tld_key_map entry in @key_map_fd, i.e. the BPF side's offset cache.
	int clear_cache(int key_map_fd);

private:
	int map_fd_;
	Fd pidfd_;
	bool registered_ = false;
	std::string error_;
};

} // namespace tld::test
