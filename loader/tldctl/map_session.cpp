// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "map_session.h"

#include <algorithm>
#include <cerrno>

namespace tld::ctl {

void fail_bpf(const Error &err, const std::string &doing)
{
	std::string msg = doing + ": " + err.message();
	std::string log = libbpf_log_tail();
	if (!log.empty())
		msg += "\nlibbpf said:\n" + log;
	throw CliError(err.code == EPERM || err.code == EACCES ? kExitPermission : kExitFailure,
	               msg);
}

Fd open_map(const Context &ctx)
{
	auto map = open_data_map(ctx.pin_root);
	if (!map)
		throw CliError(map.error().code == EACCES || map.error().code == EPERM
		                       ? kExitPermission
		                       : kExitFailure,
		               map_open_message(ctx, map.error().code));
	return std::move(map.value());
}

Session::Session(const Context &ctx, const char *what) : ctx_(ctx)
{
	require_root(what);
	map_ = open_map(ctx);
	auto d = Dumper::load(map_.get());
	if (!d)
		fail_bpf(d.error(), "loading the dump iterator");
	dumper_.emplace(std::move(d.value()));
}

std::vector<ThreadData> Session::read_all(pid_t pid) const
{
	auto threads = dumper_->read(TaskFilter{0, pid});
	if (!threads) {
		// A filtered iterator on a process that exited meanwhile: nothing is registered.
		if (pid && (threads.error().code == ENOENT || threads.error().code == ESRCH))
			return {};
		fail_bpf(threads.error(), "reading tld_data_map");
	}
	auto &v = threads.value();
	std::sort(v.begin(), v.end(), [](const ThreadData &a, const ThreadData &b) {
		return a.pid != b.pid ? a.pid < b.pid : a.tid < b.tid;
	});
	return std::move(v);
}

std::vector<ThreadData> Session::read_target(const Target &t) const
{
	auto threads = dumper_->read(t.filter());
	if (!threads) {
		if (threads.error().code == ENOENT || threads.error().code == ESRCH)
			throw CliError(kExitFailure, "process " + t.str() + " exited");
		fail_bpf(threads.error(), "reading tld_data_map");
	}
	auto &v = threads.value();
	if (v.empty())
		throw CliError(kExitFailure, (t.tid ? "thread " + t.str() : "process " + t.str()) +
		                                     " has no task local data in " + ctx_.pin_root +
		                                     "/tld_data_map");
	std::sort(v.begin(), v.end(),
	          [](const ThreadData &a, const ThreadData &b) { return a.tid < b.tid; });
	return std::move(v);
}

std::string key_names(const ThreadData &t)
{
	std::string s;
	for (const auto &k : t.keys)
		s += (s.empty() ? "" : ", ") + k.name;
	return s.empty() ? "none" : s;
}

} // namespace tld::ctl
