// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Real, unmodified multi-threaded programs under the preload: while they run, every worker
// thread carries the configured hints as BPF reads them, and their output is byte-identical
// to a run without the preload.
#include <gtest/gtest.h>

#include <dirent.h>
#include <fstream>
#include <random>
#include <set>

#include <bpf/bpf.h>

#include "bpffs.h"
#include "harness.h"
#include "test_map.h"

namespace tld::test {
namespace {

bool same_file(const std::string &a, const std::string &b)
{
	std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
	std::string da((std::istreambuf_iterator<char>(fa)), {});
	std::string db((std::istreambuf_iterator<char>(fb)), {});
	return !da.empty() && da == db;
}

class RealPrograms : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(bpffs_.ok());
		ASSERT_GE(map_.fd(), 0) << map_.error();
		ASSERT_EQ(bpf_obj_pin(map_.fd(), (bpffs_.path() + "/tld_data_map").c_str()), 0);
		config_ = write_config(dir_.path(),
		                       "registration = direct\npin_root = " + bpffs_.path() +
		                               "\nsocket = " + dir_.path() + "/none.sock\n");
	}

	// Runs argv with and without the preload. While the preloaded run lasts, samples what BPF
	// sees: every thread alive across two samples must be registered with `tag` and the
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
			if (history.size() >= 2)
				for (pid_t tid : history[history.size() - 2])
					if (before.count(tid) && after.count(tid))
						EXPECT_TRUE(hints.count(tid))
						        << "thread " << tid
						        << " alive for two samples "
						        << "but not registered";
			history.push_back(before);
			usleep(20000);
		}
		EXPECT_EQ(app.finish(120000), 0) << app.err();
		EXPECT_TRUE(same_file(plain_out, tld_out)) << "output differs under the preload";
		EXPECT_EQ(app.err(), plain.err);
		return carried.size();
	}

	std::string make_input(std::size_t bytes)
	{
		std::string path = dir_.path() + "/input";
		std::mt19937_64 rng(42);
		std::string data(bytes, '\0');
		for (std::size_t i = 0; i < bytes; i++)
			data[i] = static_cast<char>('a' + rng() % (i % 4096 < 2048 ? 4 : 26));
		std::ofstream(path, std::ios::binary) << data;
		return path;
	}

	TempDir dir_;
	BpffsMount bpffs_;
	TestMap map_;
	std::string config_;
};

TEST_F(RealPrograms, XzWithFourThreads)
{
	// -1 cuts 3 MiB blocks: 12 MiB keeps four threads busy for about a second.
	std::string input = make_input(12 << 20);
	EXPECT_GE(check({"/usr/bin/xz", "-T4", "-1", "-c", input}, "xz"), 3u);
}

TEST_F(RealPrograms, ZstdWithFourThreads)
{
	std::string input = make_input(32 << 20);
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
