// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload through the real tldd: the default path for everyone who may not write the map.
// Unprivileged programs get their hints; tldd dying, restarting or appearing late is never
// noticed by the program, and registration catches up when tldd is back.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>

#include "bpffs.h"
#include "broker_fixture.h"
#include "eventually.h"
#include "harness.h"
#include "tests/tldd/harness.h"

namespace tld::test {
namespace {

// Raw tracepoint links (tp_btf) whose program uses the map behind `map_fd`: the exec hooks on that
// map.
int hooks_on(int map_fd)
{
	bpf_map_info minfo{};
	__u32 len = sizeof(minfo);
	if (bpf_obj_get_info_by_fd(map_fd, &minfo, &len) != 0)
		return -errno;
	int count = 0;
	for (__u32 id = 0; bpf_link_get_next_id(id, &id) == 0;) {
		Fd link(bpf_link_get_fd_by_id(id));
		bpf_link_info linfo{};
		len = sizeof(linfo);
		if (!link || bpf_obj_get_info_by_fd(link.get(), &linfo, &len) != 0 ||
		    linfo.type != BPF_LINK_TYPE_RAW_TRACEPOINT)
			continue;
		Fd prog(bpf_prog_get_fd_by_id(linfo.prog_id));
		__u32 ids[8] = {};
		bpf_prog_info pinfo{};
		pinfo.nr_map_ids = 8;
		pinfo.map_ids = reinterpret_cast<__u64>(ids);
		len = sizeof(pinfo);
		if (!prog || bpf_obj_get_info_by_fd(prog.get(), &pinfo, &len) != 0)
			continue;
		for (__u32 i = 0; i < pinfo.nr_map_ids && i < 8; i++)
			count += ids[i] == minfo.id;
	}
	return count;
}

class PreloadBroker : public BrokerPreloadTest {
protected:
	// Checks that every announced thread of `app` still alive carries the test config's values.
	void expect_all_registered(const std::map<pid_t, std::string> &roles)
	{
		auto hints = read_hints(map_.get());
		for (auto &[tid, role] : roles) {
			SCOPED_TRACE(role);
			auto it = hints.find(tid);
			ASSERT_NE(it, hints.end()) << "thread " << tid << " not registered";
			EXPECT_EQ(it->second.found, 15u);
			EXPECT_EQ(it->second.prio, role.rfind("worker-", 0) == 0 ? 5u : 1u);
			EXPECT_EQ(it->second.deadline_ns, 2000000u);
		}
	}

	// The preload retries a tldd it lost on a thread start, at most once a second (kRetryNs):
	// starts threads that only exit until one has reconnected, which registers @tid again.
	void await_reconnect(App &app, pid_t tid)
	{
		eventually([&] {
			app.send("tick");
			app.wait_ready();
			return read_hints(map_.get()).count(tid) == 1;
		});
	}

	static pid_t tid_of(const std::map<pid_t, std::string> &roles, const std::string &role)
	{
		for (auto &[tid, r] : roles)
			if (r == role)
				return tid;
		return 0;
	}
};

TEST_F(PreloadBroker, UnprivilegedProgramGetsItsHints)
{
	// Only the app runs under the preload, as nobody, who cannot open the map.
	App app({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
	         "/usr/bin/env", "LD_PRELOAD=" + preload_path(), "TLD_CONFIG=" + config_,
	         app_path("threads_app"), "serve"},
	        {"PATH=/usr/bin:/bin"});
	app.wait_ready();
	app.send("spawn worker-3");
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 2u) << app.err();
	// Registration is asynchronous: the program never waits for tldd.
	eventually([&] { return read_hints(map_.get()).size() >= 2; });
	expect_all_registered(roles);
	EXPECT_EQ(app.finish(), 0);
	EXPECT_EQ(app.err(), "");
}

// TLD_DEBUG=1 (issue 12, item 5): one line per decision on stderr: the config, the path, each
// thread's block, the rules it matched and the registration. Old code printed none of these.
TEST_F(PreloadBroker, DebugPrintsEveryDecision)
{
	App app({app_path("threads_app"), "serve"}, preload_env(config_, {"TLD_DEBUG=1"}));
	app.wait_ready();
	app.send("spawn worker-3");
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 2u) << app.err();
	EXPECT_EQ(app.finish(), 0);
	const std::string &err = app.err();
	EXPECT_NE(err.find("tld: config " + config_ + ": 4 keys, "), std::string::npos) << err;
	EXPECT_NE(err.find("tld: registration = broker: path tldd's broker"), std::string::npos)
	        << err;
	// Where the constructor's time went (bench/exec_compare.py reads it).
	EXPECT_NE(err.find("tld: start-up us: checks "), std::string::npos) << err;
	EXPECT_NE(err.find(", connect "), std::string::npos) << err;
	for (auto &[tid, role] : roles) {
		SCOPED_TRACE(role);
		std::string t = "tld: thread " + std::to_string(tid);
		EXPECT_NE(err.find(t + ": block at data page "), std::string::npos) << err;
		EXPECT_NE(err.find(t + ": registration sent to tldd"), std::string::npos) << err;
		if (role == "worker-3") {
			EXPECT_NE(err.find(t + " (worker-3): rules matched: app, workers"),
			          std::string::npos)
			        << err;
		}
	}
}

