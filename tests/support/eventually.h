// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Waiting for a condition the test cannot be told about (BPF sees a registration, a thread is
// reaped, a file appears): poll it until it holds. The timeout only bounds a test that would
// otherwise hang; it is generous because it must never decide a pass or a failure on a loaded
// machine.
#pragma once

#include <chrono>
#include <thread>

namespace tld::test {

inline constexpr std::chrono::milliseconds kEventually{30000};

// Calls @pred until it returns true (then true) or @timeout has passed (then false).
template <class Pred> bool eventually(Pred &&pred, std::chrono::milliseconds timeout = kEventually)
{
	auto deadline = std::chrono::steady_clock::now() + timeout;
	for (;;) {
		if (pred())
			return true;
		if (std::chrono::steady_clock::now() >= deadline)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
}

// Calls @read until @done(value) holds or @timeout has passed; returns the last value read, so
// that the test's assertion on it shows what was there at the end.
template <class Read, class Done>
auto eventually_value(Read &&read, Done &&done, std::chrono::milliseconds timeout = kEventually)
{
	auto value = read();
	eventually(
	        [&] {
		        if (done(value))
			        return true;
		        value = read();
		        return done(value);
	        },
	        timeout);
	return value;
}

} // namespace tld::test
