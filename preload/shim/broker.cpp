// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The preload's tldd connection. tld::broker::Client does the protocol, reconnects and
// resends HELLO by itself; this file ties it to the arena and tells the backend when a new
// connection means every thread must be registered again (tldd may have lost what was queued).
#include "broker.h"

#include <atomic>
#include <cerrno>

#include "board.h"
#include "libtld/keys.h"
#include "sys/syscalls.h"
#include "wire/broker_client.h"

namespace tld::shim {
namespace {

broker::Client g_client;
std::atomic<bool> g_path_set{false};
std::atomic<std::uint64_t> g_seen_reconnects{0};

// Before exec the registration must be gone before the image is replaced; tldd is local and
// normally answers in well under a millisecond, so this only bites when it is stuck.
constexpr int kUnregisterWaitMs = 200;

} // namespace

int broker_connect(const char *socket_path)
{
	bool expected = false;
	if (g_path_set.compare_exchange_strong(expected, true))
		if (int err = g_client.set_path(socket_path); err < 0)
			return err;
	int memfd = arena::memfd();
	if (memfd < 0)
		return -EBADF;
	// Without a board every thread registers with a message: slower, but it works. The
	// client leaves it unsent from another pid namespace, where tldd cannot resolve the tids
	// on a board (threads are named by pidfds there).
	int board_fd = board::init();
	return g_client.hello(memfd, arena::memfd_identity(), board_fd,
	                      board_fd >= 0 ? board::identity() : sys::FdIdentity{});
}

bool broker_connected()
{
	return g_client.event_fd() >= 0;
}

bool broker_reconnected()
{
	std::uint64_t now = g_client.reconnects();
	return g_seen_reconnects.exchange(now, std::memory_order_acq_rel) != now;
}

int broker_register(pid_t tid, const arena::Block &block)
{
	// From another pid namespace tldd knows threads only by pidfd: a pidfd and a message
	// each, as the board does not cost.
	if (g_client.needs_pidfds()) {
		(void)g_client.poll_events();
		return sys::with_thread_pidfd(tid, [&](int pidfd) {
			return g_client.register_pidfd(pidfd, block.page_index, block.start,
			                               keys::block_size());
		});
	}
	int ring = board::publish(arena::index_of(block), keys::block_size(), tid);
	if (ring == 0)
		return 0; // tldd reads the board anyway: no syscall at all
	// Drain tldd's answers (its failures, counted in stats()), which also notices a tldd that
	// died: the next send then reconnects, and the new tldd reads the whole board.
	(void)g_client.poll_events();
	if (ring > 0) {
		int err = g_client.doorbell();
		if (err)
			board::rearm();
		return err;
	}
	return g_client.register_thread(tid, block.page_index, block.start, keys::block_size());
}

int broker_unregister(pid_t tid, bool wait)
{
	int wait_ms = wait ? kUnregisterWaitMs : 0;
	if (!g_client.needs_pidfds())
		return g_client.unregister_thread(tid, wait_ms);
	return sys::with_thread_pidfd(
	        tid, [&](int pidfd) { return g_client.unregister_pidfd(pidfd, wait_ms); });
}

void broker_forget_block(const arena::Block &block)
{
	if (block)
		board::clear(arena::index_of(block));
}

void broker_forget_all()
{
	board::clear_all();
}

bool broker_exec_hooked()
{
	return !g_client.needs_pidfds();
}

void broker_after_fork_child()
{
	g_client.after_fork();
	board::after_fork_child();
}

} // namespace tld::shim
