// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The sysadmin's sweep of issue 14: real programs from Debian packages (compressors with
// threads, python3 threading / multiprocessing / asyncio, perl threads, bash and dash, git,
// sqlite3, openssl, make -j2 with gcc, tar, find, awk, sed, grep, java, node workers, ssh ...)
// under the real preload, with tldd up and with tldd down. Each case (tests/preload/sweep/*.sh)
// runs on fixed inputs in a fresh directory at the same path; its stdout, stderr and exit
// status must be byte for byte those of the run without the preload.
#include <gtest/gtest.h>

#include <algorithm>
#include <dirent.h>
#include <filesystem>
#include <sys/stat.h>

#include "bpffs.h"
#include "harness.h"
#include "tests/tldd/harness.h"

namespace tld::test {
namespace {

const std::string kSweepDir = std::string(TLD_TEST_SOURCE_DIR) + "/sweep";

std::vector<std::string> cases()
{
	std::vector<std::string> names;
	if (DIR *d = opendir(kSweepDir.c_str())) {
		while (dirent *e = readdir(d)) {
			std::string n = e->d_name;
			if (n.size() > 3 && n.ends_with(".sh"))
				names.push_back(n.substr(0, n.size() - 3));
		}
		closedir(d);
	}
	std::sort(names.begin(), names.end());
	return names;
}

class Sweep : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(bpffs_.ok());
		chmod(dir_.path().c_str(), 0755);
		in_ = dir_.path() + "/in";
		work_ = dir_.path() + "/w";
		mkdir(in_.c_str(), 0755);
		RunResult r =
		        run({"/bin/bash", kSweepDir + "/inputs", in_}, {"PATH=/usr/bin:/bin"});
		ASSERT_EQ(r.status, 0) << r.err;
	}

	std::vector<std::string> base_env() const
	{
		return {"PATH=/usr/bin:/bin", "HOME=" + work_,
		        "LC_ALL=C",           "TZ=UTC",
		        "IN=" + in_,          "SRC=" + std::string(TLD_TEST_SOURCE_DIR),
		        "W=" + work_};
	}

	// One case in a fresh work directory; stdout, stderr and status together.
	std::string run_case(const std::string &name, const std::vector<std::string> &env)
	{
		std::filesystem::remove_all(work_);
		mkdir(work_.c_str(), 0755);
		RunResult r = run({"/bin/bash", "-c", "cd \"$W\" && exec bash \"$0\"",
		                   kSweepDir + "/" + name + ".sh"},
		                  env);
		return "status " + std::to_string(r.status) + "\n--- stdout\n" + r.out +
		       "--- stderr\n" + r.err;
	}

	// Every case, with and without the preload (config `options`).
	void sweep(const std::string &options)
	{
		std::string config = write_config(dir_.path(), options);
		chmod(config.c_str(), 0644);
		auto with = base_env();
		for (const std::string &e : preload_env(config, log_.env()))
			if (!e.starts_with("PATH="))
				with.push_back(e);
		auto names = cases();
		ASSERT_GE(names.size(), 20u) << kSweepDir;
		for (const std::string &name : names) {
			SCOPED_TRACE(name);
			std::string plain = run_case(name, base_env());
			EXPECT_EQ(plain.substr(0, 9), "status 0\n") << plain;
			EXPECT_EQ(run_case(name, with), plain);
		}
	}

	TempDir dir_;
	LogSink log_{dir_.path()};
	BpffsMount bpffs_;
	std::string in_, work_;
};

TEST_F(Sweep, TlddUp)
{
	Tldd tldd(bpffs_.path());
	std::string why;
	ASSERT_TRUE(tldd.start_ready({}, &why)) << why;
	sweep("socket = " + tldd.socket_path + "\npin_root = " + tldd.pin_root + "\n");
	std::string log = tldd.log();
	EXPECT_EQ(log.find("malformed message"), std::string::npos) << log;
	EXPECT_EQ(log.find("board without its magic"), std::string::npos) << log;
	// Nothing went wrong in the preload either: no warning for the admin.
	EXPECT_EQ(log_.take(), std::vector<std::string>{});
	// And the preload was at work: threads went through tldd.
	std::string config = dir_.path() + "/keys.conf";
	RunResult r = run({"/usr/bin/xz", "-T2", "-c", in_ + "/lines.txt"},
	                  preload_env(config, {"TLD_DEBUG=1"}), "/dev/null");
	EXPECT_NE(r.err.find("registration = auto: path tldd's broker"), std::string::npos)
	        << r.err;
}

TEST_F(Sweep, TlddDown)
{
	sweep("socket = " + dir_.path() + "/none.sock\npin_root = " + bpffs_.path() + "/tld\n");
}

} // namespace
} // namespace tld::test
