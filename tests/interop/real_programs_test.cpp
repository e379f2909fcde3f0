// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Issue 13 as a scheduler author met it: unmodified xz -T4, python3 threads and java under the
// preload through tldd, each thread given a prio of its own with `tldctl set PID/TID`. The
// reader built on upstream's protocol must see each thread's own prio (and the tag keys.conf
// gives the program), exactly as tld.bpf.h does.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sys/stat.h>

#include "bpffs.h"
#include "broker_fixture.h"
#include "eventually.h"
#include "harness.h"
#include "readers.h"
#include "tests/tldd/harness.h"

namespace tld::test {
namespace {

class InteropReal : public BrokerPreloadTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(
		        start({"--registration-delay-ms", "0"},
		              "[key.flag]\ntype = bool\ndefault = true\n\n[key.prio]\n"
		              "type = u32\ndefault = 1\n\n[key.budget]\ntype = u64\n"
		              "default = 77\n\n[key.tag]\ntype = bytes:16\n\n[rule.xz]\n"
		              "exe = xz\nset = tag = xz\n\n[rule.python]\n"
		              "exe = python3*\nset = tag = py\n\n[rule.java]\n"
		              "exe = java\nset = tag = java\n"));
		std::string why;
		for (auto [object, how] :
		     {std::pair{upstream_object(), Reuse::PinPath}, {tld_object(), Reuse::Fd}}) {
			auto r = Reader::load(object, tldd_.pin_root, how, &why);
			ASSERT_TRUE(r) << why;
			readers_.push_back(std::move(r));
		}
	}

	// Gives each registered thread of the running program prio 500 + i and checks what both
	// readers see, thread by thread. Returns how many threads were checked.
	std::size_t check(const std::vector<std::string> &argv, const std::string &tag,
	                  std::size_t want)
	{
		App app(argv, preload_env(config_, {"HOME=/tmp"}), "/dev/null");
		std::map<pid_t, interop_rec> seen;
		eventually([&] {
			seen = readers_.back()->read(app.pid());
			return seen.size() >= want;
		});
		std::map<pid_t, std::uint32_t> prio;
		for (auto &[tid, rec] : seen) {
			std::uint32_t p = 500 + static_cast<std::uint32_t>(prio.size());
			std::string target = std::to_string(app.pid()) + "/" + std::to_string(tid);
			RunResult r = run({TLDCTL_PATH, "--pin-root", tldd_.pin_root, "--config",
			                   config_, "--socket", tldd_.socket_path, "set", target,
			                   "prio=" + std::to_string(p)},
			                  {"PATH=/usr/bin:/bin"});
			if (r.status == 0)
				prio[tid] = p;
		}
		std::size_t checked = 0;
		std::vector<std::map<pid_t, interop_rec>> now;
		for (auto &r : readers_)
			now.push_back(r->read(app.pid()));
		for (auto &[tid, p] : prio) {
			bool everywhere = true;
			for (auto &m : now)
				everywhere = everywhere && m.count(tid);
			if (!everywhere)
				continue; // exited meanwhile
			checked++;
			for (size_t r = 0; r < readers_.size(); r++) {
				SCOPED_TRACE(readers_[r]->name() + " thread " +
				             std::to_string(tid));
				const interop_rec &rec = now[r][tid];
				for (int k = 0; k < INTEROP_KEYS; k++)
					EXPECT_EQ(rec.key[k].found, 1) << k;
				std::uint32_t got;
				std::memcpy(&got, rec.key[INTEROP_K_PRIO].bytes, sizeof(got));
				EXPECT_EQ(got, p) << "another thread's prio";
				EXPECT_EQ(rec.key[INTEROP_K_FLAG].bytes[0], 1);
				std::uint64_t budget;
				std::memcpy(&budget, rec.key[INTEROP_K_BUDG].bytes, sizeof(budget));
				EXPECT_EQ(budget, 77u);
				std::string t(reinterpret_cast<const char *>(
				                      rec.key[INTEROP_K_TAG].bytes),
				              16);
				EXPECT_EQ(t, tag + std::string(16 - tag.size(), '\0'));
			}
		}
		EXPECT_EQ(app.finish(120000), 0) << app.err();
		return checked;
	}

	std::vector<std::unique_ptr<Reader>> readers_;
};

TEST_F(InteropReal, XzWithFourThreads)
{
	// -1 cuts 3 MiB blocks: 48 MiB keeps four threads busy for a few seconds.
	std::string input = write_input(dir_.path(), 48 << 20);
	EXPECT_GE(check({"/usr/bin/xz", "-T4", "-1", "-c", input}, "xz", 5), 4u);
}

TEST_F(InteropReal, Python3Threads)
{
	EXPECT_GE(check({"/usr/bin/python3", std::string(TLD_TEST_SOURCE_DIR) + "/apps/workers.py",
	                 "4"},
	                "py", 9),
	          8u);
}

TEST_F(InteropReal, Java)
{
	EXPECT_GE(check({"/usr/bin/java", "-Xshare:auto", "-XX:TieredStopAtLevel=1",
	                 std::string(TLD_TEST_SOURCE_DIR) + "/apps/Workers.java", "6000"},
	                "java", 12),
	          4u);
}

} // namespace
} // namespace tld::test
