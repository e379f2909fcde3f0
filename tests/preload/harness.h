// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Runs programs under the real libtldpreload.so and reads their threads' hints the way a
// scheduler would: through tld.bpf.h, in a task iterator over the real tld_data_map.
#pragma once

#include <map>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

#include <linux/types.h>

#include "hints_record.h"
#include "process.h"
#include "procfs.h"

struct hints_iter;
struct bpf_link;
#include "sys/fd.h"

namespace tld::test {

struct Hints {
	pid_t pid = 0;
	pid_t tid = 0;
	unsigned found = 0;
	unsigned prio = 0;
	bool latency = false;
	unsigned long long deadline_ns = 0;
	std::string tag;
};

// The hints iterator, loaded once against a tld_data_map; read() runs it anew each time.
class HintsReader {
public:
	// Fails the test (and read() returns empty) if the iterator cannot be loaded.
	explicit HintsReader(int map_fd);
	~HintsReader();
	HintsReader(const HintsReader &) = delete;
	HintsReader &operator=(const HintsReader &) = delete;

	// Every registered task's hints, by tid.
	std::map<pid_t, Hints> read() const;

private:
	::hints_iter *skel_ = nullptr;
	::bpf_link *link_ = nullptr;
};

// One-shot HintsReader(map_fd).read().
std::map<pid_t, Hints> read_hints(int map_fd);

// A test app driven line by line (the "READY" protocol of apps/), on the support runner.
class App {
public:
	// stdout_file: where the program's stdout goes (default: a pipe read into out()).
	App(const std::vector<std::string> &argv, const std::vector<std::string> &env,
	    const std::string &stdout_file = "");

	pid_t pid() const { return proc_.pid(); }
	// Reads until one more "READY" line than the last call saw (or EOF/timeout); returns the
	// roles of every "T <pid> <tid> <role>" line so far, by tid.
	std::map<pid_t, std::string> wait_ready(int timeout_ms = 20000);
	// Writes a line to the app's stdin.
	void send(const std::string &line);
	// Closes stdin (the apps exit then), waits, returns the exit status; stdout/stderr kept.
	int finish(int timeout_ms = 20000);
	const std::string &out() const { return proc_.out(); }
	const std::string &err() const { return proc_.err(); }

private:
	Process proc_;
	std::size_t readies_ = 0;
};

// A stand-in for /dev/log in `dir`: receives the preload's warnings (one datagram each), with a
// stamp directory of its own so that earlier runs on this boot do not silence them.
class LogSink {
public:
	explicit LogSink(const std::string &dir);
	// TLD_LOG_SOCKET and TLD_LOG_STAMPS for preload_env().
	std::vector<std::string> env() const;
	// The datagrams received since the last call.
	std::vector<std::string> take();

private:
	std::string path_, stamps_;
	Fd fd_;
};

// The environment for running under the preload: LD_PRELOAD, TLD_CONFIG and extras.
std::vector<std::string> preload_env(const std::string &config_path,
                                     const std::vector<std::string> &extra = {});

// Writes <dir>/input, @bytes of text for real programs to chew on: within each 4 KiB, half
// easy to compress (four letters), half hard (26). The same bytes every run. Returns the path.
std::string write_input(const std::string &dir, std::size_t bytes);

// The keys and rules of test.conf, which most preload tests run with.
std::string test_keys();

// Writes <dir>/keys.conf: an [options] section holding @options, then @keys; returns the path.
std::string write_config(const std::string &dir, const std::string &options,
                         const std::string &keys = test_keys());

// Paths of the build: the preload (or $TLD_TEST_PRELOAD) and the test apps (set by CMake).
std::string preload_path();
std::string app_path(const std::string &name);

// The support runner with an exact environment (the preload's tests control every variable);
// fails the test if the program had to be killed after 180 s.
RunResult run(const std::vector<std::string> &argv, const std::vector<std::string> &env,
              const std::string &stdout_file = "");

} // namespace tld::test
