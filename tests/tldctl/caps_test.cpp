// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The set program runs with CAP_BPF alone, all tldd's unit grants it; the dump iterator needs
// CAP_PERFMON as well, which is why tldd writes hints with the former.
#include <gtest/gtest.h>

#include <bpf/bpf.h>
#include <linux/capability.h>
#include <memory>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "child.h"
#include "fixture.h"
#include "progs/dump.h"
#include "progs/setter.h"
#include "reader.h"
#include <tldctl/records.h>

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

// The set program on a thread the loader did not mark, as a task that took a verified thread's
// tid after it exited would be (issue 10, item 6): refused, nothing written. The old program
// wrote to whatever task had the number.
TEST_F(TldctlTest, SetProgramWritesOnlyTheThreadTheLoaderMarked)
{
	Workload w(spec(1));
	ASSERT_TRUE(w.ok()) << w.error();
	const pid_t tid = w.tids().at(0);
	std::unique_ptr<tldctl_set, void (*)(tldctl_set *)> skel(tldctl_set__open(),
	                                                         tldctl_set__destroy);
	ASSERT_TRUE(skel);
	ASSERT_EQ(bpf_map__reuse_fd(skel->maps.tld_data_map, map_.fd()), 0);
	ASSERT_EQ(tldctl_set__load(skel.get()), 0);
	const char key[] = "class";
	memcpy(skel->bss->key_name.c, key, sizeof(key));
	memset(skel->bss->key_mask.c, 0xff, sizeof(key));
	skel->bss->value_size = 4;
	skel->bss->value[0] = 77;
	tldctl_set_ctx ctx = {};
	ctx.tid = tid; // and no mark on it
	bpf_test_run_opts opts = {};
	opts.sz = sizeof(opts);
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	ASSERT_EQ(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.tldctl_set), &opts), 0);
	EXPECT_EQ(ctx.err, -ESRCH);
	ClassReader reader(map_.fd());
	EXPECT_NE(reader.read(w.pid()).at(tid), 77u) << "written to an unmarked thread";
}

} // namespace
} // namespace tld::test
