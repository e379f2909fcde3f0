// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "child.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

namespace tld::test {

std::string run_in_child(const std::function<void()> &body)
{
	fflush(nullptr);
	pid_t pid = fork();
	if (pid < 0)
		return "fork failed";
	if (pid == 0) {
		body();
		fflush(nullptr);
		_exit(::testing::Test::HasFailure() ? 1 : 0);
	}
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		return "waitpid failed";
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return "";
	if (WIFSIGNALED(status))
		return "child killed by signal " + std::to_string(WTERMSIG(status));
	return "child exited with status " + std::to_string(WEXITSTATUS(status));
}

} // namespace tld::test
