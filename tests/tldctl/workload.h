// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// A forked child process whose threads register in a tld_data_map directly with libtld
// (tld_get_data(map_fd, key)), the stand-in for a preloaded program in tldctl's tests.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "process.h"

namespace tld::test {

struct WorkloadSpec {
	std::string map_path; // the pinned tld_data_map the threads register in
	std::vector<std::pair<std::string, size_t>> keys; // created in this order: name, size
	int threads = 1;   // worker threads, each registered (the main thread is not)
	bool spin = false; // workers burn CPU for spin_ms after go(), then sleep again
	int spin_ms = 0;
	// Runs in worker @index once its block exists: ptrs[k] is its data for keys[k].
	std::function<void(int index, const std::vector<void *> &ptrs)> init;
	std::string thread_name; // if set, workers rename themselves to it plus their index
	uid_t uid = 0;           // the child drops to this uid (and gid) once it has the map open
};

// Starts the child and waits until every worker is registered and initialised. The child
// exits when this object is destroyed (or the test process dies).
class Workload {
public:
	explicit Workload(WorkloadSpec spec);
	~Workload();
	Workload(const Workload &) = delete;
	Workload &operator=(const Workload &) = delete;

	bool ok() const { return error_.empty(); }
	const std::string &error() const { return error_; }
	pid_t pid() const { return pid_; }
	// tids()[i] is worker i's thread id.
	const std::vector<pid_t> &tids() const { return tids_; }
	// Starts the spinning (WorkloadSpec::spin).
	void go();
	// Ends the child now and reaps it.
	void stop();

private:
	pid_t pid_ = -1;
	int stop_fd_ = -1;
	std::vector<pid_t> tids_;
	std::string error_;
};

} // namespace tld::test
