// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Runs a test body in a forked child: libtld's key table and arena are per process, so each
// scenario that needs a fresh table gets a fresh process. GoogleTest assertions do not cross
// fork, so what went wrong comes back as text.
#pragma once

#include <functional>
#include <string>

namespace tld::test {

// Forks, runs @body in the child and returns what it returned ("" = passed), or why the child
// died. The child is killed after @timeout_s seconds.
std::string run_in_child(const std::function<std::string()> &body, unsigned timeout_s = 60);

// The same for a body that uses GoogleTest assertions: they print in the child, and any
// failure makes the result non-empty.
std::string run_test_in_child(const std::function<void()> &body, unsigned timeout_s = 300);

#define TLD_IN_CHILD(...)                                                                          \
	EXPECT_EQ(::tld::test::run_test_in_child(__VA_ARGS__), "") << "child failed"

} // namespace tld::test
