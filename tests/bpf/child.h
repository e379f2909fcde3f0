// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Runs a test body in a forked child. libtld's key table is per process, so each test (and
// each round of the race test) needs a fresh process; GoogleTest assertions do not cross
// fork, so the body returns its failures as text.
#pragma once

#include <functional>
#include <string>

namespace tld::test {

// Forks, runs @body in the child and returns what it returned ("" = passed), or why the child
// died. The child is killed after @timeout_s seconds.
std::string run_in_child(const std::function<std::string()> &body, unsigned timeout_s = 60);

} // namespace tld::test
