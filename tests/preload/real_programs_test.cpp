// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Real, unmodified multi-threaded programs under the preload: while they run, every worker
// thread carries the configured hints as BPF reads them, and their output is byte-identical
// to a run without the preload.
#include <gtest/gtest.h>

#include <dirent.h>
#include <fstream>
#include <set>

#include <bpf/bpf.h>

#include "bpffs.h"
#include "direct_fixture.h"
#include "harness.h"

namespace tld::test {
namespace {

bool same_file(const std::string &a, const std::string &b)
{
	std::string da = read_file(a);
	return !da.empty() && da == read_file(b);
}

class RealPrograms : public DirectPreloadTest {
protected:
	// Runs argv with and without the preload. While the preloaded run lasts, samples what BPF
	// sees: every thread alive across three samples must be registered with `tag` and the
	// TLD_SET values. Returns how many distinct threads were seen carrying hints.
	std::size_t check(const std::vector<std::string> &argv, const std::string &tag)
	{
		std::string plain_out = dir_.path() + "/plain.out",
		            tld_out = dir_.path() + "/tld.out";
		RunResult plain = run(argv, {"PATH=/usr/bin:/bin", "HOME=/tmp"}, plain_out);
		EXPECT_EQ(plain.status, 0) << plain.err;

		HintsReader reader(map_.fd());
		App app(argv,
		        preload_env(config_, {"HOME=/tmp", "TLD_SET=prio=77,deadline_ns=123"}),
		        tld_out);
		std::set<pid_t> carried;
		std::vector<std::set<pid_t>> history;
		std::set<pid_t> suspects;
		for (int sample = 0; sample < 400; sample++) {
			std::set<pid_t> before = live_tids(app.pid());
			if (before.empty())
				break;
			auto hints = reader.read();
			std::set<pid_t> after = live_tids(app.pid());
			for (auto &[tid, h] : hints) {
				if (h.pid != app.pid())
					continue;
				EXPECT_EQ(h.found, 15u) << tid;
				EXPECT_EQ(h.prio, 77u) << tid;
				EXPECT_EQ(h.deadline_ns, 123u) << tid;
				EXPECT_EQ(h.tag, tag) << tid;
				carried.insert(tid);
			}
			// A thread that has unregistered in its exit path can linger on a loaded
			// machine: one missing from BPF counts only if it is still alive and
			// missing a sample later.
			std::set<pid_t> missing;
			if (history.size() >= 2)
				for (pid_t tid : history[history.size() - 2])
					if (before.count(tid) && after.count(tid) &&
					    !hints.count(tid))
						missing.insert(tid);
			for (pid_t tid : suspects)
				EXPECT_FALSE(missing.count(tid))
				        << "thread " << tid
				        << " alive for three samples but not registered";
			suspects = std::move(missing);
			history.push_back(before);
			usleep(20000);
		}
		EXPECT_EQ(app.finish(120000), 0) << app.err();
		EXPECT_TRUE(same_file(plain_out, tld_out)) << "output differs under the preload";
		EXPECT_EQ(app.err(), plain.err);
		return carried.size();
	}
};

TEST_F(RealPrograms, XzWithFourThreads)
{
	// -1 cuts 3 MiB blocks: 12 MiB keeps four threads busy for about a second.
	std::string input = write_input(dir_.path(), 12 << 20);
	EXPECT_GE(check({"/usr/bin/xz", "-T4", "-1", "-c", input}, "xz"), 3u);
}

TEST_F(RealPrograms, ZstdWithFourThreads)
{
	std::string input = write_input(dir_.path(), 32 << 20);
	EXPECT_GE(check({"/usr/bin/zstd", "-T4", "-12", "-c", input}, "zstd"), 3u);
}

TEST_F(RealPrograms, Python3WithEightThreads)
{
	EXPECT_GE(check({"/usr/bin/python3", std::string(TLD_TEST_SOURCE_DIR) + "/apps/workers.py",
	                 "2"},
	                "py"),
	          9u);
}

TEST_F(RealPrograms, JavaWithFourThreads)
{
	EXPECT_GE(check({"/usr/bin/java", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
	                 std::string(TLD_TEST_SOURCE_DIR) + "/apps/Workers.java", "2000"},
	                "java"),
	          5u);
}

} // namespace
} // namespace tld::test
