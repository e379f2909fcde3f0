// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "kernel_checks.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/capability.h>
#include <memory>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <tld/abi.h> // before the skeleton, which names struct tld_btf_anchor

#include "progs/uptr_probe.h"
#include "sys/fd.h"
#include "sys/pidfd_compat.h"
#include "tld_maps.skel.h"

namespace tld::kernel {

namespace {

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

// BTF's header starts with magic 0xeB9F in the file's (native) byte order.
constexpr uint16_t kBtfMagic = 0xeB9F;

std::string release()
{
	utsname u{};
	return uname(&u) == 0 ? u.release : "unknown";
}

std::string parent_of(const std::string &path)
{
	size_t pos = path.find_last_of('/');
	return pos == 0 || pos == std::string::npos ? std::string("/") : path.substr(0, pos);
}

Check make(const char *name, Verdict v, std::string message)
{
	return Check{name, v, std::move(message)};
}

// libbpf prints its own errors to stderr; a status check reports its verdict instead.
class QuietLibbpf {
public:
	QuietLibbpf() : old_(libbpf_set_print(nullptr)) {}
	~QuietLibbpf() { libbpf_set_print(old_); }
	QuietLibbpf(const QuietLibbpf &) = delete;
	QuietLibbpf &operator=(const QuietLibbpf &) = delete;

private:
	libbpf_print_fn_t old_;
};

// The caller's effective capabilities (both words of the v3 set).
uint64_t effective_caps()
{
	__user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
	__user_cap_data_struct data[2] = {};
	if (syscall(SYS_capget, &hdr, data) != 0)
		return 0;
	return uint64_t(data[0].effective) | uint64_t(data[1].effective) << 32;
}

bool has_cap(uint64_t caps, int cap)
{
	return caps & (uint64_t(1) << cap);
}

} // namespace

bool release_at_least(const std::string &rel, int major, int minor)
{
	int ma = 0, mi = 0;
	if (sscanf(rel.c_str(), "%d.%d", &ma, &mi) != 2)
		return true; // unknown: do not claim the kernel is too old
	return ma > major || (ma == major && mi >= minor);
}

std::string uptr_failure(int err, const std::string &rel)
{
	if (!release_at_least(rel, 6, 13))
		return "kernel too old: tld needs Linux 6.13 or later for __uptr in task storage "
		       "maps (running " +
		       rel + "; creating tld_data_map: " + strerror(err) + ")";
	return "cannot create tld_data_map on Linux " + rel + ": " + strerror(err);
}

Check check_btf(const std::string &path)
{
	Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd && errno == ENOENT)
		return make("btf", Verdict::fail,
		            "no kernel BTF at " + path +
		                    ": the kernel needs CONFIG_DEBUG_INFO_BTF=y (BPF programs that "
		                    "read tld data, and tldctl, need it)");
	if (!fd)
		return make("btf", Verdict::warn, "cannot read " + path + ": " + strerror(errno));
	uint16_t magic = 0;
	if (read(fd.get(), &magic, sizeof(magic)) != sizeof(magic) || magic != kBtfMagic)
		return make("btf", Verdict::fail, path + " is not BTF (bad magic)");
	return make("btf", Verdict::ok, "kernel BTF at " + path);
}

Check check_bpffs(const std::string &pin_root)
{
	const std::string parent = parent_of(pin_root);
	const std::string fix = "mount one with 'mount -t bpf bpf " + parent +
	                        "' (systemd mounts /sys/fs/bpf at boot; tldd mounts it when it "
	                        "has CAP_SYS_ADMIN)";
	struct statfs st {};
	if (statfs(pin_root.c_str(), &st) == 0) {
		if (st.f_type == BPF_FS_MAGIC)
			return make("bpffs", Verdict::ok, pin_root + " is on a bpffs");
		return make("bpffs", Verdict::fail, pin_root + " is not on a bpffs: " + fix);
	}
	if (errno != ENOENT)
		return make("bpffs", Verdict::warn,
		            "cannot check " + pin_root + " as this user: " + strerror(errno));
	// The pin root does not exist yet: tldd creates it, on the parent's bpffs.
	int parent_err = statfs(parent.c_str(), &st) == 0 ? 0 : errno;
	if (!parent_err && st.f_type == BPF_FS_MAGIC)
		return make("bpffs", Verdict::ok,
		            pin_root + " does not exist yet; " + parent +
		                    " is a bpffs (tldd creates it)");
	if (parent_err == ENOENT)
		return make("bpffs", Verdict::fail,
		            "no bpffs at " + pin_root + ": " + parent + " does not exist; mkdir " +
		                    parent + " and " + fix);
	if (parent_err)
		return make("bpffs", Verdict::warn,
		            "cannot check " + parent + " as this user: " + strerror(parent_err));
	return make("bpffs", Verdict::fail,
	            "no bpffs at " + pin_root + " or " + parent + ": " + fix);
}

