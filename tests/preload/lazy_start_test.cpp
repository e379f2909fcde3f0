// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// keys.conf `start = on_first_thread` (issue 14, exec cost): the constructor only checks and
// parses, and the process stays dormant (no arena, memfd, board, socket or block) until its
// first pthread_create, a rename the rules care about, or a tld_* call. A fork child of a dormant
// process stays dormant. Real programs under the real preload, registering through the real
// tldd; syscalls counted by strace. Every config here is sent to a private log sink, which must
// stay empty: old code refused the option (and ran without hints, with a warning).
#include <gtest/gtest.h>

#include <sstream>

#include "broker_fixture.h"
#include "eventually.h"
#include "strace_counts.h"

namespace tld::test {
namespace {

// Parks `threads` threads, prints "T <pid> <tid> <role>" for the main thread and each of them
// and "READY", and waits for stdin to close.
std::string python_threads(int threads)
{
	std::string n = std::to_string(threads);
	return "import sys, threading, os\n"
	       "go = threading.Event()\n"
	       "up = threading.Barrier(" +
	       n +
	       " + 1)\n"
	       "def work(n):\n"
	       "    print('T', os.getpid(), threading.get_native_id(), 'w%d' % n, flush=True)\n"
	       "    up.wait()\n"
	       "    go.wait()\n"
	       "ts = [threading.Thread(target=work, args=(i,)) for i in range(" +
	       n +
	       ")]\n"
	       "for t in ts: t.start()\n"
	       "up.wait()\n"
	       "print('T', os.getpid(), threading.get_native_id(), 'main')\n"
	       "print('READY', flush=True)\n"
	       "sys.stdin.read()\n"
	       "go.set()\n"
	       "for t in ts: t.join()\n";
}

class LazyStart : public BrokerPreloadTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(BrokerPreloadTest::SetUp());
		at_exec_ = config_;
		lazy_ = write_config(lazy_dir_.path(),
		                     "registration = broker\nsocket = " + tldd_.socket_path +
		                             "\npin_root = " + tldd_.pin_root +
		                             "\nstart = on_first_thread\n");
	}

	void TearDown() override
	{
		auto lines = log_.take();
		EXPECT_TRUE(lines.empty()) << "the preload warned: " << lines.front();
	}

	std::vector<std::string> env(const std::string &config) const
	{
		std::vector<std::string> extra = log_.env();
		return preload_env(config, extra);
	}

	// The hints of every tid in `tids`, once all are registered (registration through tldd is
	// asynchronous); fails the test for those that never are.
	std::map<pid_t, Hints> await_hints(const std::map<pid_t, std::string> &tids)
	{
		std::map<pid_t, Hints> hints;
		eventually([&] {
			hints = read_hints(map_.get());
			for (auto &[tid, role] : tids)
				if (!hints.count(tid))
					return false;
			return true;
		});
		for (auto &[tid, role] : tids)
			EXPECT_TRUE(hints.count(tid)) << role << " " << tid << " not registered";
		return hints;
	}

	// await_hints(), and every thread is registered as the process whose main thread has
	// the role `main_role`.
	std::map<pid_t, Hints> await_as_one_process(const std::map<pid_t, std::string> &tids,
	                                            const std::string &main_role)
	{
		auto hints = await_hints(tids);
		pid_t pid = 0;
		for (auto &[tid, role] : tids)
			pid = role == main_role ? tid : pid;
		for (auto &[tid, role] : tids)
			EXPECT_EQ(hints[tid].pid, pid) << role;
		return hints;
	}

	// python3 with `threads` parked threads under `config`: each role's hints.
	std::map<std::string, Hints> python_hints(const std::string &config, int threads)
	{
		App app({"/usr/bin/python3", "-c", python_threads(threads)}, env(config));
		auto roles = app.wait_ready();
		EXPECT_EQ(roles.size(), static_cast<std::size_t>(threads) + 1) << app.err();
		auto hints = await_hints(roles);
		std::map<std::string, Hints> by_role;
		for (auto &[tid, role] : roles)
			if (hints.count(tid))
				by_role[role] = hints[tid];
		EXPECT_EQ(app.finish(), 0) << app.err();
		EXPECT_EQ(app.err(), "");
		return by_role;
	}

	TempDir lazy_dir_;
	LogSink log_{lazy_dir_.path()};
	std::string at_exec_, lazy_;
};

// /bin/true never starts a thread: it pays the library, the checks and the parse, nothing else.
TEST_F(LazyStart, DormantProcessMakesNoArenaSocketOrFd)
{
	pid_t pid = 0;
	std::string log = lazy_dir_.path() + "/true";
	auto with = strace_run(log + ".with", env(lazy_), {"/bin/true"}, &pid)[pid];
	auto without = strace_run(log + ".without", {}, {"/bin/true"}, &pid)[pid];
	int total = 0;
	Counts more = extra(with, without, &total);
	SCOPED_TRACE("the preload's syscalls: " + show(more));
	// The checks' prctl(PR_GET_SECCOMP) and RLIMIT_NOFILE query are all it asks the kernel.
	for (const char *call : {"memfd_create", "socket", "connect", "sendmsg", "sendmmsg",
	                         "sendto", "ftruncate", "bpf", "dup", "dup2", "dup3", "fcntl"})
		EXPECT_EQ(count(more, call), 0) << call;
	EXPECT_LE(count(more, "prctl"), 1);
	// The library and keys.conf: opened, read (keys.conf in one read), closed. No other fd.
	EXPECT_EQ(count(more, "openat"), 2);
	EXPECT_EQ(count(more, "close"), 2);
	EXPECT_LE(count(more, "read"), 2);
	// Loading the library maps its segments; the dormant process maps nothing else.
	EXPECT_LE(count(more, "mmap"), 5);
}

