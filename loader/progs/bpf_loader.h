// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The libbpf side of tldctl: move-only owners for skeletons and links, the pinned
// tld_data_map, and running a task iterator to completion.
#pragma once

#include <memory>
#include <string>
#include <sys/types.h>
#include <utility>

#include <bpf/libbpf.h>

#include "sys/fd.h"
#include "sys/result.h"

namespace tld::ctl {

// Points @map (a skeleton's tld_data_map, before load) at the pinned map @fd.
Result<void> reuse_map(bpf_map *map, int fd);

// Owns one generated skeleton through the static members bpftool gives C++ (S::open, S::load,
// S::destroy): template arguments naming its file-static tldctl_x__* functions would give the
// type internal linkage, and these headers are included by several files.
template <typename S> class Skeleton {
public:
	Skeleton() = default;
	~Skeleton() { S::destroy(skel_); }
	Skeleton(const Skeleton &) = delete;
	Skeleton &operator=(const Skeleton &) = delete;
	Skeleton(Skeleton &&o) noexcept : skel_(std::exchange(o.skel_, nullptr)) {}
	Skeleton &operator=(Skeleton &&o) noexcept
	{
		if (this != &o) {
			S::destroy(skel_);
			skel_ = std::exchange(o.skel_, nullptr);
		}
		return *this;
	}

	// Opens the object; set rodata and reuse maps on get() before load().
	static Result<Skeleton> open()
	{
		Skeleton s;
		s.skel_ = S::open();
		if (!s.skel_)
			return error_from_errno("opening BPF object", errno);
		return s;
	}
	// Opens the object with its tld_data_map pointed at the pinned map @map_fd, and loads it.
	static Result<Skeleton> load_with_data_map(int map_fd)
	{
		auto s = open();
		if (!s)
			return s.error();
		if (auto r = reuse_map(s->get()->maps.tld_data_map, map_fd); !r)
			return r.error();
		if (auto r = s->load(); !r)
			return r.error();
		return std::move(s.value());
	}

	Result<void> load()
	{
		int err = S::load(skel_);
		if (err)
			return error_from_errno("loading BPF programs", err);
		return {};
	}

	S *get() const { return skel_; }
	S *operator->() const { return skel_; }

private:
	S *skel_ = nullptr;
};

struct LinkDeleter {
	void operator()(bpf_link *l) const { bpf_link__destroy(l); }
};
using Link = std::unique_ptr<bpf_link, LinkDeleter>;

// Opens <pin_root>/tld_data_map. Errors: ENOENT (not pinned: tldd never ran there), EACCES/EPERM.
Result<Fd> open_data_map(const std::string &pin_root);

// Opens <pin_root>/tld_broker_map (tldd's record of what it registered) read-only; an empty Fd
// when it is not there or not readable, and list's PATH column then says "?".
Fd open_broker_map(const std::string &pin_root);

// Which tasks a task iterator visits: all, one thread (tid), or one process (pid).
struct TaskFilter {
	pid_t tid = 0;
	pid_t pid = 0;
};

// Attaches the iter/task program @prog with @filter, reads its output to the end.
Result<std::string> run_task_iter(const bpf_program *prog, TaskFilter filter);

// Collects libbpf's messages (the verifier log among them) instead of printing them; tldctl
// prints them only when a load fails or with --verbose.
void capture_libbpf_log(bool verbose);
std::string libbpf_log_tail(size_t max_lines = 30);

} // namespace tld::ctl
