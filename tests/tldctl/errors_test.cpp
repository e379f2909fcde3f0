// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Bad input gets a clear message and a non-zero exit, and changes nothing.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "reader.h"

namespace tld::test {
namespace {

// A pid that existed a moment ago: a child that exited and was reaped.
pid_t dead_pid()
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, nullptr, 0);
	return pid;
}

struct Case {
	std::vector<std::string> args;
	int status;
	std::string message;
};

TEST_F(TldctlTest, BadInputFailsClearlyAndChangesNothing)
{
	Workload w(spec(2));
	ASSERT_TRUE(w.ok()) << w.error();
	ClassReader reader(map_.fd());
	auto before = reader.read(w.pid());
	ASSERT_EQ(before.size(), 2u);
	std::string pid = std::to_string(w.pid());
	std::string dead = std::to_string(dead_pid());
	std::string other_tid = std::to_string(getpid()); // a thread, but not of the workload

	const Case cases[] = {
	        {{"set", dead, "class=1"}, 1, "no process " + dead},
	        {{"get", dead, "class"}, 1, "no process " + dead},
	        {{"set", "999999999", "class=1"}, 1, "no process 999999999"},
	        {{"set", pid + "/" + other_tid, "class=1"}, 1, "has no thread " + other_tid},
	        {{"set", std::to_string(w.tids()[0]), "class=1"},
	         1,
	         "is a thread of process " + pid},
	        {{"set", std::to_string(getpid()), "class=1"}, 1, "has no task local data"},
	        {{"set", pid, "nosuchkey=1"}, 1, "has no key 'nosuchkey' (its keys: class, prio"},
	        {{"get", pid, "nosuchkey"}, 1, "has no key 'nosuchkey'"},
	        {{"set", pid, "class=abc"}, 2, "bad value 'abc' for key class (u32)"},
	        {{"set", pid, "class=-1"}, 2, "bad value '-1' for key class (u32)"},
	        {{"set", pid, "class=4294967296"}, 2, "bad value '4294967296' for key class (u32)"},
	        {{"set", pid, "prio=2147483648"}, 2, "for key prio (i32)"},
	        {{"set", pid, "urgent=maybe"}, 2, "for key urgent (bool)"},
	        {{"set", pid, "role=\"this is far too long\""}, 2, "for key role (bytes:16)"},
	        {{"set", pid, "opaque=0x123456"}, 2, "for key opaque (bytes:2)"},
	        {{"set", pid, "class"}, 2, "expected KEY=VALUE"},
	        {{"set", "12x", "class=1"}, 2, "bad target '12x'"},
	        {{"set", pid}, 2, "the option '--assignment' is required"},
	        {{"frobnicate"}, 2, "unknown command 'frobnicate'"},
	        {{"list", "--bogus"}, 2, "unrecognised option '--bogus'"},
	        {{"list", "--pin-root", "/nonexistent"},
	         1,
	         "no tld_data_map pinned at /nonexistent"},
	        {{"status"}, 1, ""},
	        {{"keys", "--config", "/nonexistent/keys.conf"}, 2, "/nonexistent/keys.conf"},
	        {{"top", "--key", "role"}, 2, "top groups by integer keys"},
	        {{"top", "--key", "nosuchkey"}, 1, "no registered thread has it"},
	};
	for (const auto &c : cases) {
		RunResult r = tldctl(c.args);
		std::string cmd;
		for (const auto &a : c.args)
			cmd += " " + a;
		EXPECT_EQ(r.status, c.status) << "tldctl" << cmd << "\n" << r.out << r.err;
		EXPECT_NE(r.err.find(c.message), std::string::npos)
		        << "tldctl" << cmd << " said: " << r.err;
		if (c.status != 0 && c.args[0] != "status") {
			EXPECT_EQ(r.out, "") << "tldctl" << cmd;
		}
	}
	EXPECT_EQ(reader.read(w.pid()), before);

	// status with tldd down says so (and still shows the map).
	RunResult r = tldctl({"status"});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.out.find("tldd:           down: cannot connect to " + socket_path_),
	          std::string::npos)
	        << r.out;
	EXPECT_NE(r.out.find("registered:     1 processes, 2 threads"), std::string::npos) << r.out;
}

} // namespace
} // namespace tld::test
