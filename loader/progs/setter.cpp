// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "progs/setter.h"

#include <cerrno>
#include <cstring>

#include <bpf/bpf.h>
#include <sys/ioctl.h>
#include <tldctl/records.h>

#include "sys/pidfd_compat.h"

namespace tld::ctl {

Result<Setter> Setter::load(int map_fd)
{
	auto skel = Skel::load_with_data_map(map_fd);
	if (!skel)
		return skel.error();
	return Setter(std::move(skel.value()));
}

namespace {

// The thread's process as the kernel says now, or -errno (ESRCH: gone).
int tgid_of(int pidfd)
{
	pidfd_info info = {};
	info.mask = PIDFD_INFO_PID;
	if (ioctl(pidfd, PIDFD_GET_INFO, &info))
		return -errno;
	return int(info.tgid);
}

} // namespace

Result<SetResult> Setter::run(pid_t pid, pid_t tid, bool check_only, int proc_pidfd)
{
	// The program finds the thread by number and cannot read its tgid without CAP_PERFMON.
	// So: a pidfd names the thread, which belongs to @pid now; the authorized process, still
	// alive after that, still has @pid, so the thread is its. The thread is marked through
	// its pidfd, and the program writes only to the task with the mark: if the tid is reused
	// by the time it looks, it finds another task and refuses it.
	Fd pidfd(sys::pidfd_open(tid, PIDFD_THREAD));
	if (!pidfd || tgid_of(pidfd.get()) != pid)
		return SetResult{tid, -ESRCH, 0};
	if (proc_pidfd >= 0 && tgid_of(proc_pidfd) != pid)
		return SetResult{tid, -ESRCH, 0};
	if (++last_mark_ == 0)
		last_mark_ = 1;
	const int marks = bpf_map__fd(skel_->maps.tldctl_set_marks);
	int key = pidfd.get();
	if (bpf_map_update_elem(marks, &key, &last_mark_, BPF_ANY))
		return SetResult{tid, -ESRCH, 0}; // the thread is gone

	tldctl_set_ctx ctx = {};
	ctx.tid = tid;
	ctx.mark = last_mark_;
	ctx.check_only = check_only;
	bpf_test_run_opts opts = {};
	opts.sz = sizeof(opts);
	// Syscall programs get ctx_in and write it back in place.
	opts.ctx_in = &ctx;
	opts.ctx_size_in = sizeof(ctx);
	int ran = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.tldctl_set), &opts);
	int err = errno;
	bpf_map_delete_elem(marks, &key);
	if (ran)
		return error_from_errno("running the set program", err);
	if (tgid_of(pidfd.get()) != pid)
		return SetResult{tid, -ESRCH, 0};
	return SetResult{tid, ctx.err, ctx.off};
}

Result<Setter::Outcome> Setter::apply(pid_t pid, const std::vector<pid_t> &tids,
                                      const std::string &key, const std::vector<uint8_t> &value,
                                      bool skip_unregistered, int proc_pidfd)
{
	auto *bss = skel_->bss;
	if (key.empty() || key.size() >= TLD_NAME_LEN)
		return Error{EINVAL, "checking the key name"};
	if (value.empty() || value.size() > TLDCTL_MAX_VALUE)
		return Error{EINVAL, "checking the value size"};
	memset(&bss->key_name, 0, sizeof(bss->key_name));
	memcpy(bss->key_name.c, key.data(), key.size());
	memset(&bss->key_mask, 0, sizeof(bss->key_mask));
	memset(bss->key_mask.c, 0xff, key.size() + 1); // the name and its NUL
	bss->value_size = uint32_t(value.size());
	memset(bss->value, 0, sizeof(bss->value)); // the program writes whole words
	memcpy(bss->value, value.data(), value.size());

	Outcome out;
	bool all_ok = true;
	for (pid_t tid : tids) {
		auto r = run(pid, tid, true, proc_pidfd);
		if (!r)
			return r.error();
		if (skip_unregistered && r->err == -ENXIO)
			continue;
		all_ok = all_ok && r->err == 0;
		out.results.push_back(r.value());
	}
	if (!all_ok)
		return out;
	std::vector<SetResult> written;
	for (const auto &res : out.results) {
		auto r = run(pid, res.tid, false, proc_pidfd);
		if (!r)
			return r.error();
		if (r->err != -ESRCH)
			written.push_back(r.value());
	}
	out.results = std::move(written);
	out.written = true;
	return out;
}

} // namespace tld::ctl