TEST_F(PreloadBroker, DaemonKilledAndRestartedMidRun)
{
	App app({app_path("threads_app"), "serve"}, preload_env(config_));
	app.wait_ready();
	app.send("spawn worker-a");
	app.wait_ready();
	ASSERT_GE(tldd_.stop(SIGKILL), 0);
	app.send("spawn worker-b"); // tldd is gone: the program must not notice
	pid_t b = tid_of(app.wait_ready(), "worker-b");
	std::string why;
	ASSERT_TRUE(tldd_.start_ready({}, &why)) << why;
	await_reconnect(app, b);
	app.send("spawn worker-c");
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 4u) << app.err();
	eventually([&] { return read_hints(map_.get()).size() >= 4; });
	expect_all_registered(roles);
	EXPECT_EQ(app.finish(), 0);
	EXPECT_EQ(app.err(), "");
}

// A failed exec empties the board (exec would end every other thread) and fills it again: a
// thread still waiting for tldd's scan (a long delay here) is registered all the same.
TEST_F(PreloadBroker, FailedExecKeepsEveryThreadsHints)
{
	ASSERT_GE(tldd_.stop(SIGTERM), 0);
	std::string why;
	ASSERT_TRUE(tldd_.start_ready({"--registration-delay-ms", "500"}, &why)) << why;
	App app({app_path("threads_app"), "serve"}, preload_env(config_));
	app.wait_ready();
	app.send("spawn worker-a");
	app.wait_ready();
	app.send("badexec");
	app.wait_ready();
	app.send("spawn worker-b");
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 3u) << app.err();
	eventually([&] { return read_hints(map_.get()).size() >= 3; });
	expect_all_registered(roles);
	EXPECT_EQ(app.finish(), 0);
	EXPECT_EQ(app.err(), "");
}

// The first child of `pid`, as /proc names it (0 if none).
pid_t first_child(pid_t pid)
{
	std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) +
	                 "/children");
	pid_t child = 0;
	in >> child;
	return child;
}

// A program in a pid namespace of its own (a container) cannot name its threads to tldd by
// tid: the preload notices that tldd's pid reads as 0 and registers with thread pidfds.
TEST_F(PreloadBroker, ProgramInAnotherPidNamespaceRegistersByPidfd)
{
	App app({"/usr/bin/unshare", "--pid", "--fork", "/usr/bin/env",
	         "LD_PRELOAD=" + preload_path(), "TLD_CONFIG=" + config_, app_path("threads_app"),
	         "serve"},
	        {});
	app.wait_ready();
	app.send("spawn worker-a");
	app.wait_ready();
	app.send("spawn worker-b");
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 3u) << app.err();
	EXPECT_EQ(roles.count(1), 1u) << "the program is pid 1 of its namespace";
	pid_t host = first_child(app.pid());
	ASSERT_GT(host, 1);
	std::vector<unsigned> prios;
	eventually([&] {
		prios.clear();
		for (auto &[tid, h] : read_hints(map_.get())) {
			if (h.pid != host)
				continue;
			EXPECT_EQ(h.found, 15u);
			EXPECT_EQ(h.deadline_ns, 2000000u);
			prios.push_back(h.prio);
		}
		return prios.size() >= 3;
	});
	std::sort(prios.begin(), prios.end());
	EXPECT_EQ(prios, (std::vector<unsigned>{1, 5, 5})) << "main and two workers, by pidfd";
	EXPECT_EQ(app.finish(), 0);
	EXPECT_EQ(app.err(), "");

	// exec into an image without the preload: the exec'ing thread unregisters by pidfd too.
	App clean({"/usr/bin/unshare", "--pid", "--fork", "/usr/bin/env",
	           "LD_PRELOAD=" + preload_path(), "TLD_CONFIG=" + config_, app_path("threads_app"),
	           "exec", "clean"},
	          {});
	bool new_image = false;
	for (auto &[tid, role] : clean.wait_ready())
		new_image |= role == "main";
	ASSERT_TRUE(new_image) << clean.err();
	pid_t host_clean = first_child(clean.pid());
	ASSERT_GT(host_clean, 1);
	for (auto &[tid, h] : read_hints(map_.get()))
		EXPECT_NE(h.pid, host_clean) << "thread " << tid << " of the new image has hints";
	EXPECT_EQ(clean.finish(), 0) << clean.err();
	EXPECT_EQ(tldd_.log().find(") rejected: "), std::string::npos) << tldd_.log();
}

