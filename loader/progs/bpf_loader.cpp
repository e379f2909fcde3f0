// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "progs/bpf_loader.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <deque>
#include <fcntl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <tld/abi.h>

namespace tld::ctl {

Result<Fd> open_data_map(const std::string &pin_root)
{
	std::string path = pin_root + "/" TLD_DATA_MAP_NAME;
	int fd = bpf_obj_get(path.c_str());
	if (fd < 0)
		return error_from_errno("opening the pinned tld_data_map", errno);
	return Fd(fd);
}

Fd open_broker_map(const std::string &pin_root)
{
	std::string path = pin_root + "/" TLD_BROKER_MAP_NAME;
	// Read-only: the pin root's group may read it, only tldd writes it.
	LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
	return Fd(bpf_obj_get_opts(path.c_str(), &opts));
}

Result<void> reuse_map(bpf_map *map, int fd)
{
	int err = bpf_map__reuse_fd(map, fd);
	if (err)
		return error_from_errno("reusing the pinned tld_data_map", err);
	return {};
}

Result<std::string> run_task_iter(const bpf_program *prog, TaskFilter filter)
{
	union bpf_iter_link_info info = {};
	info.task.tid = static_cast<__u32>(filter.tid);
	info.task.pid = static_cast<__u32>(filter.pid);
	bpf_iter_attach_opts opts = {};
	opts.sz = sizeof(opts);
	opts.link_info = &info;
	opts.link_info_len = sizeof(info);

	Link link(bpf_program__attach_iter(prog, &opts));
	if (!link)
		return error_from_errno("attaching the task iterator", errno);
	Fd iter(bpf_iter_create(bpf_link__fd(link.get())));
	if (!iter)
		return error_from_errno("creating the task iterator", errno);

	std::string out;
	char buf[1 << 16];
	for (;;) {
		ssize_t n = read(iter.get(), buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			// EAGAIN: the iterator restarted too often; ENOENT: the filtered task is
			// gone.
			return error_from_errno("reading the task iterator", errno);
		}
		out.append(buf, static_cast<size_t>(n));
	}
	return out;
}

namespace {

std::deque<std::string> &log_lines()
{
	static std::deque<std::string> lines;
	return lines;
}
bool g_verbose = false;

int print_cb(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !g_verbose)
		return 0;
	// libbpf hands over a whole verifier log in one call: split it into lines.
	va_list copy;
	va_copy(copy, args);
	int n = vsnprintf(nullptr, 0, fmt, copy);
	va_end(copy);
	if (n <= 0)
		return n;
	std::string text(size_t(n) + 1, '\0');
	vsnprintf(text.data(), text.size(), fmt, args);
	text.resize(size_t(n));
	if (g_verbose)
		fputs(text.c_str(), stderr);
	auto &lines = log_lines();
	for (size_t pos = 0; pos < text.size();) {
		size_t nl = text.find('\n', pos);
		size_t end = nl == std::string::npos ? text.size() : nl + 1;
		lines.emplace_back(text.substr(pos, end - pos));
		pos = end;
		if (lines.size() > 400)
			lines.pop_front();
	}
	return n;
}

} // namespace

void capture_libbpf_log(bool verbose)
{
	g_verbose = verbose;
	libbpf_set_print(print_cb);
}

std::string libbpf_log_tail(size_t max_lines)
{
	const auto &lines = log_lines();
	std::string out;
	size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
	for (size_t i = first; i < lines.size(); i++)
		out += lines[i];
	return out;
}

} // namespace tld::ctl
