// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "process.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace tld::test {
namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline)
{
	auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
	return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

std::vector<std::string> environment(const Command &cmd)
{
	if (!cmd.inherit_env)
		return cmd.env;
	std::vector<std::string> env;
	for (char **e = environ; *e; e++) {
		std::string entry(*e);
		std::string name = entry.substr(0, entry.find('=') + 1);
		bool replaced = false;
		for (const auto &mine : cmd.env)
			replaced = replaced || mine.rfind(name, 0) == 0;
		if (!replaced)
			env.push_back(entry);
	}
	env.insert(env.end(), cmd.env.begin(), cmd.env.end());
	return env;
}

std::vector<char *> cstrings(const std::vector<std::string> &v)
{
	std::vector<char *> out;
	for (const auto &s : v)
		out.push_back(const_cast<char *>(s.c_str()));
	out.push_back(nullptr);
	return out;
}

void close_fd(int &fd)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
}

// write(2) with SIGPIPE blocked and any it raised consumed: a program that closed its stdin
// must fail the write, not kill the test (ignoring SIGPIPE instead would pass to children).
ssize_t write_no_sigpipe(int fd, const char *p, std::size_t n)
{
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ssize_t w = write(fd, p, n);
	int saved = errno;
	if (w < 0 && errno == EPIPE) {
		timespec zero{};
		sigtimedwait(&pipe_set, nullptr, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, nullptr);
	errno = saved;
	return w;
}

} // namespace

Process::Process(const Command &cmd) : timeout_ms_(cmd.timeout_ms)
{
	int in[2], out[2], err[2];
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		error_ = std::string("pipe: ") + strerror(errno);
		return;
	}
	// Everything the child needs is built before fork(): the test may have threads.
	auto args = cstrings(cmd.argv);
	auto env_strings = environment(cmd);
	auto envp = cstrings(env_strings);
	const char *stdout_file = cmd.stdout_file.empty() ? nullptr : cmd.stdout_file.c_str();
	pid_ = fork();
	if (pid_ == 0) {
		int stdout_fd = stdout_file ? open(stdout_file, O_WRONLY | O_CREAT | O_TRUNC, 0644)
		                            : out[1];
		if (dup2(in[0], 0) < 0 || dup2(stdout_fd, 1) < 0 || dup2(err[1], 2) < 0)
			_exit(126);
		if (cmd.uid != uid_t(-1) &&
		    (setgroups(0, nullptr) || setgid(cmd.uid) || setuid(cmd.uid)))
			_exit(126);
		execve(args[0], args.data(), envp.data());
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (pid_ < 0) {
		error_ = std::string("fork: ") + strerror(errno);
		close(in[1]);
		close(out[0]);
		close(err[0]);
		return;
	}
	in_ = in[1];
	out_ = out[0];
	err_ = err[0];
	// Writes wait in poll() beside the reads: a program that writes much before it reads
	// its stdin never deadlocks with us.
	fcntl(in_, F_SETFL, O_NONBLOCK);
	pending_ = cmd.stdin_data;
}

Process::~Process()
{
	reap(true);
	close_fd(in_);
	close_fd(out_);
	close_fd(err_);
}

bool Process::pump_once(int wait_ms)
{
	pollfd fds[3] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}, {-1, POLLOUT, 0}};
	if (in_ >= 0 && !pending_.empty())
		fds[2].fd = in_;
	if (fds[0].fd < 0 && fds[1].fd < 0 && fds[2].fd < 0)
		return false;
	int n = poll(fds, 3, wait_ms);
	if (n <= 0)
		return true;
	for (int i = 0; i < 2; i++) {
		if (fds[i].fd < 0 || !fds[i].revents)
			continue;
		char buf[4096];
		ssize_t r = read(fds[i].fd, buf, sizeof(buf));
		if (r > 0)
			(i == 0 ? result_.out : result_.err)
			        .append(buf, static_cast<std::size_t>(r));
		else if (r == 0 || errno != EINTR)
			close_fd(i == 0 ? out_ : err_);
	}
	if (fds[2].fd >= 0 && fds[2].revents) {
		ssize_t w = write_no_sigpipe(in_, pending_.data(), pending_.size());
		if (w > 0)
			pending_.erase(0, static_cast<std::size_t>(w));
		else if (errno != EAGAIN && errno != EINTR)
			close_fd(in_); // the program closed its stdin
	}
	return true;
}

bool Process::send(const std::string &bytes, int timeout_ms)
{
	if (in_ < 0)
		return false;
	pending_ += bytes;
	auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
	while (in_ >= 0 && !pending_.empty() && ms_left(deadline) > 0)
		pump_once(ms_left(deadline));
	return in_ >= 0 && pending_.empty();
}

bool Process::read_until(const std::function<bool(const std::string &out)> &done, int timeout_ms)
{
	auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
	for (;;) {
		if (done(result_.out))
			return true;
		int left = ms_left(deadline);
		if (left == 0 || !pump_once(left) || (out_ < 0 && err_ < 0))
			return done(result_.out);
	}
}

bool Process::read_line(std::string &line, int timeout_ms)
{
	std::size_t nl = std::string::npos;
	read_until(
	        [&](const std::string &out) {
		        nl = out.find('\n', line_at_);
		        return nl != std::string::npos;
	        },
	        timeout_ms);
	if (nl == std::string::npos)
		return false;
	line = result_.out.substr(line_at_, nl - line_at_);
	line_at_ = nl + 1;
	return true;
}

void Process::reap(bool kill_first)
{
	if (pid_ <= 0 || reaped_)
		return;
	if (kill_first)
		kill(pid_, SIGKILL);
	int st = 0;
	while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
	}
	reaped_ = true;
	result_.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

RunResult Process::finish(int timeout_ms)
{
	if (pid_ <= 0 || reaped_)
		return result_;
	auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
	while (in_ >= 0 && !pending_.empty() && ms_left(deadline) > 0)
		pump_once(ms_left(deadline));
	close_fd(in_); // the programs tests drive exit at end of input
	while ((out_ >= 0 || err_ >= 0) && ms_left(deadline) > 0)
		pump_once(ms_left(deadline));
	// The pipes closed; the program exits now (or left a child holding them: wait still).
	// A pidfd turns readable when the program exits: waiting on it needs no polling loop.
	int exit_fd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
	pollfd p{exit_fd, POLLIN, 0};
	int ready = 0;
	while (exit_fd >= 0 && (ready = poll(&p, 1, ms_left(deadline))) < 0 && errno == EINTR) {
	}
	bool no_pidfd = exit_fd < 0; // then wait without a timeout
	close_fd(exit_fd);
	if (ready > 0 || no_pidfd) {
		reap(false);
		return result_;
	}
	result_.timed_out = true;
	reap(true);
	result_.err += "\n[killed: still running after " + std::to_string(timeout_ms) + " ms]\n";
	return result_;
}

RunResult run(const Command &cmd)
{
	Process p(cmd);
	if (!p.error().empty()) {
		RunResult r;
		r.err = p.error();
		return r;
	}
	return p.finish();
}

} // namespace tld::test
