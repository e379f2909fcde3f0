// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The arena lives in one memfd mapped MAP_SHARED at a reserved, never-moving address range:
// page 0 is the meta page, data pages follow and are cut into equal blocks. A memfd (not
// anonymous memory) so that tldd can map the same pages and register threads for a process
// that may not touch the map itself. Bookkeeping is kept outside the data pages because BPF
// may write a block until its registration is gone.
#include "arena.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../sys/clock.h"
#include "../sys/owned_fd.h"
#include "keys.h"

namespace tld::arena {
namespace {

constexpr std::size_t kPage = TLD_PAGE_SIZE;
constexpr std::size_t kMaxPages = 1u << 14; // 64 MiB of address space: meta + 16383 data pages
constexpr std::size_t kGrowPages = 4;
constexpr std::uint32_t kNone = UINT32_MAX;

// A spinlock, not a mutex: it is held for a few instructions, never across a syscall that can
// block on another thread, and a child after fork() rebuilds the arena and resets it.
class SpinLock {
public:
	void lock()
	{
		while (flag_.exchange(true, std::memory_order_acquire))
			sched_yield();
	}
	void unlock() { flag_.store(false, std::memory_order_release); }
	void reset() { flag_.store(false, std::memory_order_relaxed); }

private:
	std::atomic<bool> flag_{false};
};

struct Guard {
	explicit Guard(SpinLock &l) : lock(l) { lock.lock(); }
	~Guard() { lock.unlock(); }
	SpinLock &lock;
};

// Per-block bookkeeping, indexed by block number.
struct Slot {
	std::uint32_t next;     // quarantine FIFO link
	std::uint32_t live;     // 1 while handed out
	std::uint64_t freed_ns; // when it entered quarantine
};

enum InitState : int { kUninit = 0, kIniting = 1, kReady = 2 };

std::atomic<int> g_init{kUninit};
int g_init_err = 0;
char *g_base = nullptr;
// Checked before every use: the program may have closed it and reused the number.
sys::HeldFd g_memfd;
std::atomic<std::size_t> g_pages{0}; // pages of the memfd that are mapped (meta included)

SpinLock g_lock;
Slot *g_slots = nullptr; // lazily mapped once the block size is known
std::uint32_t g_block = 0;
std::uint32_t g_per_page = 0;
std::uint32_t g_max_blocks = 0;
std::uint32_t g_fresh = 0; // next never-used block
std::uint32_t g_q_head = kNone, g_q_tail = kNone;
std::atomic<std::size_t> g_live{0};
std::atomic<std::uint64_t> g_quarantine_ns{1'000'000'000};

int map_pages(int fd, std::size_t first, std::size_t count)
{
	void *at = g_base + first * kPage;
	void *p = mmap(at, count * kPage, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
	               static_cast<off_t>(first * kPage));
	return p == MAP_FAILED ? -errno : 0;
}

int do_init()
{
	int fd = sys::place_high(memfd_create("tld-arena", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	if (fd < 0)
		return -errno;
	void *base = mmap(nullptr, kMaxPages * kPage, PROT_NONE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		int err = -errno;
		close(fd);
		return err;
	}
	g_base = static_cast<char *>(base);
	int err = 0;
	if (ftruncate(fd, kGrowPages * kPage) < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		err = -errno;
	if (!err)
		err = map_pages(fd, 0, kGrowPages);
	if (err) {
		munmap(base, kMaxPages * kPage);
		close(fd);
		g_base = nullptr;
		return err;
	}
	if (int held = g_memfd.adopt(fd); held < 0) {
		munmap(base, kMaxPages * kPage);
		g_base = nullptr;
		return held;
	}
	g_pages.store(kGrowPages, std::memory_order_release);
	return 0;
}

// Called with g_lock held, once the block size is frozen.
int ensure_slots()
{
	if (g_slots)
		return 0;
	g_block = keys::freeze();
	g_per_page = static_cast<std::uint32_t>(kPage / g_block);
	g_max_blocks = static_cast<std::uint32_t>((kMaxPages - 1) * g_per_page);
	void *p = mmap(nullptr, std::size_t(g_max_blocks) * sizeof(Slot), PROT_READ | PROT_WRITE,
	               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	g_slots = static_cast<Slot *>(p);
	return 0;
}

// Called with g_lock held: makes sure the page holding block `idx` is mapped.
int ensure_page_for(std::uint32_t idx)
{
	std::size_t page = 1 + idx / g_per_page;
	std::size_t have = g_pages.load(std::memory_order_relaxed);
	if (page < have)
		return 0;
	std::size_t want = page + kGrowPages;
	if (want > kMaxPages)
		want = kMaxPages;
	if (page >= want)
		return -ENOMEM;
	// Lost to the program (closed, number reused): no growth, never a truncate of its file.
	int fd = g_memfd.checked();
	if (fd < 0)
		return fd;
	if (ftruncate(fd, static_cast<off_t>(want * kPage)) < 0)
		return -errno;
	if (int err = map_pages(fd, have, want - have); err < 0)
		return err;
	g_pages.store(want, std::memory_order_release);
	return 0;
}

Block block_at(std::uint32_t idx)
{
	Block b;
	b.page_index = 1 + idx / g_per_page;
	b.page = g_base + std::size_t(b.page_index) * kPage;
	b.start = static_cast<std::uint16_t>((idx % g_per_page) * g_block);
	return b;
}

// Called with g_lock held: a quarantined block whose time is up, or a fresh one.
int take_index(std::uint32_t *out)
{
	if (g_q_head != kNone && sys::monotonic_ns() - g_slots[g_q_head].freed_ns >=
	                                 g_quarantine_ns.load(std::memory_order_relaxed)) {
		*out = g_q_head;
		g_q_head = g_slots[g_q_head].next;
		if (g_q_head == kNone)
			g_q_tail = kNone;
		return 0;
	}
	if (g_fresh >= g_max_blocks)
		return -ENOMEM;
	if (int err = ensure_page_for(g_fresh); err < 0)
		return err;
	*out = g_fresh++;
	return 0;
}

void enqueue(std::uint32_t idx, std::uint64_t freed_ns)
{
	g_slots[idx].next = kNone;
	g_slots[idx].freed_ns = freed_ns;
	if (g_q_tail == kNone)
		g_q_head = idx;
	else
		g_slots[g_q_tail].next = idx;
	g_q_tail = idx;
}

} // namespace

std::uint32_t index_of(const Block &b)
{
	return (b.page_index - 1) * g_per_page + b.start / g_block;
}

int init()
{
	int state = g_init.load(std::memory_order_acquire);
	if (state == kReady)
		return 0;
	int expected = kUninit;
	if (g_init.compare_exchange_strong(expected, kIniting, std::memory_order_acq_rel)) {
		int err = do_init();
		g_init_err = err;
		// A failed init may be retried later (e.g. after RLIMIT_MEMLOCK or fd pressure
		// eases).
		g_init.store(err ? kUninit : kReady, std::memory_order_release);
		return err;
	}
	while ((state = g_init.load(std::memory_order_acquire)) == kIniting)
		sched_yield();
	return state == kReady ? 0 : (g_init_err ? g_init_err : -EAGAIN);
}

tld_meta_u *meta()
{
	if (g_init.load(std::memory_order_acquire) != kReady)
		return nullptr;
	return reinterpret_cast<tld_meta_u *>(g_base);
}

int memfd()
{
	if (g_init.load(std::memory_order_acquire) != kReady)
		return -1;
	int fd = g_memfd.checked();
	return fd < 0 ? -1 : fd;
}

std::size_t memfd_size()
{
	return g_pages.load(std::memory_order_acquire) * kPage;
}

int alloc(Block *out)
{
	if (int err = init(); err < 0)
		return err;
	Guard guard(g_lock);
	if (int err = ensure_slots(); err < 0)
		return err;
	std::uint32_t idx;
	if (int err = take_index(&idx); err < 0)
		return err;
	g_slots[idx].live = 1;
	*out = block_at(idx);
	std::memset(out->data(), 0, g_block);
	g_live.fetch_add(1, std::memory_order_relaxed);
	return 0;
}

void release(const Block &block)
{
	if (!block || !g_slots)
		return;
	Guard guard(g_lock);
	std::uint32_t idx = index_of(block);
	if (idx >= g_fresh || !g_slots[idx].live)
		return;
	g_slots[idx].live = 0;
	enqueue(idx, sys::monotonic_ns());
	g_live.fetch_sub(1, std::memory_order_relaxed);
}

std::size_t live_blocks()
{
	return g_live.load(std::memory_order_relaxed);
}

std::size_t carved_blocks()
{
	Guard guard(g_lock);
	return g_fresh;
}

std::size_t pages()
{
	return g_pages.load(std::memory_order_relaxed);
}

void set_quarantine_ns(std::uint64_t ns)
{
	g_quarantine_ns.store(ns, std::memory_order_relaxed);
}

void after_fork_child(const Block *keep)
{
	if (g_init.load(std::memory_order_relaxed) != kReady)
		return;
	g_lock.reset();
	std::size_t pages = g_pages.load(std::memory_order_relaxed);

	// A private copy at the same addresses: pointers the program holds stay valid, but the
	// child no longer writes the parent's (registered) pages.
	int fd = sys::place_high(memfd_create("tld-arena", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	void *tmp = MAP_FAILED;
	if (fd >= 0 && ftruncate(fd, static_cast<off_t>(pages * kPage)) == 0 &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0)
		tmp = mmap(nullptr, pages * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (tmp != MAP_FAILED) {
		std::memcpy(tmp, g_base, pages * kPage);
		munmap(tmp, pages * kPage);
	}
	if (tmp == MAP_FAILED || map_pages(fd, 0, pages) < 0) {
		// Cannot copy (out of fds or memory): an anonymous private copy moved over the
		// range instead. Same contents, the child never writes the parent's blocks and
		// needs no fd of the parent's (which may not be ours any more); it has no memfd of
		// its own, so it cannot grow or use the broker, only direct registration.
		if (fd >= 0)
			close(fd);
		fd = -1;
		void *copy = mmap(nullptr, pages * kPage, PROT_READ | PROT_WRITE,
		                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (copy != MAP_FAILED) {
			std::memcpy(copy, g_base, pages * kPage);
			if (mremap(copy, pages * kPage, pages * kPage,
			           MREMAP_MAYMOVE | MREMAP_FIXED, g_base) == MAP_FAILED)
				munmap(copy, pages * kPage);
		}
	}
	// The parent's memfd is closed only if the number still is it: a program that closed
	// it and reused the number (a pipe, a file it writes) keeps its fd untouched.
	g_memfd.close();
	if (fd >= 0)
		(void)g_memfd.adopt(fd);

	// Blocks of the parent's other threads are free in the child and were never registered
	// here, so they are reusable at once.
	if (!g_slots)
		return;
	std::uint32_t kept = keep && *keep ? index_of(*keep) : kNone;
	g_q_head = g_q_tail = kNone;
	std::size_t live = 0;
	for (std::uint32_t i = 0; i < g_fresh; i++) {
		g_slots[i].live = i == kept;
		if (i == kept)
			live++;
		else
			enqueue(i, 0);
	}
	g_live.store(live, std::memory_order_relaxed);
}

} // namespace tld::arena
