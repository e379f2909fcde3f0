// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "control.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <string_view>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <tld/abi.h>

#include "log.h"
#include "progs/dump.h"
#include "progs/owner.h"
#include "progs/setter.h"
#include "session.h"
#include "sys/clock.h"
#include "sys/pidfd_compat.h"
#include "wire/codec.h"

namespace tld::tldd {

namespace {

// A memfd holding @parts one after the other, sealed: the reader maps or reads a file that can
// no longer change under it.
Result<Fd> sealed_memfd(const char *name, std::initializer_list<std::string_view> parts)
{
	Fd mfd(memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING));
	if (!mfd)
		return error_from_errno("memfd_create", errno);
	off_t off = 0;
	for (std::string_view part : parts) {
		while (!part.empty()) {
			ssize_t n = pwrite(mfd.get(), part.data(), part.size(), off);
			if (n <= 0)
				return error_from_errno("writing a memfd", n < 0 ? errno : EIO);
			part.remove_prefix(size_t(n));
			off += n;
		}
	}
	if (fcntl(mfd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		return error_from_errno("sealing a memfd", errno);
	return mfd;
}

// Whether @peer may read the hints of the process @pidfd names, now: root, or its owner (the
// SET rule). False once the process is gone.
bool may_read(const Peer &peer, int pidfd)
{
	auto owner = ctl::process_owner(pidfd);
	return owner && ctl::may_change(peer.uid, *owner);
}

} // namespace

Control::Control(int map_fd, int broker_map_fd, const config::DaemonLimits *limits,
                 const Sessions *sessions)
    : map_fd_(map_fd), broker_map_fd_(broker_map_fd), limits_(limits), sessions_(sessions)
{}

Control::~Control() = default;

Result<Fd> Control::query()
{
	tld_broker_report rep{};
	rep.magic = TLD_BROKER_MAGIC;
	rep.version = TLD_BROKER_VERSION;
	rep.tldd_pid = static_cast<__u32>(getpid());
	rep.max_clients = limits_->max_clients;
	rep.max_threads_per_client = limits_->max_threads_per_client;
	rep.max_memfd_bytes = limits_->max_memfd_bytes;
	for (const auto &[fd, s] : *sessions_) {
		if (!s->has_hello())
			continue;
		rep.clients++;
		rep.mapped_bytes += s->mapped_bytes();
		rep.threads += static_cast<__u32>(s->threads().size());
		rep.at_thread_limit += s->at_thread_limit();
	}
	return sealed_memfd("tldd-report",
	                    {std::string_view(reinterpret_cast<const char *>(&rep), sizeof(rep))});
}

Result<int> Control::set(const Peer &peer, int payload)
{
	// 1. The request, read from a memfd (classify_fd let only shmem and pidfds through).
	struct stat st;
	tld_broker_set req;
	if (fstat(payload, &st) || st.st_size < off_t(sizeof(req)) ||
	    pread(payload, &req, sizeof(req), 0) != sizeof(req)) {
		return Error{EINVAL, "", "SET payload is not a struct tld_broker_set"};
	}
	size_t key_len = strnlen(req.key, sizeof(req.key));
	if (req.magic != TLD_BROKER_MAGIC || req.pid <= 0 || req.tid < 0 || key_len == 0 ||
	    key_len >= TLD_NAME_LEN || req.value_size == 0 ||
	    req.value_size > TLD_BROKER_SET_MAX_VALUE || req.reserved) {
		return Error{EINVAL, "", "malformed SET"};
	}
	std::string key(req.key, key_len);

	// 2. Who owns the target: asked through a pidfd, which names that one process for good.
	Fd proc(sys::pidfd_open(req.pid, 0));
	if (!proc) {
		return Error{ESRCH, "", "no such process"};
	}
	auto owner = ctl::process_owner(proc.get());
	if (!owner) {
		return Error{ESRCH, "", "no such process"};
	}
	if (!ctl::may_change(peer.uid, *owner)) {
		return Error{EPERM, "", "not the owner of pid " + std::to_string(req.pid)};
	}

	// 3. The set program, loaded once; it needs CAP_BPF only.
	if (!setter_) {
		auto s = ctl::Setter::load(map_fd_);
		if (!s) {
			return Error{EOPNOTSUPP, "cannot load the set program",
			             s.error().message()};
		}
		setter_ = std::make_unique<ctl::Setter>(std::move(s.value()));
	}

	// 4. Every thread (or the one named), checked first, written only if all can take it.
	std::vector<pid_t> tids =
	        req.tid ? std::vector<pid_t>{req.tid} : ctl::process_threads(req.pid);
	std::vector<uint8_t> value(req.value, req.value + req.value_size);
	auto out = setter_->apply(req.pid, tids, key, value, req.tid == 0, proc.get());
	if (!out)
		return std::move(out).error();
	int written = 0, first_err = 0;
	for (const auto &r : out->results) {
		if (r.err && !first_err)
			first_err = r.err;
		if (!r.err && out->written)
			written++;
	}
	// The pidfd still names a live process: its pid was not reused while the tids of
	// /proc/PID/task were checked against it, so every write went to that process.
	if (!ctl::process_owner(proc.get())) {
		return Error{ESRCH, "", "process exited"};
	}
	if (first_err)
		return Error{-first_err, "",
		             out->written ? "failed after writing some threads"
		                          : "nothing written"};
	if (!written) {
		return Error{ENXIO, "", "no thread has task local data"};
	}
	LOG_N("client pid %d uid %u: set %s in pid %d (%d thread%s)", peer.tgid, peer.uid,
	      key.c_str(), req.pid, written, written == 1 ? "" : "s");
	return written;
}

Result<Control::Dump> Control::dump(const Peer &peer, pid_t pid)
{
	// 1. The dump iterator, loaded once. A task iterator is a tracing program: besides
	// CAP_BPF it needs CAP_PERFMON (tests/tldctl/caps_test.cpp).
	if (!dumper_) {
		auto d = ctl::Dumper::load(map_fd_, broker_map_fd_);
		if (!d) {
			return Error{EOPNOTSUPP, "cannot load the dump program",
			             d.error().message()};
		}
		dumper_ = std::make_unique<ctl::Dumper>(std::move(d.value()));
	}

	// 2. The processes whose records the peer gets, each held as a pidfd taken before the
	// read. One that is still alive and readable after the read had that pid throughout, so
	// a record with that pid is its own, never a recycled pid's earlier owner's.
	const bool everyone = peer.uid == 0 && pid == 0;
	std::map<pid_t, Fd> readable;
	if (pid) {
		Fd proc(sys::pidfd_open(pid, 0));
		if (!proc || !ctl::process_owner(proc.get())) {
			return Error{ESRCH, "", "no such process"};
		}
		if (!may_read(peer, proc.get())) {
			return Error{EPERM, "", "not the owner of pid " + std::to_string(pid)};
		}
		readable.emplace(pid, std::move(proc));
	} else if (!everyone) {
		// Which processes have entries at all: a first read, only for their pids.
		auto first = dumper_->read_raw();
		auto records = first ? ctl::split_dump(*first)
		                     : Result<std::vector<ctl::RawRecord>>(first.error());
		if (!records)
			return std::move(records).error();
		for (const auto &r : *records) {
			if (readable.count(r.pid))
				continue;
			Fd proc(sys::pidfd_open(r.pid, 0));
			if (proc && may_read(peer, proc.get()))
				readable.emplace(r.pid, std::move(proc));
		}
	}

	// 3. The read that counts.
	auto bytes = dumper_->read_raw(ctl::TaskFilter{0, pid});
	if (!bytes) {
		int err = bytes.error().code;
		if (pid && (err == ENOENT || err == ESRCH))
			return Error{ESRCH, "", "process exited"};
		return std::move(bytes).error();
	}
	auto records = ctl::split_dump(*bytes);
	if (!records)
		return Error{EIO, "", records.error().message()};

	// 4. Only records of processes that are still there and still readable.
	for (auto it = readable.begin(); it != readable.end();)
		it = may_read(peer, it->second.get()) ? std::next(it) : readable.erase(it);
	if (pid && !readable.count(pid)) {
		return Error{ESRCH, "", "process exited or changed its owner"};
	}
	std::string kept;
	int n = 0;
	for (const auto &r : *records) {
		if (!everyone && !readable.count(r.pid))
			continue;
		kept.append(r.bytes);
		n++;
	}
	auto mfd = sealed_memfd("tldd-dump", {kept});
	if (!mfd)
		return std::move(mfd).error();
	std::string what = pid ? "pid " + std::to_string(pid) : "every readable process";
	LOG_D("client pid %d uid %u: dump of %s (%d thread%s)", peer.tgid, peer.uid, what.c_str(),
	      n, n == 1 ? "" : "s");
	return Dump{std::move(mfd.value()), n};
}

// A token bucket per uid: control_rate tokens a second, as many at most.
bool Control::admit(const Peer &peer)
{
	if (peer.uid == 0)
		return true;
	const double rate = limits_->control_rate;
	const std::uint64_t now = sys::monotonic_ns();
	auto refill = [&](Bucket &b) {
		b.tokens =
		        std::min(rate, b.tokens + static_cast<double>(now - b.at_ns) * rate / 1e9);
		b.at_ns = now;
	};
	// Bounded: uids whose buckets filled up again are forgotten; if every one is still busy,
	// a new uid waits for that.
	constexpr size_t kMaxUids = 4096;
	if (buckets_.size() >= kMaxUids && !buckets_.count(peer.uid))
		for (auto it = buckets_.begin(); it != buckets_.end();) {
			refill(it->second);
			it = it->second.tokens >= rate ? buckets_.erase(it) : std::next(it);
		}
	if (buckets_.size() >= kMaxUids && !buckets_.count(peer.uid))
		return false;
	Bucket &b = buckets_.try_emplace(peer.uid, Bucket{rate, now, false}).first->second;
	refill(b);
	if (b.tokens >= 1) {
		b.tokens -= 1;
		b.refusing = false;
		return true;
	}
	if (!b.refusing)
		LOG_W("uid %u: over control-rate %u: refusing its control requests (EBUSY)",
		      peer.uid, limits_->control_rate);
	b.refusing = true;
	return false;
}

// A control request on a session: answered always, with the report's or the records' fd.
int Session::control_request(const broker::Request &req, Fd passed)
{
	if (memfd_) {
		reject(req, -EINVAL, 0, "control request on a registration connection");
		return -EINVAL;
	}
	// Pids in the request and the report mean the same on both sides only in one namespace.
	if (req.tid != peer_.tgid) {
		reject(req, -EXDEV, 0, "control request from another pid namespace");
		return -EXDEV;
	}
	if (!ctx_.control) {
		reject(req, -EOPNOTSUPP, 0, "no control requests here");
		return -EOPNOTSUPP;
	}
	// Authorized as the peer that connected (peer_.uid is SO_PEERCRED's); a process that has
	// since exec'd a setuid binary or changed ids is not that peer any more.
	if (int err = peer_check(peer_)) {
		reject(req, err, 0,
		       err == -EPERM ? "client's credentials changed since it connected"
		                     : "client process is gone");
		return err;
	}
	// Not reject(): admit() logs once per burst of refusals, not once per connection.
	if (!ctx_.control->admit(peer_)) {
		reply(req, TLD_BROKER_ERROR, -EBUSY, 0);
		return -EBUSY;
	}
	if (req.type == TLD_BROKER_SET) {
		auto n = ctx_.control->set(peer_, passed.get());
		if (!n) {
			reject(req, n.error().negative(), 0, n.error().message().c_str());
			return n.error().negative();
		}
		reply(req, TLD_BROKER_ACK, 0, *n);
		return 0;
	}
	Fd answer;
	int n = 0;
	if (req.type == TLD_BROKER_DUMP) {
		auto dump = ctx_.control->dump(peer_, req.target);
		if (!dump) {
			reject(req, dump.error().negative(), 0, dump.error().message().c_str());
			return dump.error().negative();
		}
		answer = std::move(dump->records);
		n = dump->count;
	} else {
		auto report = ctx_.control->query();
		if (!report) {
			reject(req, report.error(), 0);
			return report.error().negative();
		}
		answer = std::move(report.value());
	}
	tld_broker_event ev;
	broker::make_event(&ev, req, TLD_BROKER_ACK, 0, n, dropped_);
	if (broker::send_message(sock_.get(), &ev, sizeof(ev), answer.get(), MSG_DONTWAIT) < 0)
		dropped_++;
	return 0;
}

} // namespace tld::tldd
