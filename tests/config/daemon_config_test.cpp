// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd settings: defaults, the file, the command line winning, and FILE:LINE errors.
#include <gtest/gtest.h>

#include "bpffs.h"
#include "config/daemon_config.h"
#include "helpers.h"

namespace tld::config {
namespace {

class DaemonConfigTest : public ::testing::Test {
protected:
	// Parses "tldd ARGS..." with the default config path inside a temporary directory.
	Result<DaemonConfig> parse(std::vector<std::string> args)
	{
		args.insert(args.begin(), "tldd");
		std::vector<const char *> argv;
		for (auto &a : args)
			argv.push_back(a.c_str());
		return parse_daemon_config(int(argv.size()), argv.data(), conf_);
	}
	std::string error(std::vector<std::string> args)
	{
		auto r = parse(std::move(args));
		return r ? "(parsed)" : r.error().message();
	}
	void write(std::string_view text) { test::write_file(conf_, text); }

	test::TempDir dir_;
	std::string conf_ = dir_.path() + "/tldd.conf";
};

TEST_F(DaemonConfigTest, DefaultsWithoutAFile)
{
	auto r = parse({});
	ASSERT_TRUE(r.ok()) << r.error().message();
	const DaemonConfig &c = r.value();
	EXPECT_EQ(c.pin_root, "/sys/fs/bpf/tld");
	EXPECT_EQ(c.socket, "/run/tld/tldd.sock");
	EXPECT_EQ(c.socket_mode, 0666u);
	EXPECT_EQ(c.socket_group, "");
	EXPECT_EQ(c.direct_group, "");
	EXPECT_EQ(c.limits.max_threads_per_client, 4096u);
	EXPECT_EQ(c.limits.max_memfd_bytes, 16u << 20);
	EXPECT_EQ(c.limits.max_clients, 1024u);
	EXPECT_EQ(c.limits.registration_delay_ms, 5u);
	EXPECT_EQ(c.limits.control_rate, 20u);
	EXPECT_EQ(c.log_level, LogLevel::info);
	EXPECT_EQ(c.keys_config, kDefaultKeysConfigPath);
	EXPECT_EQ(c.config_file, "");
	EXPECT_FALSE(c.help);
}

TEST_F(DaemonConfigTest, FileSettings)
{
	write("# tldd\npin-root = /tmp/bpf\nsocket = /tmp/t.sock\nsocket-mode = 600\n"
	      "socket-group = tld\ndirect-group = 0\nmax-threads-per-client = 8\n"
	      "max-memfd-bytes = 64K\nmax-clients = 3\nlog-level = debug\n"
	      "keys-config = /tmp/keys.conf\nregistration-delay-ms = 0\ncontrol-rate = 10000\n");
	auto r = parse({});
	ASSERT_TRUE(r.ok()) << r.error().message();
	const DaemonConfig &c = r.value();
	EXPECT_EQ(c.pin_root, "/tmp/bpf");
	EXPECT_EQ(c.socket, "/tmp/t.sock");
	EXPECT_EQ(c.socket_mode, 0600u);
	EXPECT_EQ(c.socket_group, "tld");
	EXPECT_EQ(c.direct_group, "0");
	EXPECT_EQ(c.limits.max_threads_per_client, 8u);
	EXPECT_EQ(c.limits.max_memfd_bytes, 65536u);
	EXPECT_EQ(c.limits.max_clients, 3u);
	EXPECT_EQ(c.limits.registration_delay_ms, 0u);
	EXPECT_EQ(c.limits.control_rate, 10000u);
	EXPECT_EQ(c.log_level, LogLevel::debug);
	EXPECT_EQ(c.keys_config, "/tmp/keys.conf");
	EXPECT_EQ(c.config_file, conf_);
}

TEST_F(DaemonConfigTest, CommandLineWins)
{
	write("max-clients = 3\nlog-level = debug\n");
	auto r = parse({"--max-clients=9", "--socket", "/tmp/cli.sock"});
	ASSERT_TRUE(r.ok()) << r.error().message();
	EXPECT_EQ(r.value().limits.max_clients, 9u);
	EXPECT_EQ(r.value().log_level, LogLevel::debug);
	EXPECT_EQ(r.value().socket, "/tmp/cli.sock");
}

TEST_F(DaemonConfigTest, ExplicitConfigFile)
{
	std::string other = dir_.path() + "/other.conf";
	test::write_file(other, "max-clients = 5\n");
	auto r = parse({"--config", other});
	ASSERT_TRUE(r.ok()) << r.error().message();
	EXPECT_EQ(r.value().limits.max_clients, 5u);
	EXPECT_EQ(r.value().config_file, other);
	std::string missing = dir_.path() + "/missing.conf";
	EXPECT_EQ(error({"-c", missing}), missing + ": cannot open: No such file or directory");
	EXPECT_EQ(error({"--config", dir_.path()}),
	          dir_.path() + ": is a directory, not a config file");
}

TEST_F(DaemonConfigTest, Help)
{
	auto r = parse({"--help", "--bogus-is-still-an-error-first"});
	EXPECT_FALSE(r.ok());
	r = parse({"-h"});
	ASSERT_TRUE(r.ok()) << r.error().message();
	EXPECT_TRUE(r.value().help);
	std::string help = daemon_help("tldd");
	EXPECT_NE(help.find("Usage: tldd"), std::string::npos);
	for (const char *opt :
	     {"--config", "--pin-root", "--socket-mode", "--socket-group", "--direct-group",
	      "--max-threads-per-client", "--max-memfd-bytes", "--max-clients", "--log-level",
	      "--keys-config", "--registration-delay-ms", "--control-rate"})
		EXPECT_NE(help.find(opt), std::string::npos) << opt;
}

TEST_F(DaemonConfigTest, FileErrorsNameFileAndLine)
{
	auto file_error = [&](std::string_view text, std::vector<std::string> args = {}) {
		write(text);
		return error(std::move(args));
	};
	EXPECT_EQ(file_error("\nbogus = 1\n"), conf_ + ":2: unknown setting 'bogus'");
	EXPECT_EQ(file_error("[limits]\nmax-clients = 1\n"),
	          conf_ + ":2: unknown setting 'limits.max-clients'");
	EXPECT_EQ(file_error("max-clients\n"),
	          conf_ + ":1: expected 'name = value' or '[section]', not 'max-clients'");
	EXPECT_EQ(file_error("config = /etc/x\n"),
	          conf_ + ":1: 'config' is only valid on the command line");
	EXPECT_EQ(file_error("max-clients = 1\nmax-clients = 2\n"),
	          conf_ + ":2: 'max-clients' given twice (first at line 1)");
	EXPECT_EQ(file_error("a = b\nmax-clients = lots\n"), conf_ + ":1: unknown setting 'a'");
	EXPECT_EQ(file_error("max-clients = lots\n"),
	          conf_ + ":1: max-clients: 'lots' is not a number");
	EXPECT_EQ(file_error("max-clients = 0\n"),
	          conf_ + ":1: max-clients: '0' is out of range (1..1048576)");
	EXPECT_EQ(file_error("registration-delay-ms = 1001\n"),
	          conf_ + ":1: registration-delay-ms: '1001' is out of range (0..1000)");
	EXPECT_EQ(file_error("control-rate = 0\n"),
	          conf_ + ":1: control-rate: '0' is out of range (1..10000)");
	EXPECT_EQ(file_error("max-threads-per-client = -1\n"),
	          conf_ + ":1: max-threads-per-client: '-1' is not a number");
	EXPECT_EQ(file_error("socket-mode = 0999\n"),
	          conf_ + ":1: socket-mode: '0999' is not an octal mode like 0660");
	EXPECT_EQ(file_error("socket-mode = 4777\n"),
	          conf_ + ":1: socket-mode: '4777': a socket mode is at most 0777");
	EXPECT_EQ(file_error("max-memfd-bytes = 16X\n"),
	          conf_ + ":1: max-memfd-bytes: '16X' is not a size (bytes, or a number with K, M "
	                  "or G)");
	EXPECT_EQ(file_error("max-memfd-bytes = 4K\n"),
	          conf_ + ":1: max-memfd-bytes: '4K' is out of range (8K..1G)");
	EXPECT_EQ(file_error("max-memfd-bytes = 2G\n"),
	          conf_ + ":1: max-memfd-bytes: '2G' is out of range (8K..1G)");
	EXPECT_EQ(file_error("log-level = loud\n"),
	          conf_ + ":1: log-level: 'loud' is not error, warn, info or debug");
	EXPECT_EQ(file_error("pin-root = bpf\n"),
	          conf_ + ":1: pin-root: 'bpf' is not an absolute path");
	EXPECT_EQ(
	        file_error("socket = /" + std::string(107, 's') + "\n"),
	        conf_ + ":1: socket: the path is 108 bytes, a UNIX socket path holds at most 107");
	EXPECT_EQ(
	        file_error("socket-group = wheel users\n"),
	        conf_ + ":1: socket-group: 'wheel users' is not a group name or number (or none)");
	// A bad file value is reported even when the command line overrides it.
	EXPECT_EQ(file_error("max-clients = lots\n", {"--max-clients=4"}),
	          conf_ + ":1: max-clients: 'lots' is not a number");
}

TEST_F(DaemonConfigTest, CommandLineErrors)
{
	EXPECT_EQ(error({"--bogus"}), "command line: unrecognised option '--bogus'");
	EXPECT_EQ(error({"--pin", "/x"}), "command line: unrecognised option '--pin'")
	        << "no abbreviations";
	EXPECT_EQ(error({"--max-clients=zero"}),
	          "command line: --max-clients: 'zero' is not a number");
	EXPECT_EQ(error({"--max-clients=1", "--max-clients=2"}),
	          "command line: option '--max-clients' cannot be specified more than once");
	EXPECT_EQ(error({"--socket-mode"}),
	          "command line: the required argument for option '--socket-mode' is missing");
	EXPECT_EQ(error({"stray"}), "command line: unexpected argument 'stray'");
	EXPECT_EQ(error({"--max-clients=2", "--", "--help"}),
	          "command line: unexpected argument '--help'");
}

TEST_F(DaemonConfigTest, Groups)
{
	write("socket-group = none\ndirect-group =\n");
	auto r = parse({});
	ASSERT_TRUE(r.ok()) << r.error().message();
	EXPECT_EQ(r.value().socket_group, "");
	EXPECT_EQ(r.value().direct_group, "");
	auto root = resolve_group("root");
	ASSERT_TRUE(root) << root.error().message();
	EXPECT_EQ(root.value(), 0u);
	auto number = resolve_group("1234");
	ASSERT_TRUE(number);
	EXPECT_EQ(number.value(), 1234u);
	auto none = resolve_group("no-such-group-tld");
	EXPECT_FALSE(none);
	EXPECT_EQ(none.error().message(), "no group 'no-such-group-tld'");
}

TEST_F(DaemonConfigTest, SampleFileGivesTheDefaults)
{
	auto r = parse({"--config", std::string(TLD_SOURCE_DIR) + "/config/tldd.conf"});
	ASSERT_TRUE(r.ok()) << r.error().message();
	const DaemonConfig &c = r.value();
	DaemonConfig d;
	EXPECT_EQ(c.pin_root, d.pin_root);
	EXPECT_EQ(c.socket, d.socket);
	EXPECT_EQ(c.socket_mode, d.socket_mode);
	EXPECT_EQ(c.socket_group, d.socket_group);
	EXPECT_EQ(c.direct_group, d.direct_group);
	EXPECT_EQ(c.limits.max_threads_per_client, d.limits.max_threads_per_client);
	EXPECT_EQ(c.limits.max_memfd_bytes, d.limits.max_memfd_bytes);
	EXPECT_EQ(c.limits.max_clients, d.limits.max_clients);
	EXPECT_EQ(c.log_level, d.log_level);
	// The sample is written for a /usr install; cmake/install-time.cmake rewrites this line to
	// the keys.conf of the prefix it installs to.
	EXPECT_EQ(c.keys_config, "/etc/tld/keys.conf");
}

} // namespace
} // namespace tld::config
