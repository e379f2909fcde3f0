// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "map_session.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unistd.h>

#include "progs/owner.h"
#include "sys/pidfd_compat.h"
#include "tldd_client.h"

namespace tld::ctl {

void fail_bpf(const Error &err, const std::string &doing)
{
	Error e = err.within(doing);
	if (std::string log = libbpf_log_tail(); !log.empty())
		e = Error{e.code, "", e.message() + "\nlibbpf said:\n" + log};
	throw CliError(e.code == EPERM || e.code == EACCES ? kExitPermission : kExitFailure,
	               std::move(e));
}

Fd open_map(const Context &ctx)
{
	auto map = open_data_map(ctx.pin_root);
	if (!map)
		throw CliError(map.error().code == EACCES || map.error().code == EPERM
		                       ? kExitPermission
		                       : kExitFailure,
		               map_open_error(ctx, map.error().code));
	return std::move(map.value());
}

namespace {

bool refused(int err)
{
	return err == EPERM || err == EACCES;
}

void sort_threads(std::vector<ThreadData> &v)
{
	std::sort(v.begin(), v.end(), [](const ThreadData &a, const ThreadData &b) {
		return a.pid != b.pid ? a.pid < b.pid : a.tid < b.tid;
	});
}

// "permission denied: ..." for a process tldd would not show the caller.
std::string not_yours(pid_t pid)
{
	std::string msg = "permission denied: tldd shows process " + std::to_string(pid) +
	                  " only to root and its owner";
	Fd pidfd(sys::pidfd_open(pid, 0));
	auto owner = pidfd ? process_owner(pidfd.get()) : Result<uid_t>(Error{ESRCH, ""});
	if (owner && *owner == kNoOwner)
		msg += " (it runs with mixed uids: root only)";
	else if (owner)
		msg += " (uid " + std::to_string(*owner) + "), not to uid " +
		       std::to_string(geteuid());
	return msg;
}

} // namespace

Session::Session(const Context &ctx, const char *what, bool via_tldd_if_refused) : ctx_(ctx)
{
	if (!via_tldd_if_refused)
		require_root(what);
	auto map = open_data_map(ctx.pin_root);
	if (!map && via_tldd_if_refused && refused(map.error().code)) {
		refused_ = map_open_error(ctx, map.error().code).message();
		return;
	}
	if (!map)
		map_ = open_map(ctx); // throws with the message for this error
	else
		map_ = std::move(map.value());
	Fd broker = open_broker_map(ctx.pin_root);
	auto d = Dumper::load(map_.get(), broker.get());
	if (!d && via_tldd_if_refused && refused(d.error().code)) {
		refused_ =
		        "cannot load the dump iterator: " + std::string(strerror(d.error().code));
		map_.reset();
		return;
	}
	if (!d)
		fail_bpf(d.error(), "loading the dump iterator");
	dumper_.emplace(std::move(d.value()));
}

std::vector<ThreadData> Session::read_via_tldd(pid_t pid, const Target *t) const
{
	std::string bytes;
	auto answer = dump_via_tldd(ctx_.socket, pid, &bytes);
	if (!answer)
		throw CliError(kExitFailure,
		               refused_ + ", and tldd is not reachable (" +
		                       answer.error().message() +
		                       "): without root, hints are read through tldd");
	const int n = *answer;
	if (n == -EPERM)
		throw CliError(kExitPermission, not_yours(pid));
	if (n == -EBUSY)
		throw CliError(kExitFailure, busy_message());
	if (n == -ESRCH && t)
		throw CliError(kExitFailure, "process " + t->str() + " exited");
	if (n == -ESRCH)
		return {}; // a process that exited meanwhile has nothing registered
	if (n == -EOPNOTSUPP)
		throw CliError(kExitFailure, refused_ + ", and tldd cannot load the dump iterator "
		                                        "(does its unit grant CAP_PERFMON?)");
	if (n < 0)
		throw CliError(kExitFailure, Error{-n, "tldd could not read tld_data_map"});
	auto threads = parse_dump(bytes);
	if (!threads || threads->size() != size_t(n))
		throw CliError(kExitFailure, "tldd's answer to DUMP is malformed");
	sort_threads(threads.value());
	return std::move(threads.value());
}

std::vector<ThreadData> Session::read_all(pid_t pid) const
{
	if (via_tldd())
		return read_via_tldd(pid, nullptr);
	auto threads = dumper_->read(TaskFilter{0, pid});
	if (!threads) {
		// A filtered iterator on a process that exited meanwhile: nothing is registered.
		if (pid && (threads.error().code == ENOENT || threads.error().code == ESRCH))
			return {};
		fail_bpf(threads.error(), "reading tld_data_map");
	}
	sort_threads(threads.value());
	return std::move(threads.value());
}

std::vector<ThreadData> Session::read_target(const Target &t) const
{
	Result<std::vector<ThreadData>> threads = std::vector<ThreadData>{};
	if (via_tldd()) {
		// tldd reads whole processes; the thread is picked here.
		threads = read_via_tldd(t.pid, &t);
		if (t.tid)
			std::erase_if(*threads,
			              [&](const ThreadData &d) { return d.tid != t.tid; });
	} else {
		threads = dumper_->read(t.filter());
	}
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
	sort_threads(v);
	return std::move(v);
}

const KeySlot &slot_of(const std::vector<ThreadData> &threads, pid_t pid, const std::string &key,
                       const std::string &then)
{
	const ThreadData &first = threads.front();
	if (const KeySlot *slot = first.find(key))
		return *slot;
	std::string names;
	for (const auto &k : first.keys)
		names += (names.empty() ? "" : ", ") + k.name;
	throw CliError(kExitFailure, "process " + std::to_string(pid) + " has no key '" + key +
	                                     "' (its keys: " + (names.empty() ? "none" : names) +
	                                     ")" + then);
}

} // namespace tld::ctl
