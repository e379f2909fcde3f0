// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "board.h"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include "protocol.h"
#include "sys/clock.h"
#include "sys/owned_fd.h"

namespace tld::shim::board {
namespace {

// 1 MiB, as much as tldd reads: 131,068 blocks. Blocks rest in the arena's quarantine for a
// second after their thread exits, so a program starting 30,000 threads a second holds 30,000
// block numbers. Pages of the memfd are only allocated when a slot on them is first written.
constexpr std::size_t kBytes = 1u << 20;
constexpr std::uint32_t kSlots = (kBytes - TLD_BROKER_BOARD_SLOTS) / sizeof(std::uint64_t);

enum State : int { kNone = 0, kCreating = 1, kReady = 2 };

std::atomic<int> g_state{kNone};
std::atomic<std::uint64_t> g_rung_ns{0}; // when publish() last asked for a DOORBELL

// A scan later than tldd's delay by this much is not coming: that tldd is gone or stuck.
constexpr std::uint64_t kOverdueNs = 100'000'000;

sys::HeldFd g_memfd; // checked before it is sent: the program may have reused the number
tld_broker_board *g_board = nullptr;

std::uint64_t *slot(std::uint32_t index)
{
	return reinterpret_cast<std::uint64_t *>(reinterpret_cast<char *>(g_board) +
	                                         TLD_BROKER_BOARD_SLOTS) +
	       index;
}

int create()
{
	int fd = sys::place_high(memfd_create("tld-board", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, kBytes) < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	void *m = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		int err = -errno;
		close(fd);
		return err;
	}
	g_board = static_cast<tld_broker_board *>(m);
	g_board->magic = TLD_BROKER_BOARD_MAGIC;
	g_board->armed = 1; // the first thread rings
	return g_memfd.adopt(fd);
}

} // namespace

int init()
{
	for (;;) {
		int expected = kNone;
		if (g_state.compare_exchange_strong(expected, kCreating,
		                                    std::memory_order_acquire)) {
			int fd = create();
			g_state.store(g_board ? kReady : kNone, std::memory_order_release);
			return fd;
		}
		if (expected == kReady)
			return g_memfd.checked();
		sched_yield(); // another thread is creating it: a few syscalls away
	}
}

int publish(std::uint32_t index, std::uint32_t block_size, pid_t tid)
{
	if (g_state.load(std::memory_order_acquire) != kReady)
		return -ENODEV;
	if (index >= kSlots)
		return -ENOSPC;
	// The block size never changes once blocks exist; tldd reads it after a non-empty slot.
	__atomic_store_n(&g_board->block_size, block_size, __ATOMIC_RELAXED);
	std::uint64_t *s = slot(index);
	std::uint64_t generation = (__atomic_load_n(s, __ATOMIC_RELAXED) >> 32) + 1;
	__atomic_store_n(s, (generation << 32) | static_cast<std::uint32_t>(tid), __ATOMIC_SEQ_CST);
	std::uint32_t high = __atomic_load_n(&g_board->high_water, __ATOMIC_RELAXED);
	while (high <= index &&
	       !__atomic_compare_exchange_n(&g_board->high_water, &high, index + 1, true,
	                                    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
	}
	// Pairs with tldd storing armed = 1 before it reads the slots: either that scan sees our
	// slot, or we see armed and ring for the next one.
	bool ring = __atomic_exchange_n(&g_board->armed, 0u, __ATOMIC_SEQ_CST) != 0;
	std::uint64_t now = sys::coarse_monotonic_ns();
	std::uint64_t rung = g_rung_ns.load(std::memory_order_relaxed);
	if (!ring) {
		// A scan is owed; only a tldd that died owes it for long (a new one reads the whole
		// board when we reconnect). At most 1 s of delay counts, whatever the word says.
		std::uint32_t delay_ms = __atomic_load_n(&g_board->delay_ms, __ATOMIC_RELAXED);
		std::uint64_t late =
		        std::uint64_t(delay_ms < 1000 ? delay_ms : 1000) * 1'000'000 + kOverdueNs;
		ring = now - rung > late && g_rung_ns.compare_exchange_strong(rung, now);
		return ring ? 1 : 0;
	}
	g_rung_ns.store(now, std::memory_order_relaxed);
	return 1;
}

void rearm()
{
	if (g_state.load(std::memory_order_acquire) == kReady)
		__atomic_store_n(&g_board->armed, 1u, __ATOMIC_SEQ_CST);
}

void clear(std::uint32_t index)
{
	if (g_state.load(std::memory_order_acquire) != kReady || index >= kSlots)
		return;
	std::uint64_t *s = slot(index);
	std::uint64_t v = __atomic_load_n(s, __ATOMIC_RELAXED);
	__atomic_store_n(s, v & ~std::uint64_t{0xffffffff}, __ATOMIC_RELEASE);
}

void clear_all()
{
	if (g_state.load(std::memory_order_acquire) != kReady)
		return;
	std::uint32_t end = __atomic_load_n(&g_board->high_water, __ATOMIC_ACQUIRE);
	for (std::uint32_t i = 0; i < end && i < kSlots; i++)
		clear(i);
}

void after_fork_child()
{
	// Only the forking thread runs here, so nobody is between a state check and a store.
	if (g_state.load(std::memory_order_relaxed) == kReady) {
		munmap(g_board, kBytes);
		g_memfd.close(); // only if the number still is the board
	}
	g_board = nullptr;
	g_rung_ns.store(0, std::memory_order_relaxed);
	g_state.store(kNone, std::memory_order_relaxed);
}

} // namespace tld::shim::board
