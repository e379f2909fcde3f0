// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Whatever is wrong (config, environment, daemon), the program runs and exits as it would
// without the preload, and the preload says so once, naming file and line: in the system log,
// never on the program's stdout or stderr (issue 14: configure checks failed on it).
#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

#include "bpffs.h"
#include "harness.h"

namespace tld::test {
namespace {

class PreloadFailsOpen : public ::testing::Test {
protected:
	std::string write(const std::string &name, const std::string &text)
	{
		std::string path = dir_.path() + "/" + name;
		std::ofstream(path) << text;
		return path;
	}

	// Runs echo under the preload with `config`; expects echo's normal behaviour, nothing on
	// its stderr and exactly one line from tld in the log containing `prefix` and `what`.
	void expect_one_warning(const std::string &config, const std::string &prefix,
	                        const std::string &what, std::vector<std::string> extra = {})
	{
		for (auto &e : log_.env())
			extra.push_back(e);
		RunResult r = run({"/bin/echo", "hello"}, preload_env(config, extra));
		EXPECT_EQ(r.status, 0);
		EXPECT_EQ(r.out, "hello\n");
		EXPECT_EQ(r.err, "");
		auto lines = log_.take();
		ASSERT_EQ(lines.size(), 1u);
		EXPECT_EQ(lines[0].rfind("<12>tld[", 0), 0u) << lines[0];
		EXPECT_NE(lines[0].find("]: uid 0: " + prefix), std::string::npos) << lines[0];
		EXPECT_NE(lines[0].find(what), std::string::npos) << lines[0];
		EXPECT_NE(lines[0].find("running without hints"), std::string::npos) << lines[0];
	}

	TempDir dir_;
	LogSink log_{dir_.path()};
};

TEST_F(PreloadFailsOpen, SyntaxError)
{
	std::string path = write("k.conf", "[key.a]\ntype = u8\n[key.b\n");
	expect_one_warning(path, path + ":3: ", "");
}

TEST_F(PreloadFailsOpen, UnknownType)
{
	std::string path = write("k.conf", "[key.a]\ntype = u9\n");
	expect_one_warning(path, path + ":2: ", "u9");
}

TEST_F(PreloadFailsOpen, ValueOutOfRange)
{
	std::string path = write("k.conf", "[key.a]\ntype = u8\ndefault = 300\n");
	expect_one_warning(path, path + ":3: ", "300");
}

TEST_F(PreloadFailsOpen, DuplicateKey)
{
	std::string path = write("k.conf", "[key.a]\ntype = u8\n\n[key.a]\ntype = u16\n");
	expect_one_warning(path, path + ":4: ", "a");
}

TEST_F(PreloadFailsOpen, TooManyKeys)
{
	std::string text;
	for (int i = 0; i < 64; i++)
		text += "[key.k" + std::to_string(i) + "]\ntype = u8\n";
	std::string path = write("k.conf", text);
	expect_one_warning(path, path + ":127: ", "");
}

TEST_F(PreloadFailsOpen, ConfigIsADirectory)
{
	expect_one_warning(dir_.path(), dir_.path() + ": ", "");
}

TEST_F(PreloadFailsOpen, MissingFile)
{
	std::string path = dir_.path() + "/missing.conf";
	expect_one_warning(path, path + ": ", "");
}

TEST_F(PreloadFailsOpen, EmptyFile)
{
	std::string path = write("k.conf", "");
	expect_one_warning(path, path + ": ", "no keys");
}

TEST_F(PreloadFailsOpen, UnreadableFile)
{
	std::string path = write("k.conf", "[key.a]\ntype = u8\n");
	chmod(path.c_str(), 0);
	chmod(dir_.path().c_str(), 0755);
	// Only echo runs under the preload, as nobody, who cannot read the file.
	RunResult r = run({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
	                   "/usr/bin/env", "LD_PRELOAD=" + preload_path(), "TLD_CONFIG=" + path,
	                   log_.env()[0], log_.env()[1], "/bin/echo", "hello"},
	                  {"PATH=/usr/bin:/bin"});
	EXPECT_EQ(r.status, 0);
	EXPECT_EQ(r.out, "hello\n");
	EXPECT_EQ(r.err, "");
	auto lines = log_.take();
	ASSERT_EQ(lines.size(), 1u);
	std::string tail = "]: uid 65534: " + path +
	                   ": cannot open: Permission denied; running "
	                   "without hints";
	EXPECT_EQ(lines[0].substr(lines[0].size() - std::min(lines[0].size(), tail.size())), tail);
}

TEST_F(PreloadFailsOpen, BadTldSet)
{
	std::string path = write("k.conf", "[key.a]\ntype = u8\n");
	expect_one_warning(path, "TLD_SET:1: ", "", {"TLD_SET=a=999"});
}

// No daemon and no map access: one warning, then the program runs normally.
TEST_F(PreloadFailsOpen, NoDaemonNoAccess)
{
	std::string path =
	        write("k.conf", "[options]\nregistration = broker\nsocket = " + dir_.path() +
	                                "/nobody.sock\n[key.a]\ntype = u8\n");
	RunResult r = run({app_path("threads_app"), "spawn", "50"}, preload_env(path, log_.env()));
	EXPECT_EQ(r.status, 0);
	EXPECT_EQ(r.out, "spawned\n");
	EXPECT_EQ(r.err, "");
	auto lines = log_.take();
	ASSERT_EQ(lines.size(), 1u);
	EXPECT_NE(lines[0].find("nobody.sock"), std::string::npos) << lines[0];

	// The same cause for the same uid again (a make of 127 processes): nothing more.
	for (int i = 0; i < 3; i++) {
		r = run({app_path("threads_app"), "spawn", "5"}, preload_env(path, log_.env()));
		EXPECT_EQ(r.err, "");
	}
	EXPECT_EQ(log_.take().size(), 0u);

	// `ls 2>&1 | wc -l` counts what it counts without the preload.
	auto env = preload_env(path, log_.env());
	env.push_back("PATH=/usr/bin:/bin");
	RunResult with = run({"/bin/sh", "-c", "ls / 2>&1 | wc -l"}, env);
	RunResult without = run({"/bin/sh", "-c", "ls / 2>&1 | wc -l"}, {"PATH=/usr/bin:/bin"});
	EXPECT_EQ(with.out, without.out);
	EXPECT_EQ(with.err, "");
}

// A program under a default-KILL seccomp allowlist that starts threads: the preload steps aside
// when the filter is installed. Old code: SIGSYS on prctl(PR_GET_NAME) in the first new thread.
TEST_F(PreloadFailsOpen, SeccompAllowlistProgramSurvives)
{
	std::string path = write("k.conf", "[key.a]\ntype = u8\n");
	RunResult r = run({app_path("seccomp_app"), "threads"}, preload_env(path, log_.env()));
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "threads ok\n");
}

// A filter inherited across exec (a sandbox started the program; here socket() is refused):
// the preload stays inactive from its constructor on. Old code went on, and its message blamed
// the config: "not used (registration = direct)" although it says auto.
TEST_F(PreloadFailsOpen, InheritedSeccompFilterLeavesThePreloadInactive)
{
	std::string path = write("k.conf", "[options]\nsocket = " + dir_.path() +
	                                           "/none.sock\npin_root = " + dir_.path() +
	                                           "/nopins\n[key.a]\ntype = u8\n");
	RunResult r = run({app_path("seccomp_app"), "nosocket", "/bin/echo", "hello"},
	                  preload_env(path, {"TLD_DEBUG=1"}));
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "hello\n");
	EXPECT_EQ(r.err.find("not used"), std::string::npos) << r.err;
	EXPECT_NE(r.err.find("tld: under a seccomp filter: the preload stays inactive"),
	          std::string::npos)
	        << r.err;
}

