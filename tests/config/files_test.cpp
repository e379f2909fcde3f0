// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Config files as the preload meets them: missing, a directory, unreadable, empty, a FIFO,
// huge; and the sample config shipped in config/.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpffs.h"
#include "helpers.h"

namespace tld::config {
namespace {

std::string load_error(const std::string &path)
{
	auto r = load_keys_config(path);
	return r ? "(parsed)" : r.error().message();
}

TEST(KeysFiles, Missing)
{
	test::TempDir dir;
	std::string path = dir.path() + "/keys.conf";
	EXPECT_EQ(load_error(path), path + ": cannot open: No such file or directory");
}

TEST(KeysFiles, Directory)
{
	test::TempDir dir;
	EXPECT_EQ(load_error(dir.path()), dir.path() + ": is a directory, not a config file");
}

TEST(KeysFiles, EmptyFile)
{
	test::TempDir dir;
	std::string path = dir.path() + "/keys.conf";
	test::write_file(path, "");
	EXPECT_EQ(load_error(path),
	          path + ": no keys declared (add a [key.NAME] section with a type)");
}

TEST(KeysFiles, ErrorsNameTheRealPath)
{
	test::TempDir dir;
	std::string path = dir.path() + "/keys.conf";
	test::write_file(path, "[key.a]\ntype = u8\ndefault = 999\n");
	EXPECT_EQ(load_error(path),
	          path + ":3: key 'a': default: '999' is out of range for u8 (0..255)");
}

// Root reads any file, so the unreadable case runs as nobody in a child process.
TEST(KeysFiles, Unreadable)
{
	test::TempDir dir;
	ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
	std::string path = dir.path() + "/keys.conf";
	test::write_file(path, "[key.a]\ntype = u8\n");
	ASSERT_EQ(chmod(path.c_str(), 0600), 0);
	int pipefd[2];
	ASSERT_EQ(pipe(pipefd), 0);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(pipefd[0]);
		if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
			_exit(2);
		std::string msg = load_error(path);
		_exit(write(pipefd[1], msg.data(), msg.size()) == ssize_t(msg.size()) ? 0 : 3);
	}
	close(pipefd[1]);
	char buf[512];
	ssize_t n = read(pipefd[0], buf, sizeof(buf));
	close(pipefd[0]);
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
	ASSERT_GT(n, 0);
	EXPECT_EQ(std::string(buf, size_t(n)), path + ": cannot open: Permission denied");
}

TEST(KeysFiles, FifoIsRefusedWithoutBlocking)
{
	test::TempDir dir;
	std::string path = dir.path() + "/keys.conf";
	ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
	// No writer ever opens it: a blocking open would hang this test (and a host program).
	EXPECT_EQ(load_error(path), path + ": is not a regular file");
}

TEST(KeysFiles, TooLarge)
{
	test::TempDir dir;
	std::string path = dir.path() + "/keys.conf";
	test::write_file(path, std::string(kMaxConfigFileBytes + 1, '#'));
	EXPECT_EQ(load_error(path),
	          path + ": is 1048577 bytes, more than the 1048576 a config file "
	                 "may have");
}

TEST(KeysFiles, SampleConfigParses)
{
	std::string path = std::string(TLD_SOURCE_DIR) + "/config/keys.conf";
	auto r = load_keys_config(path);
	ASSERT_TRUE(r.ok()) << r.error().message();
	const KeysConfig &c = r.value();
	EXPECT_EQ(c.keys.size(), 4u);
	EXPECT_GE(c.find_key("latency_critical"), 0);
	EXPECT_GE(c.find_key("prio"), 0);
	EXPECT_GE(c.find_key("deadline_ns"), 0);
	EXPECT_EQ(c.rules.size(), 5u);
	EXPECT_TRUE(c.uses_thread_names);
	// Threads named as a JVM names them (scripts/demo): the workers rule, the jvm-gc rule.
	std::vector<uint8_t> out(c.packed_size);
	const char *java = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";
	ASSERT_TRUE(resolve_values(c, ThreadFacts{java, "worker-0", nullptr}, out));
	EXPECT_EQ(out[c.keys[c.find_key("latency_critical")].packed_offset], 1);
	ASSERT_TRUE(resolve_values(c, ThreadFacts{java, "GC Thread#0", nullptr}, out));
	EXPECT_EQ(out[c.keys[c.find_key("prio")].packed_offset], 140);
}

} // namespace
} // namespace tld::config
