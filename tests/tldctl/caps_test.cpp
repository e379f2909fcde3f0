// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The set program runs with CAP_BPF alone, all tldd's unit grants it; the dump iterator needs
// CAP_PERFMON as well, which is why tldd writes hints with the former.
#include <gtest/gtest.h>

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "fixture.h"
#include "reader.h"
#include "tldctl/dump.h"
#include "tldctl/setter.h"

namespace tld::test {
namespace {

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

// Leaves the calling process with CAP_BPF and nothing else.
bool keep_only_cap_bpf()
{
	for (int cap = 0; cap <= 63; cap++)
		if (cap != CAP_BPF && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
			return false;
	__user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	__user_cap_data_struct data[2] = {};
	data[CAP_BPF / 32].effective = data[CAP_BPF / 32].permitted = 1u << (CAP_BPF % 32);
	return syscall(SYS_capset, &hdr, data) == 0;
}

TEST_F(TldctlTest, SetProgramNeedsOnlyCapBpf)
{
	Workload w(spec(2));
	ASSERT_TRUE(w.ok()) << w.error();
	int map_fd = map_.fd();
	pid_t pid = w.pid();
	std::vector<pid_t> tids = w.tids();

	TLD_IN_CHILD([&] {
		ASSERT_TRUE(keep_only_cap_bpf()) << strerror(errno);
		auto dumper = ctl::Dumper::load(map_fd, -1);
		EXPECT_FALSE(dumper) << "a task iterator loaded without CAP_PERFMON";
		auto setter = ctl::Setter::load(map_fd);
		ASSERT_TRUE(setter) << setter.error().message();
		auto out = setter->apply(pid, tids, "class", {42, 0, 0, 0});
		ASSERT_TRUE(out) << out.error().message();
		EXPECT_TRUE(out->written);
		ASSERT_EQ(out->results.size(), 2u);
		for (const auto &r : out->results)
			EXPECT_EQ(r.err, 0) << "thread " << r.tid;
		// A thread of another process, named with this one's pid: refused.
		auto wrong = setter->apply(pid, {getpid()}, "class", {1, 0, 0, 0});
		ASSERT_TRUE(wrong);
		EXPECT_FALSE(wrong->written);
		EXPECT_EQ(wrong->results.at(0).err, -ESRCH);
	});
	ClassReader reader(map_.fd());
	EXPECT_EQ(reader.read(pid), (std::map<pid_t, uint32_t>{{tids[0], 42}, {tids[1], 42}}));
}

} // namespace
} // namespace tld::test
