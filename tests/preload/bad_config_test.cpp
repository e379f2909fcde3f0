// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Whatever is wrong (config, environment, daemon), the program runs and exits as it would
// without the preload, and the preload says so once, naming file and line.
#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

#include "bpffs.h"
#include "harness.h"

namespace tld::test {
namespace {

int count_lines(const std::string &s)
{
	int n = 0;
	for (char c : s)
		n += c == '\n';
	return n;
}

class PreloadFailsOpen : public ::testing::Test {
protected:
	std::string write(const std::string &name, const std::string &text)
	{
		std::string path = dir_.path() + "/" + name;
		std::ofstream(path) << text;
		return path;
	}

	// Runs echo under the preload with `config`; expects echo's normal behaviour and exactly
	// one line from tld starting with `prefix` and containing `what`.
	void expect_one_warning(const std::string &config, const std::string &prefix,
	                        const std::string &what, const std::vector<std::string> &extra = {})
	{
		RunResult r = run({"/bin/echo", "hello"}, preload_env(config, extra));
		EXPECT_EQ(r.status, 0);
		EXPECT_EQ(r.out, "hello\n");
		EXPECT_EQ(count_lines(r.err), 1) << r.err;
		EXPECT_EQ(r.err.rfind("tld: " + prefix, 0), 0u) << r.err;
		EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
		EXPECT_NE(r.err.find("running without hints"), std::string::npos) << r.err;
	}

	TempDir dir_;
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
	                   "/bin/echo", "hello"},
	                  {"PATH=/usr/bin:/bin"});
	EXPECT_EQ(r.status, 0);
	EXPECT_EQ(r.out, "hello\n");
	EXPECT_EQ(r.err,
	          "tld: " + path + ": cannot open: Permission denied; running without hints\n");
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
	RunResult r = run({app_path("threads_app"), "spawn", "50"}, preload_env(path));
	EXPECT_EQ(r.status, 0);
	EXPECT_EQ(r.out, "spawned\n");
	EXPECT_EQ(count_lines(r.err), 1) << r.err;
	EXPECT_NE(r.err.find("nobody.sock"), std::string::npos) << r.err;
}

TEST_F(PreloadFailsOpen, QuietSilencesTheWarning)
{
	std::string path =
	        write("k.conf", "[options]\nregistration = broker\nquiet = true\nsocket = " +
	                                dir_.path() + "/nobody.sock\n[key.a]\ntype = u8\n");
	RunResult r = run({app_path("threads_app"), "spawn", "50"}, preload_env(path));
	EXPECT_EQ(r.status, 0);
	EXPECT_EQ(r.out, "spawned\n");
	EXPECT_EQ(r.err, "");
}

} // namespace
} // namespace tld::test