TEST_F(PreloadBroker, DaemonAppearingLaterIsPickedUp)
{
	ASSERT_GE(tldd_.stop(SIGTERM), 0);
	App app({app_path("threads_app"), "serve"}, preload_env(config_));
	app.wait_ready();
	app.send("spawn worker-a");
	app.wait_ready();
	std::string why;
	ASSERT_TRUE(tldd_.start_ready({}, &why)) << why;
	await_reconnect(app, app.pid()); // main: never registered before
	app.send("spawn worker-b");
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 3u);
	eventually([&] { return read_hints(map_.get()).size() >= 3; });
	expect_all_registered(roles);
	EXPECT_EQ(app.finish(), 0);
	// The warning from the start, when there was no tldd, is not the program's to see.
	EXPECT_EQ(app.err(), "");
}

TEST_F(PreloadBroker, ForkAndExecThroughTheBroker)
{
	App app({app_path("threads_app"), "fork"}, preload_env(config_));
	auto roles = app.wait_ready();
	ASSERT_FALSE(roles.empty()) << app.err();
	eventually([&] { return read_hints(map_.get()).size() >= roles.size(); });
	auto hints = read_hints(map_.get());
	for (auto &[tid, role] : roles)
		EXPECT_TRUE(hints.count(tid)) << role << " " << tid << " not registered";
	EXPECT_EQ(app.finish(), 0) << app.err();

	App clean({app_path("threads_app"), "exec", "clean"}, preload_env(config_));
	clean.wait_ready();
	for (auto &[tid, h] : read_hints(map_.get()))
		EXPECT_NE(h.pid, clean.pid()) << "stale hints after exec";
	EXPECT_EQ(clean.finish(), 0) << clean.err();
}

// tldd's exec hook (bpf/tld_exec.bpf.c, issue 10 item 7).
// python3 under the preload, as uid 65534 through tldd, with TLD_SET=prio=777, execs /bin/sleep
// with the raw syscall: libc's execve (and so the preload's wrapper) never runs. The entry must
// be gone once the image is sleep. Old tldd: BPF read prio=777 for sleep.
TEST_F(PreloadBroker, RawExecveLeavesNoEntry)
{
	const char *script = "import ctypes, os, sys, threading\n"
	                     "print('T', os.getpid(), threading.get_native_id(), 'main')\n"
	                     "print('READY', flush=True)\n"
	                     "sys.stdin.readline()\n"
	                     "libc = ctypes.CDLL(None, use_errno=True)\n"
	                     "argv = (ctypes.c_char_p * 3)(b'sleep', b'600', None)\n"
	                     "envp = (ctypes.c_char_p * 1)(None)\n"
	                     "libc.syscall(int(sys.argv[1]), b'/bin/sleep', argv, envp)\n"
	                     "print('exec failed', ctypes.get_errno(), flush=True)\n";
	App app({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
	         "/usr/bin/env", "LD_PRELOAD=" + preload_path(), "TLD_CONFIG=" + config_,
	         "TLD_SET=prio=777", "/usr/bin/python3", "-c", script, std::to_string(SYS_execve)},
	        {"PATH=/usr/bin:/bin"});
	auto roles = app.wait_ready();
	ASSERT_EQ(roles.size(), 1u) << app.out() << app.err();
	const pid_t pid = app.pid();
	// Registration is asynchronous: wait until BPF sees the hint, so the exec has one to drop.
	bool seen = eventually([&] {
		auto hints = read_hints(map_.get());
		auto it = hints.find(pid);
		return it != hints.end() && it->second.prio == 777;
	});
	ASSERT_TRUE(seen) << "python3 was never registered\n" << app.err() << tldd_.log();

	app.send("exec");
	eventually([&] { return comm_of(pid) == "sleep"; });
	ASSERT_EQ(comm_of(pid), "sleep") << app.out() << app.err();
	auto hints = read_hints(map_.get());
	EXPECT_EQ(hints.count(pid), 0u)
	        << "sleep still has the hints of python3 (prio " << hints[pid].prio << ")";
	kill(pid, SIGKILL);
}

