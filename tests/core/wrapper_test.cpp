// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The C++ wrapper: typed keys over the C API, and a scope that releases the thread's block.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <tld/tld.hpp>

#include "child.h"
#include "libtld/arena.h"
#include "sys/syscalls.h"
#include "test_map.h"

namespace {

struct Deadline {
	std::uint64_t ns;
	std::uint32_t cpu;
};

TEST(Wrapper, TypedKeysAndScopedRelease)
{
	TLD_IN_CHILD([] {
		tld::test::TestMap map;
		ASSERT_GE(map.fd(), 0) << map.error();
		auto prio = tld::Key<int>::create("prio");
		auto deadline = tld::Key<Deadline>::create("deadline");
		ASSERT_TRUE(prio.ok());
		ASSERT_TRUE(deadline.ok());
		EXPECT_EQ(tld::Key<int>::create("prio").error(), -EEXIST);
		EXPECT_EQ(tld::Key<int>::find("prio").raw().off, prio.raw().off);
		EXPECT_EQ(tld::Key<int>::find("absent").error(), -ENOENT);

		std::thread([&] {
			tld::ThreadScope scope;
			int *p = prio.get(map.fd());
			Deadline *d = deadline.get(map.fd());
			ASSERT_NE(p, nullptr) << strerror(errno);
			ASSERT_NE(d, nullptr);
			*p = 7;
			*d = {123, 1};
			EXPECT_EQ(*prio.get(map.fd()), 7);
			EXPECT_EQ(reinterpret_cast<char *>(d) - reinterpret_cast<char *>(p),
			          deadline.raw().off - prio.raw().off);
			EXPECT_EQ(tld::arena::live_blocks(), 1u);
		}).join();
		EXPECT_EQ(tld::arena::live_blocks(), 0u) << "ThreadScope did not release";
	});
}

} // namespace