Check check_uptr()
{
	QuietLibbpf quiet;
	std::unique_ptr<tld_maps, void (*)(tld_maps *)> skel(tld_maps__open_and_load(),
	                                                     tld_maps__destroy);
	if (!skel) {
		int err = errno;
		if (err == EPERM || err == EACCES)
			return make("uptr", Verdict::warn,
			            "not checked: creating a BPF map needs CAP_BPF (run as root)");
		return make("uptr", Verdict::fail, uptr_failure(err, release()));
	}
	Result<progs::UptrFields> fields =
	        progs::probe_uptr_fields(bpf_map__fd(skel->maps.tld_data_map));
	if (fields && *fields == progs::UptrFields::plain)
		return make("uptr", Verdict::fail,
		            "kernel too old: tld needs Linux 6.13 or later for __uptr in task "
		            "storage maps (running " +
		                    release() + ": its uptr fields are kept as plain numbers)");
	if (!fields)
		return make("uptr", Verdict::fail,
		            "registering a thread in a test tld_data_map: " +
		                    std::string(strerror(fields.error().code)));
	return make("uptr", Verdict::ok,
	            "task storage maps take __uptr fields (a test tld_data_map was created and "
	            "probed)");
}

Check check_pidfd_thread()
{
	Fd fd(sys::pidfd_open(gettid(), PIDFD_THREAD));
	if (!fd && errno == ENOSYS)
		return make("pidfd_thread", Verdict::fail,
		            "kernel too old: no pidfd_open(2) (running " + release() +
		                    "; tld needs Linux 6.13 or later)");
	if (!fd && errno == EINVAL)
		return make("pidfd_thread", Verdict::fail,
		            "kernel too old: thread pidfds (PIDFD_THREAD) need Linux 6.9 or later "
		            "(running " +
		                    release() + ")");
	if (!fd)
		return make("pidfd_thread", Verdict::fail,
		            std::string("pidfd_open(tid, PIDFD_THREAD): ") + strerror(errno));
	int flags = fcntl(fd.get(), F_GETFL);
	if (flags < 0 || !(flags & PIDFD_THREAD))
		return make("pidfd_thread", Verdict::fail,
		            "kernel too old: pidfd_open(tid, PIDFD_THREAD) gave a process pidfd "
		            "(thread pidfds need Linux 6.9 or later; running " +
		                    release() + ")");
	return make("pidfd_thread", Verdict::ok,
	            "pidfd_open(tid, PIDFD_THREAD) gives thread pidfds");
}

Check check_pidfd_info()
{
	Fd fd(sys::pidfd_open(getpid(), 0));
	if (!fd)
		return make("pidfd_info", Verdict::fail,
		            std::string("pidfd_open(pid): ") + strerror(errno));
	pidfd_info info{};
	info.mask = PIDFD_INFO_PID;
	if (ioctl(fd.get(), PIDFD_GET_INFO, &info) != 0) {
		if (errno == ENOTTY || errno == EINVAL)
			return make(
			        "pidfd_info", Verdict::fail,
			        "kernel too old: tldd needs ioctl(PIDFD_GET_INFO), Linux 6.13 or "
			        "later (running " +
			                release() + ")");
		return make("pidfd_info", Verdict::fail,
		            std::string("ioctl(PIDFD_GET_INFO): ") + strerror(errno));
	}
	if (info.tgid != uint32_t(getpid()))
		return make("pidfd_info", Verdict::fail,
		            "ioctl(PIDFD_GET_INFO) gave tgid " + std::to_string(info.tgid) +
		                    ", expected " + std::to_string(getpid()));
	return make("pidfd_info", Verdict::ok,
	            "ioctl(PIDFD_GET_INFO) answers (tldd checks whose thread it registers)");
}

Check check_permissions()
{
	// The kernel's bpf_capable() and perfmon_capable() also accept CAP_SYS_ADMIN.
	uint64_t caps = effective_caps();
	bool admin = has_cap(caps, CAP_SYS_ADMIN);
	bool bpf = admin || has_cap(caps, CAP_BPF);
	bool perfmon = admin || has_cap(caps, CAP_PERFMON);
	if (bpf && perfmon)
		return make("permissions", Verdict::ok,
		            "CAP_BPF and CAP_PERFMON: may register threads directly and run "
		            "tldctl list, get, set and top");
	if (bpf)
		return make("permissions", Verdict::warn,
		            "CAP_BPF without CAP_PERFMON: may register threads directly; tldctl "
		            "list, get and set go through tldd (own processes only), top needs "
		            "CAP_PERFMON");
	return make("permissions", Verdict::warn,
	            "no CAP_BPF: this user's programs register through tldd, and tldctl list, "
	            "get and set go through it (own processes only); top needs root");
}

std::vector<Check> run_checks(const CheckOptions &options)
{
	return {check_btf(options.btf_path),
	        check_bpffs(options.pin_root),
	        check_uptr(),
	        check_pidfd_thread(),
	        check_pidfd_info(),
	        check_permissions()};
}

const char *verdict_name(Verdict v)
{
	switch (v) {
	case Verdict::ok:
		return "ok";
	case Verdict::warn:
		return "warn";
	case Verdict::fail:
		return "FAIL";
	}
	return "?";
}

bool all_usable(const std::vector<Check> &checks)
{
	for (const auto &c : checks)
		if (c.verdict == Verdict::fail)
			return false;
	return true;
}

std::string format_checks(const std::vector<Check> &checks)
{
	std::string out;
	char head[48];
	for (const auto &c : checks) {
		snprintf(head, sizeof(head), "  %-5s %-12s ", verdict_name(c.verdict), c.name);
		out += head + c.message + "\n";
	}
	return out;
}

} // namespace tld::kernel
