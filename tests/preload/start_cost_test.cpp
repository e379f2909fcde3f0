// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What the preload costs a process start and a fork (issue 14: exec-heavy workloads ran 1.3x to
// 2.2x slower): the syscalls it adds to /bin/true and to a shell's fork child, counted by strace
// against the same program without it, and the pages a fork child of a threaded program copies.
// No clocks: counts and sizes only. Real programs under the real preload, with the real tldd up.
#include <gtest/gtest.h>

#include <sstream>

#include "broker_fixture.h"
#include "strace_counts.h"

namespace tld::test {
namespace {

// What every start costs tldd's connection, and the rest bounded by `budget`. HELLO and BOARD go
// in one sendmmsg; BOARD makes tldd scan, so the main thread on the board needs no DOORBELL (and
// nothing is read back). Fd placement asks for RLIMIT_NOFILE per fd, and raises it around the dup
// when the soft limit is low: those calls depend on the limits, so they are not counted.
void expect_one_send_within(const Counts &more, int total, int budget)
{
	EXPECT_EQ(count(more, "sendmsg") + count(more, "sendmmsg"), 1);
	EXPECT_EQ(count(more, "recvfrom") + count(more, "recvmsg"), 0);
	EXPECT_EQ(count(more, "memfd_create"), 2); // arena, board
	int placement =
	        count(more, "prlimit64") + count(more, "setrlimit") + count(more, "getrlimit");
	EXPECT_LE(total - placement, budget);
}

class PreloadStartCost : public BrokerPreloadTest {
protected:
	// `argv` under strace -f, with the preload or without; the log by pid. strace itself runs
	// without the preload (-E puts it into the traced program's environment only).
	std::map<pid_t, Counts> traced(const std::vector<std::string> &argv, bool preload,
	                               pid_t *first)
	{
		std::string log = dir_.path() + (preload ? "/with.strace" : "/without.strace");
		std::vector<std::string> env;
		if (preload)
			env = {"LD_PRELOAD=" + preload_path(), "TLD_CONFIG=" + config_};
		return strace_run(log, env, argv, first);
	}
};

// Old code, per /bin/true: 67 syscalls more, three sendmsg (HELLO, BOARD, then the main thread's
// DOORBELL after a recvfrom), a futex wake (pthread_once), three mmaps and two ftruncates for
// the arena (meta page, slots, first chunk), 13 fstats, and keys.conf read until a read of 0.
TEST_F(PreloadStartCost, ProcessStartAddsFewSyscallsAndOneSend)
{
	pid_t pid = 0;
	auto with = traced({"/bin/true"}, true, &pid)[pid];
	auto without = traced({"/bin/true"}, false, &pid)[pid];
	int total = 0;
	Counts more = extra(with, without, &total);
	SCOPED_TRACE("the preload's syscalls: " + show(more));
	expect_one_send_within(more, total, 48);
	EXPECT_EQ(count(more, "futex"), 0);
	EXPECT_EQ(count(more, "socket"), 1);
	EXPECT_EQ(count(more, "connect"), 1);
	// Loading the library maps 5 segments; the arena (meta page and first chunk) and the
	// board one each, sized once.
	EXPECT_LE(count(more, "mmap"), 7);
	EXPECT_EQ(count(more, "ftruncate"), 2);
	// The library's ELF header, then keys.conf in one read (its size as stat says).
	EXPECT_LE(count(more, "read"), 2);
	// The library, the config file, the arena and board memfds as adopted, the arena's check
	// before it is sent, the socket's identity.
	EXPECT_LE(count(more, "newfstatat") + count(more, "fstat"), 6);
}

// Old code, per fork child of bash: 54 syscalls, the arena copied through a temporary
// mapping of the new memfd (mmap, munmap) for the meta page and for the chunk, then the three
// sends of a process start.
TEST_F(PreloadStartCost, ShellForkChildAddsFewSyscallsAndOneSend)
{
	// `( exit 3 )`: bash forks a subshell that exits; its parent waits.
	std::vector<std::string> argv = {"/bin/bash", "-c", "( exit 3 ); :"};
	pid_t pid = 0;
	auto children = [&](std::map<pid_t, Counts> all, pid_t parent) {
		all.erase(parent);
		EXPECT_EQ(all.size(), 1u);
		return all.empty() ? Counts{} : all.begin()->second;
	};
	auto with_all = traced(argv, true, &pid);
	Counts with = children(with_all, pid);
	auto without_all = traced(argv, false, &pid);
	Counts without = children(without_all, pid);
	int total = 0;
	Counts more = extra(with, without, &total);
	SCOPED_TRACE("the preload's syscalls in the fork child: " + show(more));
	expect_one_send_within(more, total, 38);
	// The new arena: the meta page and the main thread's page written into it, one mapping
	// over the parent's; the board: one.
	EXPECT_LE(count(more, "pwrite64"), 2);
	EXPECT_LE(count(more, "mmap"), 2);
	EXPECT_LE(count(more, "munmap"), 1); // the parent's board view
}

// A fork child copies what it keeps: the meta page and the forking thread's page. The parent's
// other threads do not exist in the child, their blocks are free there and a block is cleared
// before it is handed out. Old code: every page in use was copied, 42 pages (168 KiB) for
// each fork of this 41-thread python3, and as much again of address space briefly mapped.
TEST_F(PreloadStartCost, ForkChildOfAThreadedProgramCopiesOnlyItsOwnPage)
{
	const char *script = "import os, threading\n"
	                     "go = threading.Event()\n"
	                     "ts = [threading.Thread(target=go.wait) for _ in range(40)]\n"
	                     "for t in ts: t.start()\n"
	                     "def arena_bytes():\n"
	                     "    for fd in os.listdir('/proc/self/fd'):\n"
	                     "        try: link = os.readlink('/proc/self/fd/' + fd)\n"
	                     "        except OSError: continue\n"
	                     "        if link.startswith('/memfd:tld-arena'):\n"
	                     "            return os.fstat(int(fd)).st_blocks * 512\n"
	                     "    return -1\n"
	                     "print('parent', arena_bytes(), flush=True)\n"
	                     "pid = os.fork()\n"
	                     "if pid == 0:\n"
	                     "    print('child', arena_bytes(), flush=True)\n"
	                     "    os._exit(0)\n"
	                     "os.waitpid(pid, 0)\n"
	                     "go.set()\n"
	                     "for t in ts: t.join()\n";
	RunResult r = run({"/usr/bin/python3", "-c", script}, preload_env(config_));
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.err, "");
	long parent = -1, child = -1;
	std::istringstream out(r.out);
	for (std::string who; out >> who;)
		(who == "parent" ? out >> parent : out >> child);
	// The parent: the meta page and 41 threads' pages.
	EXPECT_GE(parent, 42 * 4096) << r.out;
	EXPECT_GT(child, 0) << r.out;
	EXPECT_LE(child, 2 * 4096) << r.out;
}

} // namespace
} // namespace tld::test
