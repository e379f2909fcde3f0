// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Test programs that know nothing of tld, under the real preload, registering directly into a
// real pinned tld_data_map: for every live thread BPF sees exactly what config and rules give.
#include <gtest/gtest.h>

#include <algorithm>
#include <dirent.h>
#include <fstream>
#include <set>
#include <sys/stat.h>

#include <bpf/bpf.h>

#include "bpffs.h"
#include "direct_fixture.h"
#include "eventually.h"
#include "harness.h"

namespace tld::test {
namespace {

struct Expect {
	unsigned prio = 1;
	bool latency = false;
	unsigned long long deadline_ns = 2000000;
	std::string tag = "none";
};

Expect expected_for(const std::string &role)
{
	Expect e;
	if (role.rfind("worker-", 0) == 0 || role == "renamed") // "renamed" becomes worker-7
		e.prio = role == "worker-1" ? 9 : 5;
	if (role == "latency") {
		e.latency = true;
		e.tag = "fast";
	}
	return e;
}

void check_thread(const std::map<pid_t, Hints> &hints, pid_t tid, const std::string &role,
                  const Expect &e)
{
	SCOPED_TRACE("thread " + std::to_string(tid) + " (" + role + ")");
	auto it = hints.find(tid);
	ASSERT_NE(it, hints.end()) << "BPF sees no task local data for this thread";
	const Hints &h = it->second;
	EXPECT_EQ(h.found, unsigned(HINT_PRIO | HINT_LATENCY | HINT_DEADLINE | HINT_TAG));
	EXPECT_EQ(h.prio, e.prio);
	EXPECT_EQ(h.latency, e.latency);
	EXPECT_EQ(h.deadline_ns, e.deadline_ns);
	EXPECT_EQ(h.tag, e.tag);
}

// A pinned map in a private bpffs and a config that registers into it directly.
class PreloadDirect : public DirectPreloadTest {
protected:
	// Runs `app` under the preload until READY and checks every announced thread.
	std::map<pid_t, std::string>
	run_and_check(const std::vector<std::string> &argv,
	              const std::vector<std::string> &extra_env = {},
	              Expect (*expect)(const std::string &) = expected_for)
	{
		App app(argv, preload_env(config_, extra_env));
		auto roles = app.wait_ready();
		EXPECT_FALSE(roles.empty()) << "no READY; stderr: " << app.err();
		auto hints = read_hints(map_.fd());
		std::set<pid_t> live = live_tids(app.pid());
		for (auto &[tid, role] : roles)
			if (live.count(tid)) // threads of an image replaced by exec are gone
				check_thread(hints, tid, role, expect(role));
		// Every live thread of the process carries hints, not just the announced ones.
		for (pid_t tid : live)
			EXPECT_TRUE(hints.count(tid)) << "live thread " << tid << " not registered";
		EXPECT_EQ(app.finish(), 0) << app.err();
		EXPECT_EQ(app.err(), "") << "the preload printed something";
		return roles;
	}
};

TEST_F(PreloadDirect, PthreadsOfEveryKindCarryTheirHints)
{
	auto roles = run_and_check({app_path("threads_app"), "mix"});
	std::set<std::string> seen;
	for (auto &[tid, role] : roles)
		seen.insert(role);
	EXPECT_EQ(seen, (std::set<std::string>{"main", "worker-0", "worker-1", "worker-2",
	                                       "renamed", "latency", "detached"}));
}

TEST_F(PreloadDirect, TldSetOverridesRulesForOneRun)
{
	run_and_check({app_path("threads_app"), "mix"}, {"TLD_SET=prio=3,tag=env"},
	              [](const std::string &role) {
		              Expect e = expected_for(role);
		              e.prio = 3;
		              e.tag = "env";
		              return e;
	              });
}

TEST_F(PreloadDirect, StdThreadWorkers)
{
	auto roles = run_and_check({app_path("cxx_app")});
	EXPECT_EQ(roles.size(), 5u);
}

TEST_F(PreloadDirect, ForkChildGetsItsOwnRegisteredBlocks)
{
	App app({app_path("threads_app"), "fork"}, preload_env(config_));
	auto roles = app.wait_ready();
	ASSERT_FALSE(roles.empty()) << app.err();
	auto hints = read_hints(map_.fd());
	pid_t parent = app.pid(), child = 0;
	for (auto &[tid, role] : roles) {
		check_thread(hints, tid, role, expected_for(role));
		if (role == "child-forker")
			child = hints.count(tid) ? hints.at(tid).pid : 0;
	}
	ASSERT_NE(child, 0);
	EXPECT_NE(child, parent);
	for (pid_t tid : live_tids(child))
		EXPECT_TRUE(hints.count(tid)) << "child thread " << tid << " not registered";
	EXPECT_EQ(app.finish(), 0) << app.err();
}

TEST_F(PreloadDirect, ExecWithPreloadStartsFresh)
{
	auto roles = run_and_check({app_path("threads_app"), "exec"});
	std::set<std::string> seen;
	for (auto &[tid, role] : roles)
		seen.insert(role);
	EXPECT_TRUE(seen.count("main")) << "the new image did not come up";
}

TEST_F(PreloadDirect, ExecWithoutPreloadLeavesNoStaleHints)
{
	App app({app_path("threads_app"), "exec", "clean"}, preload_env(config_));
	auto roles = app.wait_ready();
	pid_t pid = app.pid();
	bool new_image = false;
	for (auto &[tid, role] : roles)
		new_image |= role == "main";
	ASSERT_TRUE(new_image) << app.err();
	auto hints = read_hints(map_.fd());
	for (auto &[tid, h] : hints)
		EXPECT_NE(h.pid, pid) << "thread " << tid << " of the new image still has hints";
	EXPECT_EQ(app.finish(), 0) << app.err();
}

// The measurement behind the exec wrappers: task storage belongs to the task, so a registration
// made before exec survives into the new image unless someone removes it.
TEST_F(PreloadDirect, KernelKeepsTaskStorageAcrossExec)
{
	App app({app_path("exec_probe"), bpffs_.path() + "/tld_data_map"}, {"PATH=/usr/bin:/bin"});
	std::string out;
	eventually([&] {
		app.wait_ready(50);
		return app.out().find("REGISTERED") != std::string::npos;
	});
	ASSERT_NE(app.out().find("REGISTERED"), std::string::npos) << app.err();
	// Wait until the image is sleep(1).
	std::string comm;
	eventually([&] {
		comm = comm_of(app.pid()) + "\n";
		return comm == "sleep\n";
	});
	ASSERT_EQ(comm, "sleep\n");
	auto hints = read_hints(map_.fd());
	ASSERT_TRUE(hints.count(app.pid())) << "the kernel dropped the entry at exec";
	EXPECT_EQ(hints.at(app.pid()).prio, 42u) << "the new image sees the old image's hint";
}

TEST_F(PreloadDirect, VforkPosixSpawnAndSystemLeaveRegistrationsAlone)
{
	auto roles = run_and_check({app_path("threads_app"), "children"});
	std::set<std::string> seen;
	for (auto &[tid, role] : roles)
		seen.insert(role);
	EXPECT_EQ(seen, (std::set<std::string>{"main", "children"}));
}

// A program that links libtld shares the preload's keys and blocks.
TEST_F(PreloadDirect, ProgramsThatKnowTldShareItsKeys)
{
	App app({app_path("tld_aware")}, preload_env(config_));
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 1u) << app.out() << app.err();
	EXPECT_NE(app.out().find("prio 1\n"), std::string::npos) << app.out();
	EXPECT_NE(app.out().find("after-free prio 1\n"), std::string::npos) << app.out();
	EXPECT_EQ(app.out().find("own -"), std::string::npos) << app.out();
	auto hints = read_hints(map_.fd());
	ASSERT_TRUE(hints.count(app.pid()));
	EXPECT_EQ(hints.at(app.pid()).prio, 42u) << "BPF does not see the program's own store";
	EXPECT_EQ(app.finish(), 0);
	EXPECT_EQ(app.err(), "");
}

// TLD_DEFINE_KEY as getting-started shows: a key of the config's name and size is the config's
// key, another size is refused with a message naming both; without the preload,
// tld_get_data(-1, ...) fails with ENOTCONN.
bool has_line(const std::string &text, const std::string &line)
{
	return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST_F(PreloadDirect, SameNameAndSizeIsTheConfigsKey)
{
	App app({app_path("defines_keys")}, preload_env(config_));
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 1u) << app.out() << app.err();
	EXPECT_TRUE(has_line(app.out(), "prio-key 0")) << app.out(); // the config's first key
	EXPECT_TRUE(has_line(app.out(), "prio 1")) << "not the configured value: " << app.out();
	auto hints = read_hints(map_.fd());
	ASSERT_TRUE(hints.count(app.pid())) << "BPF sees no hints for the program";
	EXPECT_EQ(hints.at(app.pid()).prio, 10u) << "BPF does not see the program's store";
	EXPECT_EQ(hints.at(app.pid()).deadline_ns, 0u) << "the refused key changed the config's";
	EXPECT_EQ(app.finish(), 0);
}

TEST_F(PreloadDirect, TldDebugSaysWhenAProgramSharesAConfigKey)
{
	App app({app_path("defines_keys")}, preload_env(config_, {"TLD_DEBUG=1"}));
	app.wait_ready();
	EXPECT_EQ(app.finish(), 0);
	EXPECT_NE(app.err().find("tld: tld_create_key(\"prio\", 4): the key " + config_ + ":"),
	          std::string::npos)
	        << app.err();
	EXPECT_NE(app.err().find("declares, shared with the program\n"), std::string::npos)
	        << app.err();
}

TEST_F(PreloadDirect, AnotherSizeIsRefusedNamingBothSizes)
{
	App app({app_path("defines_keys")}, preload_env(config_));
	app.wait_ready();
	EXPECT_TRUE(has_line(app.out(), "deadline-key " + std::to_string(-EEXIST))) << app.out();
	EXPECT_EQ(app.finish(), 0);
	// One line on the program's stderr: the call, the config's line and type, both sizes.
	const std::string &err = app.err();
	EXPECT_NE(err.find("tld: tld_create_key(\"deadline_ns\", 4): " + config_ + ":"),
	          std::string::npos)
	        << err;
	EXPECT_NE(err.find("declares deadline_ns as u64 (8 bytes)"), std::string::npos) << err;
	EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_F(PreloadDirect, WithoutThePreloadGetDataSaysNotConnected)
{
	RunResult r = run({app_path("defines_keys")}, {"PATH=/usr/bin:/bin"});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_TRUE(has_line(r.out, "prio-key 0")) << r.out;
	EXPECT_TRUE(has_line(r.out, "deadline-key 8")) << r.out;
	EXPECT_TRUE(has_line(r.out, "get_data ENOTCONN")) << r.out;
	EXPECT_EQ(r.err, "");
}

TEST_F(PreloadDirect, ManyShortThreadsRunNormally)
{
	RunResult r = run({app_path("threads_app"), "spawn", "300"}, preload_env(config_));
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "spawned\n");
	EXPECT_EQ(r.err, "");
}

} // namespace
} // namespace tld::test
