// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// loader/tldctl/kernel_checks: every check passes on this kernel (6.13+, BTF, root), and each
// failure path says the exact line docs/troubleshooting.md quotes.
#include <gtest/gtest.h>

#include <cstdio>
#include <linux/capability.h>
#include <string>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "bpffs.h"
#include "child.h"
#include "kernel_checks.h"

namespace tld::kernel {
namespace {

using test::BpffsMount;
using test::TempDir;

::testing::AssertionResult verdict_is(const Check &c, Verdict want)
{
	if (c.verdict == want)
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure()
	       << c.name << ": " << verdict_name(c.verdict) << ", " << c.message;
}

// With a private bpffs as the pin root: tests never look at /sys/fs/bpf.
TEST(KernelChecks, EverythingPassesHere)
{
	BpffsMount fs;
	ASSERT_TRUE(fs.ok());
	CheckOptions options;
	options.pin_root = fs.path() + "/tld";
	auto checks = run_checks(options);
	ASSERT_EQ(checks.size(), 6u);
	for (const auto &c : checks)
		EXPECT_TRUE(verdict_is(c, Verdict::ok));
	EXPECT_TRUE(all_usable(checks));
	std::string text = format_checks(checks);
	EXPECT_NE(text.find("\n  ok    uptr         task storage maps take __uptr fields (a test "
	                    "tld_data_map was created and probed)\n"),
	          std::string::npos)
	        << text;
}

TEST(KernelChecks, Btf)
{
	EXPECT_TRUE(verdict_is(check_btf("/sys/kernel/btf/vmlinux"), Verdict::ok));
	EXPECT_EQ(check_btf("/sys/kernel/btf/vmlinux").message,
	          "kernel BTF at /sys/kernel/btf/vmlinux");

	Check missing = check_btf("/nonexistent/vmlinux");
	EXPECT_TRUE(verdict_is(missing, Verdict::fail));
	EXPECT_EQ(missing.message, "no kernel BTF at /nonexistent/vmlinux: the kernel needs "
	                           "CONFIG_DEBUG_INFO_BTF=y (BPF programs that read tld data, and "
	                           "tldctl, need it)");

	TempDir dir;
	std::string junk = dir.path() + "/vmlinux";
	FILE *f = fopen(junk.c_str(), "w");
	ASSERT_NE(f, nullptr);
	fputs("not btf", f);
	fclose(f);
	Check bad = check_btf(junk);
	EXPECT_TRUE(verdict_is(bad, Verdict::fail));
	EXPECT_EQ(bad.message, junk + " is not BTF (bad magic)");
}

TEST(KernelChecks, BpffsMountedAtThePinRoot)
{
	BpffsMount fs;
	ASSERT_TRUE(fs.ok());
	Check on = check_bpffs(fs.path());
	EXPECT_TRUE(verdict_is(on, Verdict::ok));
	EXPECT_EQ(on.message, fs.path() + " is on a bpffs");

	// A pin root tldd has not created yet, on a bpffs parent.
	Check later = check_bpffs(fs.path() + "/tld");
	EXPECT_TRUE(verdict_is(later, Verdict::ok));
	EXPECT_EQ(later.message, fs.path() + "/tld does not exist yet; " + fs.path() +
	                                 " is a bpffs (tldd creates it)");
}

TEST(KernelChecks, BpffsMissing)
{
	TempDir dir; // /tmp: never a bpffs
	const std::string fix_tail =
	        "' (systemd mounts /sys/fs/bpf at boot; tldd mounts it when it "
	        "has CAP_SYS_ADMIN)";

	Check plain = check_bpffs(dir.path());
	EXPECT_TRUE(verdict_is(plain, Verdict::fail));
	EXPECT_EQ(plain.message, dir.path() +
	                                 " is not on a bpffs: mount one with 'mount -t bpf bpf " +
	                                 "/tmp" + fix_tail);

	Check below = check_bpffs(dir.path() + "/tld");
	EXPECT_TRUE(verdict_is(below, Verdict::fail));
	EXPECT_EQ(below.message, "no bpffs at " + dir.path() + "/tld or " + dir.path() +
	                                 ": mount one with 'mount -t bpf bpf " + dir.path() +
	                                 fix_tail);

	Check nowhere = check_bpffs(dir.path() + "/gone/tld");
	EXPECT_TRUE(verdict_is(nowhere, Verdict::fail));
	EXPECT_EQ(nowhere.message, "no bpffs at " + dir.path() + "/gone/tld: " + dir.path() +
	                                   "/gone does not exist; mkdir " + dir.path() +
	                                   "/gone and mount one with 'mount -t bpf bpf " +
	                                   dir.path() + "/gone" + fix_tail);
}

TEST(KernelChecks, UptrAndPidfds)
{
	EXPECT_TRUE(verdict_is(check_uptr(), Verdict::ok));
	EXPECT_TRUE(verdict_is(check_pidfd_thread(), Verdict::ok));
	EXPECT_TRUE(verdict_is(check_pidfd_info(), Verdict::ok));
	// A thread pidfd of a thread other than the leader.
	std::thread t([] { EXPECT_TRUE(verdict_is(check_pidfd_thread(), Verdict::ok)); });
	t.join();
}

TEST(KernelChecks, TooOldWording)
{
	EXPECT_FALSE(release_at_least("6.12.9-amd64", 6, 13));
	EXPECT_FALSE(release_at_least("5.15.0-91-generic", 6, 13));
	EXPECT_TRUE(release_at_least("6.13.0", 6, 13));
	EXPECT_TRUE(release_at_least("7.0.1", 6, 13));
	EXPECT_TRUE(release_at_least("weird", 6, 13));

	EXPECT_EQ(uptr_failure(EINVAL, "6.1.0-28-amd64"),
	          "kernel too old: tld needs Linux 6.13 or later for __uptr in task storage maps "
	          "(running 6.1.0-28-amd64; creating tld_data_map: Invalid argument)");
	EXPECT_EQ(uptr_failure(ENOMEM, "6.18.1"),
	          "cannot create tld_data_map on Linux 6.18.1: Cannot allocate memory");
}

// Without capabilities: the map checks cannot run and say so; they do not claim the kernel
// lacks the feature.
TEST(KernelChecks, WithoutCapabilities)
{
	TLD_IN_CHILD([] {
		__user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
		__user_cap_data_struct none[2] = {};
		ASSERT_EQ(syscall(SYS_capset, &hdr, none), 0);

		Check perm = check_permissions();
		EXPECT_TRUE(verdict_is(perm, Verdict::warn));
		EXPECT_EQ(perm.message,
		          "no CAP_BPF: this user's programs register through tldd, and tldctl "
		          "list, get and set go through it (own processes only); top needs root");
		Check uptr = check_uptr();
		EXPECT_TRUE(verdict_is(uptr, Verdict::warn));
		EXPECT_EQ(uptr.message,
		          "not checked: creating a BPF map needs CAP_BPF (run as root)");
		// Neither stops tld: unprivileged programs use the broker.
		EXPECT_TRUE(all_usable({perm, uptr}));
		// A pin root this user may not look into is not checked, not failed.
		TempDir dir;
		std::string locked = dir.path() + "/locked";
		ASSERT_EQ(mkdir(locked.c_str(), 0), 0);
		Check fs = check_bpffs(locked + "/tld");
		EXPECT_TRUE(verdict_is(fs, Verdict::warn));
		EXPECT_EQ(fs.message,
		          "cannot check " + locked + "/tld as this user: Permission denied");
		chmod(locked.c_str(), 0700); // so that TempDir can remove it
		// pidfds need no privilege.
		EXPECT_TRUE(verdict_is(check_pidfd_thread(), Verdict::ok));
		EXPECT_TRUE(verdict_is(check_pidfd_info(), Verdict::ok));
	});
}

} // namespace
} // namespace tld::kernel