// One hook per map: attached by the first tldd, adopted after a SIGKILL, removed with the pins.
TEST_F(PreloadBroker, PinnedHookOutlivesTlddAndIsNeverAttachedTwice)
{
	const std::string link = tldd_.pin_root + "/tld_exec_link";
	struct stat st;
	ASSERT_EQ(stat(link.c_str(), &st), 0) << tldd_.log();
	EXPECT_EQ(st.st_mode & 0777, 0600u);
	EXPECT_EQ(hooks_on(map_.get()), 1);

	tldd_.stop(SIGKILL);
	EXPECT_EQ(hooks_on(map_.get()), 1) << "the hook went with tldd";
	std::string why;
	ASSERT_TRUE(tldd_.start_ready({}, &why)) << why;
	EXPECT_NE(tldd_.log().find("adopted the exec hook"), std::string::npos) << tldd_.log();
	EXPECT_EQ(hooks_on(map_.get()), 1) << "attached twice";

	tldd_.stop();
	Tldd remover{bpffs_.path(), tldd_};
	ASSERT_TRUE(remover.start({"--remove-pins"}));
	int status = remover.wait_exit(20000);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << remover.log();
	EXPECT_NE(stat(link.c_str(), &st), 0);
	// The kernel frees an unpinned link from a work item: give it a moment.
	int left = eventually_value([&] { return hooks_on(map_.get()); },
	                            [](int n) { return n == 0; });
	EXPECT_EQ(left, 0) << "--remove-pins left the hook attached";
}

// Bytes of process `pid` mapped from its board memfd (every view of it).
std::size_t board_mapped(pid_t pid)
{
	std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
	std::size_t total = 0;
	for (std::string line; std::getline(maps, line);) {
		if (line.find("memfd:tld-board") == std::string::npos)
			continue;
		unsigned long lo = 0, hi = 0;
		if (sscanf(line.c_str(), "%lx-%lx", &lo, &hi) == 2)
			total += hi - lo;
	}
	return total;
}

// The board costs address space for the slots its threads use (ulimit -v): one page for a few
// threads, then it grows, and tldd follows it to register threads past the first page. Old
// code mapped 1 MiB in every process.
TEST_F(PreloadBroker, BoardGrowsWithTheThreads)
{
	App app({app_path("threads_app"), "serve"}, preload_env(config_));
	app.wait_ready();
	app.send("spawn many-0");
	app.wait_ready();
	EXPECT_EQ(board_mapped(app.pid()), 4096u);
	std::map<pid_t, std::string> roles;
	for (int i = 1; i < 700; i++) { // the first page holds 508 slots
		app.send("spawn many-" + std::to_string(i));
		roles = app.wait_ready();
	}
	ASSERT_EQ(roles.size(), 701u) << app.err();
	eventually([&] { return read_hints(map_.get()).size() >= roles.size(); });
	expect_all_registered(roles);
	std::size_t mapped = board_mapped(app.pid());
	EXPECT_GT(mapped, 4096u);
	EXPECT_LE(mapped, 4096u + 16384u) << "the first view and one 4x larger";
	EXPECT_EQ(app.finish(), 0);
	EXPECT_EQ(app.err(), "");
	EXPECT_EQ(tldd_.log().find("board"), std::string::npos) << tldd_.log();
}

} // namespace
} // namespace tld::test
