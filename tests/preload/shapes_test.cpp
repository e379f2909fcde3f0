// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Process shapes the preload must survive (issue 14): a child made by a raw clone() syscall, a
// thread started by a shared library's constructor, a seccomp allowlist that kills the process
// on any other syscall. Real programs under the real preload, registering into a real map.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpffs.h"
#include "broker_fixture.h"
#include "direct_fixture.h"
#include "eventually.h"
#include "harness.h"
#include "tests/tldd/harness.h"

namespace tld::test {
namespace {

class PreloadShapes : public DirectPreloadTest {
protected:
	// Every live thread of `pid` carries hints.
	void expect_all_registered(pid_t pid)
	{
		auto hints = read_hints(map_.fd());
		std::set<pid_t> live = live_tids(pid);
		EXPECT_GE(live.size(), 1u);
		for (pid_t tid : live)
			EXPECT_TRUE(hints.count(tid)) << "live thread " << tid << " not registered";
	}
};

// Old code: no fork handler runs in a raw clone child, so it took the parent's thread state
// as its own and its thread exit dropped the parent's registrations (3 tasks, 1 listed).
TEST_F(PreloadShapes, RawCloneChildLeavesTheParentsThreadsRegistered)
{
	App app({app_path("shapes_app"), "clone"}, preload_env(config_));
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 3u) << app.out() << app.err();
	auto hints = read_hints(map_.fd());
	for (auto &[tid, role] : roles)
		EXPECT_TRUE(hints.count(tid)) << role << " " << tid << " not registered";
	expect_all_registered(app.pid());
	EXPECT_EQ(app.finish(), 0) << app.err();
	EXPECT_EQ(app.err(), "");
}

// Old code: the library's constructor ran before the preload's; its thread went through the
// wrapper as a plain pthread_create and was never registered.
TEST_F(PreloadShapes, ThreadFromALibraryConstructorIsRegistered)
{
	App app({app_path("shapes_ctor_app"), "libctor"}, preload_env(config_));
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 2u) << app.out() << app.err();
	auto hints = read_hints(map_.fd());
	for (auto &[tid, role] : roles)
		EXPECT_TRUE(hints.count(tid)) << role << " " << tid << " not registered";
	expect_all_registered(app.pid());
	EXPECT_EQ(app.finish(), 0) << app.err();
}

// Old code: the first new thread died of SIGSYS (prctl(PR_GET_NAME), then bpf()).
TEST_F(PreloadShapes, SeccompAllowlistProgramSurvivesItsThreads)
{
	for (std::string how : {"prctl", "syscall"}) {
		SCOPED_TRACE(how);
		App app({app_path("shapes_app"), "seccomp", how}, preload_env(config_));
		auto roles = app.wait_ready();
		EXPECT_EQ(roles.size(), 3u) << app.out() << app.err();
		int status = app.finish();
		EXPECT_EQ(status, 0) << "status " << status << " " << app.err();
	}
}

// How many prctl(PR_GET_NAME) calls python3 makes starting 4 threads under the preload with
// `config`, counted by strace (the preload reads a new thread's name only for rules by name).
int name_reads(const std::string &config, const TempDir &dir)
{
	std::string trace = dir.path() + "/strace.out";
	std::vector<std::string> argv = {"/usr/bin/strace", "-f", "-qq", "-e",
	                                 "trace=prctl",     "-o", trace};
	for (const std::string &var : preload_env(config)) {
		argv.push_back("-E");
		argv.push_back(var);
	}
	for (const char *arg :
	     {"/usr/bin/python3", "-c",
	      "import threading\n"
	      "ts = [threading.Thread(target=len, args=('',)) for _ in range(4)]\n"
	      "[t.start() for t in ts]\n[t.join() for t in ts]\n"})
		argv.push_back(arg);
	RunResult r = run(argv, {"PATH=/usr/bin:/bin"});
	EXPECT_EQ(r.status, 0) << r.err;
	std::ifstream in(trace);
	int n = 0;
	for (std::string line; std::getline(in, line);)
		n += line.find("PR_GET_NAME") != std::string::npos;
	return n;
}

// Old code: every new thread asked the kernel its name, whether a rule matched on it or not.
TEST_F(PreloadShapes, NewThreadsReadTheirNameOnlyForRulesByName)
{
	EXPECT_GE(name_reads(config_, dir_), 4) << "test.conf has rules by thread name";
	std::string no_names = dir_.path() + "/no-names.conf";
	std::ofstream(no_names) << "[options]\nregistration = direct\npin_root = " << bpffs_.path()
	                        << "\n[key.prio]\ntype = u32\ndefault = 1\n"
	                        << "[rule.py]\nexe = python3*\nset = prio = 3\n";
	EXPECT_EQ(name_reads(no_names, dir_), 0);
}

// Through the real tldd: the child shares its parent's socket, board and arena until it
// notices it is a process of its own.
class PreloadShapesBroker : public BrokerPreloadTest {};

TEST_F(PreloadShapesBroker, RawCloneChildLeavesTheParentsThreadsRegistered)
{
	App app({app_path("shapes_app"), "clone"}, preload_env(config_));
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 3u) << app.out() << app.err();
	// Registration through tldd is asynchronous: wait until it has caught up (or not).
	std::map<pid_t, Hints> hints;
	eventually([&] {
		hints = read_hints(map_.get());
		std::size_t n = 0;
		for (auto &[tid, role] : roles)
			n += hints.count(tid);
		return n == roles.size();
	});
	for (auto &[tid, role] : roles)
		EXPECT_TRUE(hints.count(tid)) << role << " " << tid << " not registered";
	EXPECT_EQ(app.finish(), 0) << app.err();
	EXPECT_EQ(tldd_.log().find("malformed message"), std::string::npos) << tldd_.log();
}

} // namespace
} // namespace tld::test
