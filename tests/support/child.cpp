// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "child.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

namespace tld::test {

std::string run_in_child(const std::function<std::string()> &body, unsigned timeout_s)
{
	int pipefd[2];
	if (pipe(pipefd) != 0)
		return std::string("pipe: ") + std::strerror(errno);
	pid_t pid = fork();
	if (pid < 0)
		return std::string("fork: ") + std::strerror(errno);
	if (pid == 0) {
		close(pipefd[0]);
		alarm(timeout_s);
		std::string out = body();
		for (size_t done = 0; done < out.size();) {
			ssize_t n = write(pipefd[1], out.data() + done, out.size() - done);
			if (n <= 0)
				break;
			done += static_cast<size_t>(n);
		}
		_exit(out.empty() ? 0 : 1);
	}
	close(pipefd[1]);
	std::string out;
	char buf[4096];
	ssize_t n;
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			out.append(buf, static_cast<size_t>(n));
	close(pipefd[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
	}
	if (WIFSIGNALED(status))
		out += std::string("child killed by signal ") + strsignal(WTERMSIG(status)) +
		       (WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	else if (WEXITSTATUS(status) != 0 && out.empty())
		out = "child exited with status " + std::to_string(WEXITSTATUS(status));
	return out;
}

std::string run_test_in_child(const std::function<void()> &body, unsigned timeout_s)
{
	fflush(nullptr);
	return run_in_child(std::function<std::string()>([&body]() -> std::string {
		                    body();
		                    fflush(nullptr);
		                    return ::testing::Test::HasFailure()
		                                   ? "a test assertion failed in the child"
		                                   : "";
	                    }),
	                    timeout_s);
}

} // namespace tld::test
