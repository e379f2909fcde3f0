// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The board (protocol.h, struct tld_broker_board): a client's threads announce themselves with
// plain stores into a memfd tldd maps, and tldd registers them after a short delay. A thread
// that lives less than the delay never costs a pidfd or a map update, which is what keeps
// thread creation under the preload close to its cost without (docs/performance.md).
//
// Everything in the board is the client's to change at any moment: every word is read once,
// atomically, and checked like a REGISTER's fields; the scan is bounded by what tldd mapped.
#include <cerrno>
#include <sys/mman.h>
#include <sys/stat.h>

#include <tld/abi.h>

#include "log.h"
#include "session.h"
#include "sys/clock.h"

namespace tld::tldd {
namespace {

using broker::Request;

// 1 MiB: 131,068 slots, far more blocks than --max-threads-per-client allows registered.
constexpr std::uint64_t kMaxBoardBytes = 1u << 20;
// One step of a scan, per client and turn of the loop: slots read, and changed slots handled
// (each a pidfd and a map update). A whole 1 MiB board of changes once cost tldd's one thread
// 2 s per SYNC (issue 10, item 4); now other clients wait for one step at most.
constexpr unsigned kStepSlots = 16384;
constexpr unsigned kStepChanges = 256;
// A thread owns one block: a scan meeting the same tid in more slots than this is a client
// making tldd work for nothing, and it is disconnected. (A thread moving to a new block while
// tldd reads, or a tid coming back, repeats one or two.)
constexpr unsigned kMaxRepeats = 64;

// What of a board of `bytes` tldd maps: whole pages, at most kMaxBoardBytes.
std::uint64_t mapped_size(std::uint64_t bytes)
{
	if (bytes > kMaxBoardBytes)
		bytes = kMaxBoardBytes; // slots past what tldd maps are simply never read
	return bytes - bytes % TLD_PAGE_SIZE;
}

template <typename T> T load(const void *p)
{
	return __atomic_load_n(static_cast<const T *>(p), __ATOMIC_ACQUIRE);
}

} // namespace

int Session::board(const Request &req, Fd memfd)
{
	if (!memfd_) {
		reject(req, -ENOTCONN, 0, "BOARD before a successful HELLO");
		return -ENOTCONN;
	}
	if (board_) {
		reject(req, -EALREADY, 0, "second BOARD on one connection");
		return -EALREADY;
	}
	std::uint64_t size = 0;
	if (int err = check_memfd(req, memfd.get(), &size))
		return err;
	size = mapped_size(size);
	// tldd writes `armed`: a write-sealed board fails here.
	void *m = nullptr;
	if (int err = map_memfd(memfd.get(), size, &m)) {
		reject(req, err, 0, "cannot map the board read-write");
		return err;
	}
	if (load<std::uint32_t>(m) != TLD_BROKER_BOARD_MAGIC) {
		munmap(m, size);
		reject(req, -EINVAL, 0, "board without its magic");
		return -EINVAL;
	}
	board_ = m;
	board_bytes_ = size;
	board_slots_ =
	        static_cast<std::uint32_t>((size - TLD_BROKER_BOARD_SLOTS) / sizeof(std::uint64_t));
	board_fd_ = std::move(memfd);
	board_seen_.clear(); // grown to the high-water mark as the board fills
	// A client that reconnects (tldd restarted) already has threads on its board.
	schedule_scan();
	return 0;
}

int Session::doorbell(const Request &req)
{
	if (!board_) {
		reject(req, -ENOTCONN, 0, "DOORBELL before a successful BOARD");
		return -ENOTCONN;
	}
	schedule_scan();
	return 0;
}

void Session::schedule_scan()
{
	if (scanning_) {
		rescan_ = true; // slots behind the scan's position may have changed
		return;
	}
	// A pending scan covers later changes too: it re-arms the doorbell only when it runs.
	if (!scan_due_ns_)
		scan_due_ns_ = sys::monotonic_ns() + ctx_.limits->registration_delay_ns();
}

void Session::follow_board_growth()
{
	// The client grows its board as its threads need slots (it starts at one page, so a
	// process pays address space for what it uses): map the larger memfd in place of the old
	// view. tldd is single-threaded, nothing else reads the old view.
	struct stat st;
	if (board_bytes_ >= kMaxBoardBytes || fstat(board_fd_.get(), &st) != 0)
		return;
	std::uint64_t size = mapped_size(static_cast<std::uint64_t>(st.st_size));
	void *m = nullptr;
	if (size <= board_bytes_ || map_memfd(board_fd_.get(), size, &m) != 0)
		return; // the slots past the old view wait for a later scan
	munmap(board_, board_bytes_);
	board_ = m;
	board_bytes_ = size;
	board_slots_ =
	        static_cast<std::uint32_t>((size - TLD_BROKER_BOARD_SLOTS) / sizeof(std::uint64_t));
}

// SYNC: everything before it is handled, the board as it stands now included. A slot stored
// before the SYNC may be waiting for a DOORBELL that another thread of the client owes and has
// not sent yet, so the board is read whether or not a scan is due: a fresh scan (slots handled
// already are skipped at the cost of a compare), answered when its last step is done.
int Session::sync(const Request &req)
{
	scanning_ = false;
	if (!scan_board())
		return -ESRCH;
	if (!scanning_)
		return 0;
	sync_waiting_ = true;
	sync_req_ = req;
	return 1;
}

bool Session::scan_board()
{
	scan_due_ns_ = 0;
	if (!board_ || fatal_)
		return !fatal_;
	auto *hdr = static_cast<tld_broker_board *>(board_);
	if (!scanning_) {
		__atomic_store_n(&hdr->delay_ms,
		                 static_cast<std::uint32_t>(ctx_.limits->registration_delay_ns() /
		                                            1'000'000),
		                 __ATOMIC_RELAXED);
		// Armed before reading: a slot stored after this read will ring again
		// (protocol.h).
		__atomic_store_n(&hdr->armed, 1u, __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		std::uint32_t end = load<std::uint32_t>(&hdr->high_water);
		if (end > board_slots_) {
			follow_board_growth();
			hdr = static_cast<tld_broker_board *>(board_);
		}
		if (end > board_slots_)
			end = board_slots_;
		if (board_seen_.size() < end)
			board_seen_.resize(end, 0);
		scanning_ = true;
		scan_next_ = 0;
		scan_end_ = end;
		scan_block_size_ = 0;
		scan_tids_.clear();
		scan_repeats_ = 0;
	}
	const char *slots = static_cast<const char *>(board_) + TLD_BROKER_BOARD_SLOTS;
	unsigned read = 0, changes = 0;
	while (scan_next_ < scan_end_ && !fatal_ && read < kStepSlots && changes < kStepChanges) {
		std::uint32_t i = scan_next_++;
		read++;
		std::uint64_t slot = load<std::uint64_t>(slots + std::size_t(i) * sizeof(slot));
		if (slot == board_seen_[i])
			continue;
		board_seen_[i] = slot;
		changes++;
		if (!scan_slot(i, slot))
			scan_next_ = scan_end_; // the board is unusable: the rest waits for a fix
	}
	if (fatal_)
		return false;
	if (scan_next_ < scan_end_) {
		scan_due_ns_ = sys::monotonic_ns(); // the next step, next turn of the loop
		return true;
	}
	scanning_ = false;
	scan_tids_.clear();
	if (rescan_) {
		rescan_ = false;
		schedule_scan();
	}
	if (sync_waiting_) {
		sync_waiting_ = false;
		reply(sync_req_, TLD_BROKER_ACK, 0, sync_req_.tid);
	}
	return true;
}

// Handles slot i's new value. False when the board itself is broken and the scan must stop.
bool Session::scan_slot(std::uint32_t i, std::uint64_t slot)
{
	auto *hdr = static_cast<tld_broker_board *>(board_);
	auto tid = static_cast<pid_t>(static_cast<std::uint32_t>(slot));
	if (tid <= 0)
		return true; // the block was given back: the thread exited or freed it
	Request req;
	req.type = TLD_BROKER_DOORBELL; // what a rejection below answers, for the client
	req.tid = tid;
	if (!scan_tids_.insert(tid).second && ++scan_repeats_ > kMaxRepeats) {
		reject(req, -EINVAL, tid, "board names one thread in many slots; disconnecting");
		fatal_ = true;
		return false;
	}
	// Read after a non-empty slot, which the client stores after the block size.
	if (!scan_block_size_)
		scan_block_size_ = load<std::uint32_t>(&hdr->block_size);
	Request where;
	if (broker::board_block(scan_block_size_, i, &where) != 0) {
		reject(req, -EINVAL, tid, "board block size is not a multiple of 8 up to 4096");
		return false;
	}
	if (!same_pidns_) {
		reject(req, -EXDEV, tid, "board from another pid namespace (send pidfds)");
		return false;
	}
	auto pidfd = open_thread(tid, peer_.tgid);
	if (!pidfd) {
		// Gone before its delay was up: exactly the thread the board spares the kernel.
		if (pidfd.error().code != ESRCH)
			reject(req, pidfd.error(), tid);
		return true;
	}
	if (auto r = register_block(where, pidfd->get(), tid); !r)
		reject(req, r.error(), tid);
	return true;
}

} // namespace tld::tldd