// A dormant python3 holds the fds and mappings it holds without the preload.
TEST_F(LazyStart, DormantProcessHoldsNoFdAndNoArena)
{
	const char *script = "import os\n"
	                     "print(sorted(os.listdir('/proc/self/fd')))\n"
	                     "print([l.split()[-1] for l in open('/proc/self/maps')\n"
	                     "       if 'memfd:' in l or 'tld' in l.split()[-1]])\n";
	RunResult plain = run({"/usr/bin/python3", "-c", script}, {"PATH=/usr/bin:/bin"});
	RunResult lazy = run({"/usr/bin/python3", "-c", script}, env(lazy_));
	ASSERT_EQ(plain.status, 0) << plain.err;
	ASSERT_EQ(lazy.status, 0) << lazy.err;
	EXPECT_EQ(lazy.err, "");
	// The maps list names the library itself; nothing else of ours (no memfd:tld-*).
	std::istringstream a(plain.out), b(lazy.out);
	std::string fds_plain, fds_lazy, maps_lazy;
	std::getline(a, fds_plain);
	std::getline(b, fds_lazy);
	std::getline(b, maps_lazy);
	EXPECT_EQ(fds_lazy, fds_plain);
	EXPECT_EQ(maps_lazy.find("memfd:"), std::string::npos) << maps_lazy;
	EXPECT_NE(maps_lazy.find("libtldpreload.so"), std::string::npos) << maps_lazy;
}

// The whole point: bash never starts a thread, so its fork children and what they exec stay
// dormant. With start = at_exec each child makes an arena (the check sees it).
TEST_F(LazyStart, ShellForkChildrenStayDormantAndOutputIsUnchanged)
{
	const std::string script = "for i in 1 2 3; do /bin/echo \"cmd $i\"; ( echo \"sub $i\" ); "
	                           "x=$(printf '%s' \"$i\"); echo \"got $x\"; done; "
	                           "printf 'a\\nb\\n' | /usr/bin/sort -r; exit 0";
	std::vector<std::string> argv = {"/bin/bash", "-c", script};
	RunResult plain = run(argv, {"PATH=/usr/bin:/bin"});
	RunResult lazy = run(argv, env(lazy_));
	ASSERT_EQ(plain.status, 0) << plain.err;
	EXPECT_EQ(lazy.status, 0) << lazy.err;
	EXPECT_EQ(lazy.out, plain.out);
	EXPECT_EQ(lazy.err, plain.err);

	auto memfds = [&](const std::string &config, std::size_t *pids) {
		pid_t pid = 0;
		std::string log = lazy_dir_.path() + "/bash." + std::to_string(*pids);
		auto all = strace_run(log, env(config), argv, &pid);
		*pids = all.size();
		int n = 0;
		for (auto &[p, counts] : all)
			n += count(counts, "memfd_create");
		return n;
	};
	std::size_t pids = 0;
	EXPECT_EQ(memfds(lazy_, &pids), 0);
	EXPECT_GE(pids, 8u) << "bash, its subshells and the programs it ran";
	EXPECT_GT(memfds(at_exec_, &pids), 0) << "at_exec: every process makes its arena";
}

// Started at its first thread, python3 carries the same hints on every thread as at exec.
TEST_F(LazyStart, ThreadsGetTheHintsTheyGetAtExec)
{
	auto lazy = python_hints(lazy_, 4);
	auto at_exec = python_hints(at_exec_, 4);
	ASSERT_EQ(lazy.size(), 5u);
	ASSERT_EQ(at_exec.size(), 5u);
	for (auto &[role, h] : at_exec) {
		SCOPED_TRACE(role);
		const Hints &l = lazy[role];
		EXPECT_EQ(l.found, 15u);
		EXPECT_EQ(l.found, h.found);
		EXPECT_EQ(l.prio, h.prio);
		EXPECT_EQ(l.latency, h.latency);
		EXPECT_EQ(l.deadline_ns, h.deadline_ns);
		EXPECT_EQ(l.tag, "py");
		EXPECT_EQ(l.tag, h.tag);
	}
}

