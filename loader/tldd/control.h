// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd's control requests from tldctl (protocol.h, docs/broker.md "Control requests"): QUERY,
// a report of tldd's state and the threads it registered; SET, a hint change on behalf of a
// process's owner who is not root; DUMP, what BPF reads, for the same owners. The owner checks
// here are the ones that count: tldctl's own are only for a clear message.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "config/daemon_config.h"
#include "identity.h"
#include "sys/fd.h"
#include "sys/result.h"

namespace tld::ctl {
class Dumper;
class Setter;
} // namespace tld::ctl

namespace tld::tldd {

class Session;
using Sessions = std::unordered_map<int, std::unique_ptr<Session>>;

class Control {
public:
	Control(int map_fd, int broker_map_fd, const config::DaemonLimits *limits,
	        const Sessions *sessions);
	~Control();
	Control(const Control &) = delete;
	Control &operator=(const Control &) = delete;

	// QUERY: a sealed memfd holding struct tld_broker_report.
	Result<Fd> query();
	// SET from @peer, its struct tld_broker_set in the memfd @payload: the number of threads
	// written, or the error to log.
	Result<int> set(const Peer &peer, int payload);
	// DUMP from @peer: the dump iterator's records of process @pid (0: of every process the
	// peer may read) in a sealed memfd, and how many there are; or the error to log.
	struct Dump {
		Fd records;
		int count;
	};
	Result<Dump> dump(const Peer &peer, pid_t pid);

	// Whether @peer may make one more control request now: limits->control_rate a second per
	// uid, in bursts of as many; root is not limited. Logs a uid's first refusal in a row.
	bool admit(const Peer &peer);

private:
	int map_fd_;
	int broker_map_fd_;
	const config::DaemonLimits *limits_;
	const Sessions *sessions_;
	std::unique_ptr<ctl::Setter> setter_; // loaded on the first SET
	std::unique_ptr<ctl::Dumper> dumper_; // loaded on the first DUMP
	struct Bucket {
		double tokens;
		std::uint64_t at_ns;
		bool refusing;
	};
	std::unordered_map<uid_t, Bucket> buckets_; // admit()'s token buckets
};

} // namespace tld::tldd