// The arena cannot be made (here: ulimit -v leaves no room for it): the warning says so and
// why. Old code blamed the config's first key: "k.conf:2: key a: Cannot allocate memory".
TEST_F(PreloadFailsOpen, ArenaFailureIsNotBlamedOnAKey)
{
	std::string path = write("k.conf", "[key.a]\ntype = u8\n");
	std::vector<std::string> lines;
	for (const char *kib : {"4000", "8000", "16000"}) {
		RunResult r = run({"/bin/dash", "-c",
		                   std::string("ulimit -v ") + kib + "; exec /bin/echo hello"},
		                  preload_env(path, log_.env()));
		EXPECT_EQ(r.status, 0) << kib;
		EXPECT_EQ(r.out, "hello\n") << kib;
		EXPECT_EQ(r.err, "") << kib;
		for (auto &l : log_.take())
			lines.push_back(l);
	}
	int arena = 0;
	for (auto &l : lines) {
		EXPECT_EQ(l.find(": key a: "), std::string::npos) << l;
		if (l.find("cannot create the arena for hints: Cannot allocate memory: not enough "
		           "memory or address space") != std::string::npos)
			arena++;
	}
	// The arena maps a page to start with (issue 13), so it may well fit these limits now;
	// when it does not, the cause is said once per uid and cause.
	EXPECT_LE(arena, 1) << "once per uid and cause";
}

TEST_F(PreloadFailsOpen, QuietSilencesTheWarning)
{
	std::string path =
	        write("k.conf", "[options]\nregistration = broker\nquiet = true\nsocket = " +
	                                dir_.path() + "/nobody.sock\n[key.a]\ntype = u8\n");
	RunResult r = run({app_path("threads_app"), "spawn", "50"}, preload_env(path, log_.env()));
	EXPECT_EQ(r.status, 0);
	EXPECT_EQ(r.out, "spawned\n");
	EXPECT_EQ(r.err, "");
	EXPECT_EQ(log_.take().size(), 0u);
}

} // namespace
} // namespace tld::test
