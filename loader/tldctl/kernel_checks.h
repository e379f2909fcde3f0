// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Run-time checks of what tld needs from the running kernel and the caller, each with one
// verdict and one line to show the user (tldctl status; docs/troubleshooting.md quotes them).
//
// Every check probes the feature itself rather than trusting the version number: distribution
// kernels backport. The version only decides whether a failure is worded "kernel too old".
#pragma once

#include <string>
#include <vector>

namespace tld::kernel {

enum class Verdict {
	ok,   // works
	warn, // not checked (no permission to look), or works with limits the message names
	fail, // tld cannot work here until the message's fix is applied
};

struct Check {
	const char
	        *name; // stable identifier: btf, bpffs, uptr, pidfd_thread, pidfd_info, permissions
	Verdict verdict;
	std::string message; // one line, what the user sees
};

struct CheckOptions {
	std::string btf_path = "/sys/kernel/btf/vmlinux";
	std::string pin_root = "/sys/fs/bpf/tld";
};

// Kernel BTF exists and is BTF (CONFIG_DEBUG_INFO_BTF): BPF consumers and tldctl need it.
Check check_btf(const std::string &path);
// The pin root is on a bpffs, or does not exist yet but its parent is one (tldd creates it).
Check check_bpffs(const std::string &pin_root);
// A task storage map whose value has __uptr fields can be created, and the kernel treats them
// as uptrs (a lookup returns them zeroed). Needs CAP_BPF; otherwise a warning.
Check check_uptr();
// pidfd_open(gettid(), PIDFD_THREAD) gives a thread pidfd (registration keys).
Check check_pidfd_thread();
// ioctl(PIDFD_GET_INFO) answers (tldd checks a thread's process with it).
Check check_pidfd_info();
// The caller's capabilities: what it may do itself and what goes through tldd.
Check check_permissions();

// All of the above, in that order.
std::vector<Check> run_checks(const CheckOptions &options = {});

// "ok", "warn", "FAIL".
const char *verdict_name(Verdict v);
// True when no check failed.
bool all_usable(const std::vector<Check> &checks);
// One line per check: "  ok    btf          kernel BTF at /sys/kernel/btf/vmlinux".
std::string format_checks(const std::vector<Check> &checks);

// Helpers, exposed for tests: does `release` (uname -r) name at least major.minor?
bool release_at_least(const std::string &release, int major, int minor);
// The message for a failed tld_data_map creation or probe with errno `err` on `release`.
std::string uptr_failure(int err, const std::string &release);

} // namespace tld::kernel
