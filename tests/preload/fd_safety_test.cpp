// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload never touches an fd it cannot prove is still its own (issue 14): programs close
// fds they did not open (`exec 4>&-`, closerange, close_range) and reuse the numbers, and a
// fork child must not close, truncate, map or send what the program now keeps there. Real
// shells and python3 under the real preload, with the real tldd up.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "bpffs.h"
#include "broker_fixture.h"
#include "harness.h"
#include "tests/tldd/harness.h"

namespace tld::test {
namespace {

class PreloadFds : public BrokerPreloadTest {
protected:
	void TearDown() override
	{
		// Program data reaching tldd's socket, or a program's file sent as a board or
		// arena.
		std::string log = tldd_.log();
		EXPECT_EQ(log.find("malformed message"), std::string::npos) << log;
		EXPECT_EQ(log.find("board without its magic"), std::string::npos) << log;
		EXPECT_EQ(log.find("neither a pidfd nor a memfd"), std::string::npos) << log;
		EXPECT_EQ(log.find("is not a memfd"), std::string::npos) << log;
	}

	RunResult sh(const std::string &shell, const std::string &script)
	{
		return run({shell, "-c", script}, preload_env(config_, {"PATH=/usr/bin:/bin"}));
	}
};

// Old code: fd 4 (the arena) closed, the pipe took it, the child closed the pipe and made its
// arena there: cat printed key names; 3 the board header; 5 EAGAIN.
TEST_F(PreloadFds, ShellClosingAnyLowFdStillPipes)
{
	for (std::string shell : {"/bin/bash", "/bin/dash"}) {
		for (int n : {3, 4, 5, 6}) {
			SCOPED_TRACE(shell + " exec " + std::to_string(n) + ">&-");
			auto r = sh(shell, "exec " + std::to_string(n) + ">&-; echo hello | cat");
			EXPECT_EQ(r.status, 0) << r.err;
			EXPECT_EQ(r.out, "hello\n") << r.err;
		}
	}
}

// Old code: x held only "a": the subshell's fork handler closed fd 4 (the program's x).
TEST_F(PreloadFds, SubshellAndExecWriteTheProgramsFd)
{
	for (std::string shell : {"/bin/bash", "/bin/dash"}) {
		SCOPED_TRACE(shell);
		std::string x = dir_.path() + "/x";
		auto r = sh(shell, "exec 4>" + x + "; echo a >&4; (echo b >&4); /bin/echo c >&4");
		EXPECT_EQ(r.status, 0) << r.err;
		EXPECT_EQ(read_file(x), "a\nb\nc\n") << r.err;
	}
}

// The issue's daemon: closerange(3, 1024) closes the preload's fds too (they sit below 1024
// when the limit is higher), the program's file takes a freed number, 300 threads make the
// arena grow and fork makes the child rebuild it. Old code: data.txt became 32,768 zero
// bytes (the arena's ftruncate) and the child's write was lost.
TEST_F(PreloadFds, CloserangeDaemonKeepsItsFile)
{
	std::string dir = dir_.path() + "/";
	std::string script = R"(
import os, sys, threading
os.closerange(3, 1024)
# Whichever freed number the preload used, one of the program's files now has it.
fds = [os.open(sys.argv[1] + n, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
       for n in ("log.txt", "data.txt", "more.txt")]
for fd in fds:
    os.write(fd, b"parent\n")
stop = threading.Event()
ts = [threading.Thread(target=stop.wait) for _ in range(300)]
for t in ts:
    t.start()
pid = os.fork()
if pid == 0:
    for fd in fds:
        os.write(fd, b"child\n")
    os._exit(0)
_, status = os.waitpid(pid, 0)
stop.set()
for t in ts:
    t.join()
for fd in fds:
    os.write(fd, b"done\n")
sys.exit(os.waitstatus_to_exitcode(status))
)";
	auto r = run({"/usr/bin/python3", "-c", script, dir},
	             preload_env(config_, {"PATH=/usr/bin:/bin"}));
	EXPECT_EQ(r.status, 0) << r.err;
	for (std::string n : {"log.txt", "data.txt", "more.txt"})
		EXPECT_EQ(read_file(dir + n), "parent\nchild\ndone\n") << n << " " << r.err;
}

// close_range(3, ~0) closes every fd of the preload; what the program opens next takes the
// numbers, and a fork child (and its threads) must leave them alone.
TEST_F(PreloadFds, CloseRangeThenForkLeavesTheProgramsFds)
{
	std::string data = dir_.path() + "/cr.txt";
	std::string script = R"(
import os, sys, threading
os.closerange(3, 1 << 20)
fds = [os.open(sys.argv[1] + str(i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644) for i in range(8)]
pid = os.fork()
if pid == 0:
    t = threading.Thread(target=lambda: None); t.start(); t.join()
    for i, fd in enumerate(fds):
        os.write(fd, b"c%d\n" % i)
    os._exit(0)
os.waitpid(pid, 0)
t = threading.Thread(target=lambda: None); t.start(); t.join()
for i, fd in enumerate(fds):
    os.write(fd, b"p%d\n" % i)
)";
	auto r = run({"/usr/bin/python3", "-c", script, data},
	             preload_env(config_, {"PATH=/usr/bin:/bin"}));
	EXPECT_EQ(r.status, 0) << r.err;
	for (int i = 0; i < 8; i++) {
		std::string n = std::to_string(i);
		EXPECT_EQ(read_file(data + n), "c" + n + "\np" + n + "\n") << r.err;
	}
}

// ssh closes every fd above stderr at start (closefrom) and forks its ProxyCommand. Old code:
// the fork child closed ssh's pipe ends (the numbers the preload had), `dup2 stdin: Bad file
// descriptor`, `Broken pipe`, and the proxy received nothing. A fake server that sends a banner
// and records what the client says is enough: banner exchange is what broke.
TEST_F(PreloadFds, SshProxyCommandReachesBannerExchange)
{
	std::string got = dir_.path() + "/got", proxy = dir_.path() + "/proxy.sh";
	{
		std::ofstream out(proxy);
		out << "#!/bin/sh\nprintf 'SSH-2.0-fake\\r\\n'\nhead -c 8 > \"$1\"\n";
	}
	chmod(proxy.c_str(), 0755);
	auto r = run({"/usr/bin/ssh", "-F", "/dev/null", "-o", "ProxyCommand=" + proxy + " " + got,
	              "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o",
	              "UserKnownHostsFile=/dev/null", "fake-host", "true"},
	             preload_env(config_, {"PATH=/usr/bin:/bin", "HOME=" + dir_.path()}));
	EXPECT_EQ(read_file(got), "SSH-2.0-") << r.err;
	EXPECT_EQ(r.err.find("Bad file descriptor"), std::string::npos) << r.err;
}

// A shell command: python3 starts a thread, then opens files until EMFILE and prints how many.
std::string open_until_emfile()
{
	return "exec /usr/bin/python3 -c '\n"
	       "import os, threading\n"
	       "t = threading.Thread(target=lambda: None); t.start(); t.join()\n"
	       "n = 0\n"
	       "try:\n"
	       "    while True:\n"
	       "        os.open(\"/dev/null\", os.O_RDONLY); n += 1\n"
	       "except OSError:\n"
	       "    print(n)\n'";
}

// Under a soft fd limit (the hard one higher), a program that opens files until EMFILE gets as
// many as without the preload: the preload's fds sit at or above the soft limit.
TEST_F(PreloadFds, SoftFdLimitLeavesTheProgramAllItsNumbers)
{
	std::string script = "ulimit -Sn 64; " + open_until_emfile();
	auto with = sh("/bin/bash", script);
	auto without = run({"/bin/bash", "-c", script}, {"PATH=/usr/bin:/bin"});
	EXPECT_EQ(with.status, 0) << with.err;
	EXPECT_NE(without.out, "");
	EXPECT_EQ(with.out, without.out) << with.err;
}

// `ulimit -n 64` sets soft and hard: a program that opens files up to its own limit gets as
// many as without the preload. Root with CAP_SYS_RESOURCE may raise the hard limit for the
// instant of a dup, so the preload's fds sit above it and hints work; nobody may not, so the
// preload holds no fd and runs without hints (and says why). Old code put its 3 fds at 32..34:
// the program got 3 fewer.
TEST_F(PreloadFds, HardFdLimitAtTheProgramsNeed)
{
	std::string script = "ulimit -n 64; " + open_until_emfile();
	LogSink log(dir_.path());
	std::vector<std::string> nobody = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
	                                   "--clear-groups"};
	for (bool root : {true, false}) {
		SCOPED_TRACE(root ? "root" : "nobody");
		std::vector<std::string> argv = root ? std::vector<std::string>{} : nobody;
		argv.insert(argv.end(), {"/bin/bash", "-c", script});
		auto env = log.env();
		env.push_back("TLD_DEBUG=1");
		auto with = run(argv, preload_env(config_, env));
		auto without = run(argv, {"PATH=/usr/bin:/bin"});
		EXPECT_EQ(with.status, 0) << with.err;
		EXPECT_NE(without.out, "");
		EXPECT_EQ(with.out, without.out) << with.err;
		// python3 (after the ulimit) either ran with hints or said why it ran without.
		bool hints = with.err.find("(python3): rules matched") != std::string::npos;
		bool fallback =
		        with.err.find("tld: fd limit 64 (soft = hard)") != std::string::npos;
		EXPECT_NE(hints, fallback) << with.err;
		if (!root) {
			EXPECT_TRUE(fallback) << with.err;
		}
	}
}

// The preload's own fds are few, high and close-on-exec: none below 900 (the limit here is at
// least 1024), none left in an exec'd image.
TEST_F(PreloadFds, OwnFdsAreHighAndCloseOnExec)
{
	auto r = sh("/bin/bash",
	            "for f in /proc/$$/fd/*; do n=${f##*/}; "
	            "t=$(readlink $f); case $t in *tld-*|socket:*) echo $n $t;; esac;"
	            "done; env -u LD_PRELOAD ls -l /proc/self/fd | grep -c 'tld-\\|socket:'");
	EXPECT_EQ(r.status, 1) << r.out << r.err; // grep -c: none in the exec'd ls
	std::istringstream in(r.out);
	int n = 0, count = 0;
	std::string what;
	while (in >> n >> what) {
		EXPECT_GE(n, 900) << what;
		count++;
	}
	EXPECT_GE(count, 1) << r.out;
	EXPECT_LE(count, 3) << r.out;
}

} // namespace
} // namespace tld::test
