// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The one way tests (and bench/) run a program: fork and exec with an optional uid, environment
// and stdin, stdout and stderr captured, the exit status, and a timeout after which the program
// is killed. No GoogleTest here, so the benchmarks can use it too.
#pragma once

#include <functional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace tld::test {

// What to run and how.
struct Command {
	std::vector<std::string> argv; // argv[0] is a path: there is no PATH search
	// "NAME=value" entries: the whole environment, or (inherit_env) added to this process's.
	std::vector<std::string> env;
	bool inherit_env = false;
	uid_t uid = uid_t(-1);   // if set: runs as this uid and gid, with no supplementary groups
	std::string stdin_data;  // written to stdin by run(); Process::send() writes more
	std::string stdout_file; // stdout goes to this file instead of being captured
	int timeout_ms = 180000; // run() and Process::finish() kill the program after this
};

struct RunResult {
	int status = -1; // exit code, or 128 + signal (a shell's $?); -1 if it never ran
	std::string out, err;
	bool timed_out = false; // killed with SIGKILL after the timeout
};

// A running program with pipes to its stdin, stdout and stderr (stdout unless stdout_file).
// Output is read only inside the calls below, into out() and err(), both kept whole.
class Process {
public:
	// Starts the program; error() says why if it could not (pid() is then -1).
	explicit Process(const Command &cmd);
	// Kills (SIGKILL) and reaps the program if finish() did not.
	~Process();
	Process(const Process &) = delete;
	Process &operator=(const Process &) = delete;

	pid_t pid() const { return pid_; }
	const std::string &error() const { return error_; }

	// Writes @bytes to the program's stdin, reading its output meanwhile; false if it
	// could not (the program closed its stdin, or @timeout_ms passed).
	bool send(const std::string &bytes, int timeout_ms = 20000);
	// Reads output until @done(out()) holds, both pipes are at end of file, or @timeout_ms
	// passes; returns whether @done held.
	bool read_until(const std::function<bool(const std::string &out)> &done, int timeout_ms);
	// The next line of stdout not yet returned by read_line, without its newline; false at
	// end of file or after @timeout_ms.
	bool read_line(std::string &line, int timeout_ms);
	// Closes stdin, reads everything until end of file and reaps the program; kills it once
	// @timeout_ms have passed. Returns the whole result; later calls return it again.
	RunResult finish(int timeout_ms);
	RunResult finish() { return finish(timeout_ms_); }

	const std::string &out() const { return result_.out; }
	const std::string &err() const { return result_.err; }

private:
	// One poll of the pipes for up to @wait_ms; false when nothing is left open to read.
	bool pump_once(int wait_ms);
	void reap(bool kill_first);

	pid_t pid_ = -1;
	int in_ = -1, out_ = -1, err_ = -1;
	std::string pending_; // for stdin, not yet written
	std::size_t line_at_ = 0;
	int timeout_ms_;
	bool reaped_ = false;
	std::string error_;
	RunResult result_;
};

// Runs @cmd to completion (stdin: cmd.stdin_data, then end of file).
RunResult run(const Command &cmd);

} // namespace tld::test
