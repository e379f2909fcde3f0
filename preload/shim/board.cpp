// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "board.h"

#include <atomic>
#include <cerrno>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/owned_fd.h"
#include "wire/protocol.h"

namespace tld::shim::board {
namespace {

// At most 1 MiB, as much as tldd reads: 131,068 blocks. Blocks rest in the arena's quarantine
// for a second after their thread exits, so a program starting 30,000 threads a second holds
// 30,000 block numbers. It starts at one page (508 slots) and grows 4x at a time as block numbers
// need it, so a process pays address space (ulimit -v) for the slots its threads use. The memfd
// is grown and mapped anew at a larger view; the old views stay mapped (a publisher may still be
// using one: they share the same pages) until a fork child drops them all. At most 340 KiB of old
// views over the last one.
constexpr std::size_t kFirstBytes = 4096, kMaxBytes = 1u << 20, kGrowth = 4;
constexpr int kMaxViews = 5; // 4 KiB, 16 KiB, 64 KiB, 256 KiB, 1 MiB

constexpr std::uint32_t slots_in(std::size_t bytes)
{
	return static_cast<std::uint32_t>((bytes - TLD_BROKER_BOARD_SLOTS) / sizeof(std::uint64_t));
}

enum State : int { kNone = 0, kCreating = 1, kReady = 2 };

std::atomic<int> g_state{kNone};
std::atomic<std::uint64_t> g_rung_ns{0}; // when publish() last asked for a DOORBELL

// A scan later than tldd's delay by this much is not coming: that tldd is gone or stuck.
constexpr std::uint64_t kOverdueNs = 100'000'000;

sys::HeldFd g_memfd; // checked before it is sent: the program may have reused the number
// The newest view and its slots. Growing stores the view before the slot count and readers
// load the count first: a reader that sees a count sees a view that holds it.
std::atomic<tld_broker_board *> g_board{nullptr};
std::atomic<std::uint32_t> g_slots{0};
std::atomic<bool> g_growing{false};
struct View {
	void *at;
	std::size_t bytes;
};
View g_views[kMaxViews]; // every view mapped, oldest first (under g_growing, or single-threaded)
int g_nviews = 0;

std::uint64_t *slot(tld_broker_board *board, std::uint32_t index)
{
	return reinterpret_cast<std::uint64_t *>(reinterpret_cast<char *>(board) +
	                                         TLD_BROKER_BOARD_SLOTS) +
	       index;
}

// Maps `bytes` of the memfd as the newest view. Returns 0 or -errno.
int map_view(int fd, std::size_t bytes)
{
	if (g_nviews == kMaxViews)
		return -ENOSPC;
	void *m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	g_views[g_nviews++] = {m, bytes};
	g_board.store(static_cast<tld_broker_board *>(m), std::memory_order_release);
	g_slots.store(slots_in(bytes), std::memory_order_release);
	return 0;
}

int create()
{
	// adopt() moves it high and remembers what it is.
	int fd = g_memfd.adopt(memfd_create("tld-board", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	if (fd < 0)
		return fd == -1 ? -errno : fd;
	int err = 0;
	if (ftruncate(fd, kFirstBytes) < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		err = -errno;
	else
		err = map_view(fd, kFirstBytes);
	if (err < 0) {
		g_memfd.close();
		return err;
	}
	tld_broker_board *board = g_board.load(std::memory_order_relaxed);
	board->magic = TLD_BROKER_BOARD_MAGIC;
	// Not armed: tldd scans after every BOARD it takes (protocol.h), so the threads that
	// publish before that scan need no DOORBELL, and a process start sends one message less.
	// A BOARD that never reaches tldd is what a ring would find out: it counts as one.
	board->armed = 0;
	g_rung_ns.store(sys::coarse_monotonic_ns(), std::memory_order_relaxed);
	return fd;
}

// Makes the board hold slot `index`: grows the memfd and maps a larger view. Returns 0 or
// -ENOSPC (past 1 MiB, or the memory or memfd is not there: register with a message then).
int grow_for(std::uint32_t index)
{
	while (g_growing.exchange(true, std::memory_order_acquire))
		sched_yield(); // another thread is growing it: a few syscalls away
	int err = 0;
	std::size_t bytes = g_views[g_nviews - 1].bytes;
	while (slots_in(bytes) <= index && bytes < kMaxBytes)
		bytes *= kGrowth;
	int fd = g_memfd.checked();
	if (index >= g_slots.load(std::memory_order_relaxed) &&
	    (slots_in(bytes) <= index || fd < 0 || ftruncate(fd, static_cast<off_t>(bytes)) < 0 ||
	     map_view(fd, bytes) < 0))
		err = -ENOSPC;
	g_growing.store(false, std::memory_order_release);
	return err;
}

} // namespace

int init()
{
	for (;;) {
		int expected = kNone;
		if (g_state.compare_exchange_strong(expected, kCreating,
		                                    std::memory_order_acquire)) {
			int fd = create();
			g_state.store(fd >= 0 ? kReady : kNone, std::memory_order_release);
			return fd;
		}
		if (expected == kReady)
			return g_memfd.checked();
		sched_yield(); // another thread is creating it: a few syscalls away
	}
}

sys::FdIdentity identity()
{
	return g_memfd.identity();
}

int publish(std::uint32_t index, std::uint32_t block_size, pid_t tid)
{
	if (g_state.load(std::memory_order_acquire) != kReady)
		return -ENODEV;
	if (index >= g_slots.load(std::memory_order_acquire))
		if (int err = grow_for(index); err < 0)
			return err;
	tld_broker_board *b = g_board.load(std::memory_order_acquire);
	// The block size never changes once blocks exist; tldd reads it after a non-empty slot.
	__atomic_store_n(&b->block_size, block_size, __ATOMIC_RELAXED);
	std::uint64_t *s = slot(b, index);
	std::uint64_t generation = (__atomic_load_n(s, __ATOMIC_RELAXED) >> 32) + 1;
	__atomic_store_n(s, (generation << 32) | static_cast<std::uint32_t>(tid), __ATOMIC_SEQ_CST);
	std::uint32_t high = __atomic_load_n(&b->high_water, __ATOMIC_RELAXED);
	while (high <= index && !__atomic_compare_exchange_n(&b->high_water, &high, index + 1, true,
	                                                     __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
	}
	// Pairs with tldd storing armed = 1 before it reads the slots: either that scan sees our
	// slot, or we see armed and ring for the next one.
	bool ring = __atomic_exchange_n(&b->armed, 0u, __ATOMIC_SEQ_CST) != 0;
	std::uint64_t now = sys::coarse_monotonic_ns();
	std::uint64_t rung = g_rung_ns.load(std::memory_order_relaxed);
	if (!ring) {
		// A scan is owed; only a tldd that died owes it for long (a new one reads the whole
		// board when we reconnect). At most 1 s of delay counts, whatever the word says.
		std::uint32_t delay_ms = __atomic_load_n(&b->delay_ms, __ATOMIC_RELAXED);
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
		__atomic_store_n(&g_board.load(std::memory_order_acquire)->armed, 1u,
		                 __ATOMIC_SEQ_CST);
}

void clear(std::uint32_t index)
{
	if (g_state.load(std::memory_order_acquire) != kReady ||
	    index >= g_slots.load(std::memory_order_acquire))
		return;
	std::uint64_t *s = slot(g_board.load(std::memory_order_acquire), index);
	std::uint64_t v = __atomic_load_n(s, __ATOMIC_RELAXED);
	__atomic_store_n(s, v & ~std::uint64_t{0xffffffff}, __ATOMIC_RELEASE);
}

void clear_all()
{
	if (g_state.load(std::memory_order_acquire) != kReady)
		return;
	std::uint32_t end = __atomic_load_n(&g_board.load(std::memory_order_acquire)->high_water,
	                                    __ATOMIC_ACQUIRE);
	for (std::uint32_t i = 0; i < end; i++)
		clear(i); // bounded by the slots there are
}

void after_fork_child()
{
	// Only the forking thread runs here, so nobody is between a state check and a store.
	if (g_state.load(std::memory_order_relaxed) == kReady)
		g_memfd.close(); // only if the number still is the board
	for (int i = 0; i < g_nviews; i++)
		munmap(g_views[i].at, g_views[i].bytes);
	g_nviews = 0;
	g_board.store(nullptr, std::memory_order_relaxed);
	g_slots.store(0, std::memory_order_relaxed);
	g_growing.store(false, std::memory_order_relaxed);
	g_rung_ns.store(0, std::memory_order_relaxed);
	g_state.store(kNone, std::memory_order_relaxed);
}

} // namespace tld::shim::board
