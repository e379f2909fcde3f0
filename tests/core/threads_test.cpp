// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Thread exit: registrations go away on every exit path, a block is handed out again only
// after its previous owner's registration is gone, and memory returns to its baseline.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

#include <tld/tld.h>

#include "child.h"
#include "eventually.h"
#include "libtld/arena.h"
#include "sys/syscalls.h"
#include "test_map.h"

namespace {

// Whether tld_data_map holds an entry for thread `tid`: 0 or -errno (user lookups return
// zeroed uptrs, but the entry's presence is real).
int lookup_start(int map_fd, pid_t tid)
{
	int pidfd = tld::sys::pidfd_open_thread(tid);
	if (pidfd < 0)
		return pidfd;
	tld_map_value v = {};
	int err = tld::sys::bpf_map_lookup(map_fd, &pidfd, &v);
	close(pidfd);
	return err < 0 ? err : 0;
}

struct Ledger {
	std::mutex mu;
	std::map<void *, pid_t> live;     // block -> thread holding it now
	std::map<void *, bool> prev_done; // block -> its previous holder is past its release
	int reused = 0;
};

void short_lived(Ledger &ledger, int map_fd, tld_key_t key, bool explicit_free)
{
	auto *p = static_cast<std::uint64_t *>(tld_get_data(map_fd, key));
	ASSERT_NE(p, nullptr) << strerror(errno);
	pid_t tid = tld::sys::gettid();
	void *block = p;
	{
		std::lock_guard lock(ledger.mu);
		EXPECT_TRUE(ledger.live.emplace(block, tid).second)
		        << "two live threads share a block";
		auto it = ledger.prev_done.find(block);
		if (it != ledger.prev_done.end()) {
			EXPECT_TRUE(it->second) << "block reused before its owner released it";
			ledger.reused++;
		}
		ledger.prev_done[block] = false;
	}
	EXPECT_GE(lookup_start(map_fd, tid), 0) << "thread not registered";
	*p = static_cast<std::uint64_t>(tid);
	if (explicit_free) {
		tld_free();
		EXPECT_EQ(lookup_start(map_fd, tid), -ENOENT) << "registration survived tld_free()";
	}
	std::lock_guard lock(ledger.mu);
	ledger.live.erase(block);
	// The key destructor releases after this returns; the block is quarantined past that.
	ledger.prev_done[block] = true;
}

TEST(Threads, ExitReleasesRegistrationAndBlocksAreReusedSafely)
{
	TLD_IN_CHILD([] {
		tld::test::TestMap map;
		ASSERT_GE(map.fd(), 0) << map.error();
		tld_key_t key = tld_create_key("value", 8);
		ASSERT_FALSE(tld_key_is_err(key));
		tld::arena::set_quarantine_ns(20'000'000);
		Ledger ledger;

		auto run_round = [&] {
			for (int batch = 0; batch < 50; batch++) {
				std::vector<std::thread> threads;
				for (int i = 0; i < 20; i++)
					threads.emplace_back(short_lived, std::ref(ledger),
					                     map.fd(), key, i % 2 == 0);
				for (auto &t : threads)
					t.join();
			}
		};
		auto wait_out_quarantine = [] {
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		};
		run_round();
		EXPECT_EQ(tld::arena::live_blocks(), 0u);
		wait_out_quarantine();
		run_round();
		EXPECT_EQ(tld::arena::live_blocks(), 0u);
		EXPECT_GT(ledger.reused, 0) << "quarantined blocks were never reused";

		// How many blocks a round cuts depends on how fast its threads come and go against
		// the quarantine; that none is lost does not: once the quarantine is over, taking
		// as many blocks as were ever cut must cut no new one.
		wait_out_quarantine();
		std::size_t carved = tld::arena::carved_blocks();
		std::vector<tld::arena::Block> all(carved);
		for (auto &b : all)
			ASSERT_EQ(tld::arena::alloc(&b), 0);
		EXPECT_EQ(tld::arena::carved_blocks(), carved)
		        << "a released block never came back";
		for (auto &b : all)
			tld::arena::release(b);
	});
}

// Cancellation and detached threads take the same exit path.
TEST(Threads, CancelledAndDetachedThreadsRelease)
{
	TLD_IN_CHILD([] {
		static tld::test::TestMap map;
		ASSERT_GE(map.fd(), 0) << map.error();
		static tld_key_t key = tld_create_key("value", 8);
		ASSERT_FALSE(tld_key_is_err(key));
		static std::atomic<int> registered{0};

		auto body = +[](void *) -> void * {
			if (tld_get_data(map.fd(), key))
				registered.fetch_add(1);
			for (;;)
				pthread_testcancel(), usleep(1000);
			return nullptr;
		};
		pthread_t cancelled;
		ASSERT_EQ(pthread_create(&cancelled, nullptr, body, nullptr), 0);
		tld::test::eventually([] { return registered.load() >= 1; });
		pthread_cancel(cancelled);
		pthread_join(cancelled, nullptr);
		EXPECT_EQ(tld::arena::live_blocks(), 0u);

		auto detached_body = +[](void *) -> void * {
			if (tld_get_data(map.fd(), key))
				registered.fetch_add(1);
			pthread_exit(nullptr);
		};
		pthread_t detached;
		ASSERT_EQ(pthread_create(&detached, nullptr, detached_body, nullptr), 0);
		pthread_detach(detached);
		tld::test::eventually(
		        [] { return registered.load() >= 2 && !tld::arena::live_blocks(); });
		EXPECT_EQ(registered.load(), 2);
		EXPECT_EQ(tld::arena::live_blocks(), 0u);
	});
}

TEST(Threads, BadMapFdFailsCleanly)
{
	TLD_IN_CHILD([] {
		tld_key_t key = tld_create_key("value", 8);
		errno = 0;
		EXPECT_EQ(tld_get_data(-1, key), nullptr);
		EXPECT_EQ(errno, ENOTCONN) << "-1 without a backend (tld.h)";
		errno = 0;
		EXPECT_EQ(tld_get_data(0, key), nullptr) << "stdin is not a BPF map";
		EXPECT_NE(errno, 0);
	});
}

} // namespace
