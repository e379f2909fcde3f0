// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// fork(): the child keeps its pointers, gets private pages and its own registration.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <tld/tld.h>

#include "child.h"
#include "libtld/arena.h"
#include "sys/syscalls.h"
#include "test_map.h"

namespace {

bool has_entry(int map_fd)
{
	int pidfd = tld::sys::pidfd_open_thread(tld::sys::gettid());
	tld_map_value v = {};
	int err = tld::sys::bpf_map_lookup(map_fd, &pidfd, &v);
	close(pidfd);
	return err == 0;
}

TEST(Fork, ChildGetsPrivateBlocksAtTheSameAddresses)
{
	TLD_IN_CHILD([] {
		tld::test::TestMap map;
		ASSERT_GE(map.fd(), 0) << map.error();
		tld_key_t key = tld_create_key("value", 8);
		auto *p = static_cast<std::uint64_t *>(tld_get_data(map.fd(), key));
		ASSERT_NE(p, nullptr) << strerror(errno);
		*p = 111;
		int memfd_before = tld::arena::memfd();

		TLD_IN_CHILD([&] {
			EXPECT_EQ(*p, 111u) << "contents copied";
			EXPECT_EQ(tld_get_data(map.fd(), key), p) << "same address";
			EXPECT_TRUE(has_entry(map.fd())) << "child re-registered";
			EXPECT_NE(tld::arena::memfd(), -1);
			*p = 222;
			// Another thread in the child gets a block of the child's own arena.
			std::thread([&] {
				EXPECT_NE(tld_get_data(map.fd(), key), nullptr);
			}).join();
		});
		EXPECT_EQ(*p, 111u) << "child wrote the parent's block";
		EXPECT_EQ(tld::arena::memfd(), memfd_before);
		EXPECT_TRUE(has_entry(map.fd()));
	});
}

} // namespace