// A dormant parent forks; the child starts threads: they are the child's, the parent stays
// dormant (unregistered).
TEST_F(LazyStart, ForkChildOfADormantProcessRegistersItsOwnThreads)
{
	std::string script = "import os, sys\n"
	                     "print('T', os.getpid(), os.getpid(), 'parent', flush=True)\n"
	                     "pid = os.fork()\n"
	                     "if pid == 0:\n"
	                     "    exec(sys.argv[1])\n"
	                     "    os._exit(0)\n"
	                     "os.waitpid(pid, 0)\n";
	App app({"/usr/bin/python3", "-c", script, python_threads(2)}, env(lazy_));
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 4u) << app.out() << app.err();
	pid_t parent = 0;
	std::map<pid_t, std::string> child;
	for (auto &[tid, role] : roles)
		(role == "parent" ? (void)(parent = tid) : (void)(child[tid] = role));
	auto hints = await_as_one_process(child, "main");
	for (auto &[tid, role] : child)
		EXPECT_EQ(hints[tid].tag, "py") << role;
	EXPECT_EQ(read_hints(map_.get()).count(parent), 0u) << "the parent started a thread?";
	EXPECT_EQ(app.finish(), 0) << app.err();
	EXPECT_EQ(app.err(), "");
}

// A raw clone(SIGCHLD) child of a dormant process (no fork handler runs there) starts at its
// first thread as a process of its own.
TEST_F(LazyStart, RawCloneChildOfADormantProcessRegistersItsOwnThreads)
{
	App app({app_path("shapes_app"), "dormant-clone"}, env(lazy_));
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 2u) << app.out() << app.err();
	auto hints = await_as_one_process(roles, "child-main");
	for (auto &[tid, role] : roles) // rule.app: exe = *_app*
		EXPECT_EQ(hints[tid].deadline_ns, 2000000u) << role;
	EXPECT_EQ(read_hints(map_.get()).count(app.pid()), 0u);
	EXPECT_EQ(app.finish(), 0) << app.err();
}

// test.conf has rules by thread name: a rename starts a dormant single-threaded program, and
// its thread gets the rule of the new name (worker-1: prio 9, worker-*: 5).
TEST_F(LazyStart, RenameStartsADormantProcess)
{
	for (std::string how : {"prctl", "pthread"}) {
		SCOPED_TRACE(how);
		std::string rename =
		        how == "prctl"
		                ? "libc.prctl(15, b'worker-1', 0, 0, 0)\n"
		                : "libc.pthread_setname_np(ctypes.c_ulong(libc.pthread_self()), "
		                  "b'worker-3')\n";
		std::string script = "import ctypes, os, sys\n"
		                     "libc = ctypes.CDLL(None)\n"
		                     "libc.pthread_self.restype = ctypes.c_ulong\n"
		                     "print('T', os.getpid(), os.getpid(), 'main')\n"
		                     "print('READY', flush=True)\n"
		                     "sys.stdin.readline()\n" +
		                     rename +
		                     "print('READY', flush=True)\n"
		                     "sys.stdin.read()\n";
		App app({"/usr/bin/python3", "-c", script}, env(lazy_));
		auto roles = app.wait_ready();
		ASSERT_EQ(roles.size(), 1u) << app.out() << app.err();
		EXPECT_EQ(read_hints(map_.get()).count(app.pid()), 0u)
		        << "registered while dormant";
		app.send("rename");
		app.wait_ready();
		auto hints = await_hints(roles);
		EXPECT_EQ(hints[app.pid()].prio, how == "prctl" ? 9u : 5u);
		EXPECT_EQ(app.finish(), 0) << app.err();
		EXPECT_EQ(app.err(), "");
	}
}

// A program that knows tld (tld_find_key, tld_get_data, tld_free, tld_create_key) on its only
// thread: its first call starts the process, and it finds the config's keys as at exec.
TEST_F(LazyStart, TldCallStartsADormantProcess)
{
	App app({app_path("tld_aware")}, env(lazy_));
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 1u) << app.out() << app.err();
	EXPECT_NE(app.out().find("prio 1\n"), std::string::npos) << app.out();
	EXPECT_NE(app.out().find("after-free prio 1\n"), std::string::npos) << app.out();
	EXPECT_EQ(app.out().find("own -"), std::string::npos) << app.out();
	auto hints = await_hints(roles);
	EXPECT_EQ(hints[app.pid()].prio, 42u) << "the program's own store";
	EXPECT_EQ(app.finish(), 0) << app.err();
	EXPECT_EQ(app.err(), "");
}

// A dormant process that installs a seccomp allowlist never starts: its start would be all
// syscalls the filter kills (memfd_create first). Its threads run without hints.
TEST_F(LazyStart, SeccompFilterInADormantProcessKeepsItDormant)
{
	for (std::string how : {"prctl", "syscall"}) {
		SCOPED_TRACE(how);
		App app({app_path("shapes_app"), "seccomp", how}, env(lazy_));
		auto roles = app.wait_ready();
		EXPECT_EQ(roles.size(), 3u) << app.out() << app.err();
		auto hints = read_hints(map_.get());
		for (auto &[tid, role] : roles)
			EXPECT_EQ(hints.count(tid), 0u) << role;
		int status = app.finish();
		EXPECT_EQ(status, 0) << "status " << status << " " << app.err();
	}
}

} // namespace
} // namespace tld::test
