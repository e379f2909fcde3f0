// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The arena lives in one memfd mapped MAP_SHARED: page 0 is the meta page, page 1 + i holds
// block i and nothing else, with its start word at offset 0 (upstream's layout). A memfd (not
// anonymous memory) so that tldd can map the same pages and register threads for a process
// that may not touch the map itself.
//
// Address space follows the threads: the meta page, then chunks of kChunk data pages mapped
// when the first block of a chunk is handed out, each wherever the kernel puts it (a block is
// one page, so no two pages need to be adjacent). Bookkeeping is a small table of chunk
// addresses and a slot array that grows with the blocks, kept outside the data pages because
// BPF may write a block until its registration is gone.
#include "arena.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include "keys.h"
#include "sys/clock.h"
#include "sys/owned_fd.h"
#include "sys/syscalls.h"

namespace tld::arena {
namespace {

constexpr std::size_t kPage = TLD_PAGE_SIZE;
// Blocks a process may have: its memfd then stays within 64 MiB, as before one page a block.
constexpr std::uint32_t kMaxBlocks = (1u << 14) - 1;
// Data pages mapped at a time: 64 KiB of address space, so a process with a few threads maps
// little, and one with thousands needs no more than a VMA per 16 threads.
constexpr std::uint32_t kChunk = 16;
constexpr std::uint32_t kMaxChunks = (kMaxBlocks + kChunk - 1) / kChunk;
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
	std::uint32_t next; // quarantine FIFO link
	std::uint32_t live; // 1 while handed out
	pid_t owner;        // the thread it was released for, 0: unknown or still alive
	std::uint32_t reserved;
	std::uint64_t freed_ns; // when it entered quarantine
};

// A block whose owner thread is gone may be reused this soon. Once the thread is off the pid
// hash (tgkill says ESRCH) nothing can register it any more, tldd included, and its task
// storage is only reachable by BPF programs already holding the task, which run under RCU:
// 10 ms is far more than a grace period. Anything else waits out the whole quarantine.
constexpr std::uint64_t kGoneGraceNs = 10'000'000;
// Quarantined blocks looked at per allocation: one live owner (tld_free()) at the head must
// not make a churning process grow its arena for a whole quarantine.
constexpr unsigned kQuarantineScan = 4;

enum InitState : int { kUninit = 0, kIniting = 1, kReady = 2 };

std::atomic<int> g_init{kUninit};
int g_init_err = 0;
char *g_meta = nullptr;
// Checked before every use: the program may have closed it and reused the number.
sys::HeldFd g_memfd;
std::atomic<std::size_t> g_pages{0}; // pages of the memfd (meta included)

SpinLock g_lock;
std::uint32_t g_nchunks = 0;
Slot *g_slots = nullptr; // only used under g_lock
std::uint32_t g_slot_cap = 0;
// The first slots, for processes with few threads (most): no mmap of their own.
constexpr std::uint32_t kStaticSlots = 2 * kChunk;
Slot g_static_slots[kStaticSlots];
std::uint32_t g_block = 0;
std::uint32_t g_fresh = 0; // next never-used block
std::uint32_t g_q_head = kNone, g_q_tail = kNone;
std::atomic<std::size_t> g_live{0};
std::atomic<std::uint64_t> g_quarantine_ns{1'000'000'000};
// Our pid for tgkill(): set at init and in a fork child (a raw clone() child before its first
// pthread_create still shares the parent's arena, whose threads it then asks about).
pid_t g_pid = 0;
// Chunk c holds blocks [c * kChunk, (c + 1) * kChunk). 8 KiB of which a process with few threads
// uses a word: defined after the state above, so that state shares pages with fewer others.
char *g_chunks[kMaxChunks];

constexpr off_t chunk_offset(std::uint32_t c)
{
	return static_cast<off_t>((1 + std::size_t(c) * kChunk) * kPage);
}

int do_init()
{
	// adopt() moves it high and remembers what it is.
	int fd = g_memfd.adopt(memfd_create("tld-arena", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	if (fd < 0)
		return fd == -1 ? -errno : fd;
	// The meta page and the first chunk in one mapping, as chunk 0 follows page 0 in the
	// file: nearly every process takes a block at once (the preload's main thread), and this
	// spares it an ftruncate, an mmap and a VMA.
	std::size_t pages = 1 + kChunk;
	int err = 0;
	void *m = MAP_FAILED;
	if (ftruncate(fd, static_cast<off_t>(pages * kPage)) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		err = -errno;
	if (!err && (m = mmap(nullptr, pages * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	                    MAP_FAILED)
		err = -errno;
	if (err) {
		g_memfd.close();
		return err;
	}
	g_meta = static_cast<char *>(m);
	g_chunks[0] = g_meta + kPage;
	g_nchunks = 1;
	g_pid = sys::getpid();
	g_pages.store(pages, std::memory_order_release);
	return 0;
}

// Called with g_lock held: makes sure there is a slot for block `idx`.
int ensure_slot(std::uint32_t idx)
{
	if (idx < g_slot_cap)
		return 0;
	if (!g_slots) {
		g_slots = g_static_slots;
		g_slot_cap = kStaticSlots;
		return 0;
	}
	std::uint32_t cap = g_slot_cap == kStaticSlots ? kPage / sizeof(Slot) : 2 * g_slot_cap;
	void *p = g_slots != g_static_slots
	                  ? mremap(g_slots, g_slot_cap * sizeof(Slot), cap * sizeof(Slot),
	                           MREMAP_MAYMOVE)
	                  : mmap(nullptr, cap * sizeof(Slot), PROT_READ | PROT_WRITE,
	                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (g_slots == g_static_slots)
		std::memcpy(p, g_static_slots, sizeof(g_static_slots));
	g_slots = static_cast<Slot *>(p);
	g_slot_cap = cap;
	return 0;
}

// Called with g_lock held: makes sure the chunk holding block `idx` is mapped.
int ensure_chunk_for(std::uint32_t idx)
{
	std::uint32_t c = idx / kChunk;
	if (c < g_nchunks)
		return 0;
	// Lost to the program (closed, number reused): no growth, never a truncate of its file.
	int fd = g_memfd.checked();
	if (fd < 0)
		return fd;
	std::size_t pages = 1 + std::size_t(c + 1) * kChunk;
	if (ftruncate(fd, static_cast<off_t>(pages * kPage)) < 0)
		return -errno;
	void *p = mmap(nullptr, kChunk * kPage, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	               chunk_offset(c));
	if (p == MAP_FAILED)
		return -errno;
	g_chunks[c] = static_cast<char *>(p);
	g_nchunks = c + 1;
	g_pages.store(pages, std::memory_order_release);
	return 0;
}

Block block_at(std::uint32_t idx)
{
	Block b;
	b.page_index = 1 + idx;
	b.page = g_chunks[idx / kChunk] + std::size_t(idx % kChunk) * kPage;
	b.start = TLD_DATA_START;
	return b;
}

// Whether quarantined block `idx` may be handed out again at `now`.
bool reusable(std::uint32_t idx, std::uint64_t now)
{
	const Slot &s = g_slots[idx];
	std::uint64_t quarantine = g_quarantine_ns.load(std::memory_order_relaxed);
	std::uint64_t waited = now - s.freed_ns;
	if (waited >= quarantine)
		return true;
	if (!s.owner || waited < (quarantine < kGoneGraceNs ? quarantine : kGoneGraceNs))
		return false;
	return sys::tgkill(g_pid, s.owner, 0) == -ESRCH;
}

// Called with g_lock held: takes a reusable block off the quarantine FIFO, if one of the
// first few is. Blocks stay in release order, so the head is always the oldest.
bool take_quarantined(std::uint32_t *out)
{
	std::uint64_t now = sys::monotonic_ns();
	std::uint32_t prev = kNone, idx = g_q_head;
	for (unsigned n = 0; idx != kNone && n < kQuarantineScan; n++) {
		if (reusable(idx, now)) {
			std::uint32_t next = g_slots[idx].next;
			if (prev == kNone)
				g_q_head = next;
			else
				g_slots[prev].next = next;
			if (g_q_tail == idx)
				g_q_tail = prev;
			*out = idx;
			return true;
		}
		prev = idx;
		idx = g_slots[idx].next;
	}
	return false;
}

// Called with g_lock held: a quarantined block whose time is up, or a fresh one.
int take_index(std::uint32_t *out)
{
	if (take_quarantined(out))
		return 0;
	if (g_fresh >= kMaxBlocks)
		return -ENOMEM;
	if (int err = ensure_slot(g_fresh); err < 0)
		return err;
	if (int err = ensure_chunk_for(g_fresh); err < 0)
		return err;
	*out = g_fresh++;
	return 0;
}

void enqueue(std::uint32_t idx, std::uint64_t freed_ns, pid_t owner)
{
	g_slots[idx].next = kNone;
	g_slots[idx].freed_ns = freed_ns;
	g_slots[idx].owner = owner;
	if (g_q_tail == kNone)
		g_q_head = idx;
	else
		g_slots[g_q_tail].next = idx;
	g_q_tail = idx;
}

// Child side of fork(): the page at `page` into `fd` at `off`. Returns whether it went whole.
bool write_page(int fd, const void *page, off_t off)
{
	return pwrite(fd, page, kPage, off) == static_cast<ssize_t>(kPage);
}

// A range of the arena's address space and where it lies in the memfd: the meta page (with
// chunk 0 when that follows it, as do_init() maps them), or one chunk.
struct Range {
	char *at;
	std::size_t len;
	off_t off;
	std::size_t used; // bytes from `at` that hold the meta page or handed-out blocks
};

Range range_of(std::uint32_t r, bool joined)
{
	auto used_of = [](std::uint32_t c) {
		std::uint32_t first = c * kChunk;
		std::uint32_t used = g_fresh > first ? g_fresh - first : 0;
		return std::size_t(used < kChunk ? used : kChunk) * kPage;
	};
	if (r == 0)
		return joined ? Range{g_meta, (1 + kChunk) * kPage, 0, kPage + used_of(0)}
		              : Range{g_meta, kPage, 0, kPage};
	std::uint32_t c = joined ? r : r - 1;
	return Range{g_chunks[c], kChunk * kPage, chunk_offset(c), used_of(c)};
}

// The same without a memfd: an anonymous private copy moved over the range.
void copy_anonymous(char *at, std::size_t len, std::size_t copy)
{
	void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	std::memcpy(p, at, copy);
	if (mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, at) == MAP_FAILED)
		munmap(p, len);
}

} // namespace

std::uint32_t index_of(const Block &b)
{
	return b.page_index - 1;
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
	return reinterpret_cast<tld_meta_u *>(g_meta);
}

int memfd()
{
	if (g_init.load(std::memory_order_acquire) != kReady)
		return -1;
	int fd = g_memfd.checked();
	return fd < 0 ? -1 : fd;
}

sys::FdIdentity memfd_identity()
{
	return g_memfd.identity();
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
	if (!g_block)
		g_block = keys::freeze();
	std::uint32_t idx;
	if (int err = take_index(&idx); err < 0)
		return err;
	g_slots[idx].live = 1;
	*out = block_at(idx);
	// Nobody reads the page now (its last registration is gone): the start word first, as
	// upstream's consumer reads it, then a clean block.
	auto *page = static_cast<tld_data_u *>(out->page);
	page->start = TLD_DATA_START;
	std::memset(out->data(), 0, g_block);
	g_live.fetch_add(1, std::memory_order_relaxed);
	return 0;
}

void release(const Block &block, pid_t owner)
{
	if (!block || !g_slots)
		return;
	Guard guard(g_lock);
	std::uint32_t idx = index_of(block);
	if (idx >= g_fresh || !g_slots[idx].live)
		return;
	g_slots[idx].live = 0;
	enqueue(idx, sys::monotonic_ns(), owner);
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

std::size_t mapped_bytes()
{
	Guard guard(g_lock);
	std::size_t meta = g_meta ? kPage : 0;
	return meta + std::size_t(g_nchunks) * kChunk * kPage + g_slot_cap * sizeof(Slot) +
	       sizeof(g_chunks);
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
	g_pid = sys::getpid();
	std::size_t pages = g_pages.load(std::memory_order_relaxed);
	std::uint32_t kept = keep && *keep ? index_of(*keep) : kNone;

	// The parent's memfd is closed only if the number still is it: a program that closed
	// it and reused the number (a pipe, a file it writes) keeps its fd untouched. Nothing
	// reads it here: pages are copied from the mapping.
	g_memfd.close();
	// A private copy at the same addresses: pointers the program holds stay valid, but the
	// child no longer writes the parent's (registered) pages. Only the meta page and the kept
	// block's page are copied: the parent's other blocks are free here, and alloc() writes a
	// page's start word and clears its block before it hands one out, so their pages stay
	// holes. pwrite() from the mapping, then one mmap over each range: no mapping of the new
	// memfd just to copy into it.
	int fd = g_memfd.adopt(memfd_create("tld-arena", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	bool ok =
	        fd >= 0 && ftruncate(fd, static_cast<off_t>(pages * kPage)) == 0 &&
	        fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0 && write_page(fd, g_meta, 0) &&
	        (kept == kNone || write_page(fd, block_at(kept).page,
	                                     static_cast<off_t>((1 + std::size_t(kept)) * kPage)));
	bool joined = g_nchunks && g_chunks[0] == g_meta + kPage;
	std::uint32_t ranges = 1 + g_nchunks - (joined ? 1 : 0), done = 0;
	for (; ok && done < ranges; done++) {
		Range r = range_of(done, joined);
		ok = mmap(r.at, r.len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, r.off) !=
		     MAP_FAILED;
		if (!ok)
			break;
	}
	if (!ok) {
		// Cannot copy into a memfd (out of fds or memory): the same contents, anonymous.
		// The child then has no memfd of its own, so it cannot grow or use the broker, only
		// direct registration; ranges already moved to the new memfd stay the child's.
		g_memfd.close();
		for (std::uint32_t r = done; r < ranges; r++) {
			Range g = range_of(r, joined);
			copy_anonymous(g.at, g.len, g.used);
		}
	}

	// Blocks of the parent's other threads are free in the child and were never registered
	// here, so they are reusable at once.
	if (!g_slots)
		return;
	g_q_head = g_q_tail = kNone;
	std::size_t live = 0;
	for (std::uint32_t i = 0; i < g_fresh; i++) {
		g_slots[i].live = i == kept;
		if (i == kept)
			live++;
		else
			enqueue(i, 0, 0);
	}
	g_live.store(live, std::memory_order_relaxed);
}

} // namespace tld::arena
