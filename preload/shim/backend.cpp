// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "backend.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "broker.h"
#include "config/keys_config.h"
#include "hints.h"
#include "libtld/direct.h"
#include "libtld/thread.h"
#include "log.h"
#include "registry.h"
#include "sys/clock.h"
#include "sys/owned_fd.h"
#include "sys/syscalls.h"
#include "wire/broker_client.h"

namespace tld::shim {
namespace {

enum Path : int { kNone, kBroker, kDirect };

std::atomic<int> g_path{kNone};
config::Registration g_mode = config::Registration::automatic;
char g_socket[108];
char g_map_path[256];
std::atomic<int> g_map_fd{-1};
std::atomic<long> g_map_id{0};
std::atomic<std::uint64_t> g_next_try_ns{0};
constexpr std::uint64_t kRetryNs = 1'000'000'000;

// The map fd if it still is the map we opened; reopens it if the program closed it.
int direct_map_fd()
{
	int fd = g_map_fd.load(std::memory_order_acquire);
	if (fd >= 0 && sys::bpf_map_id(fd) == g_map_id.load(std::memory_order_relaxed))
		return fd;
	// The old number, if any, is not closed: the program took it. The new one goes high.
	fd = sys::place_high(sys::bpf_obj_get(g_map_path));
	if (fd < 0)
		return fd;
	long id = sys::bpf_map_id(fd);
	if (id < 0) {
		close(fd);
		return static_cast<int>(id);
	}
	g_map_id.store(id, std::memory_order_relaxed);
	g_map_fd.store(fd, std::memory_order_release);
	return fd;
}

int try_broker()
{
	if (g_mode == config::Registration::direct)
		return -EPERM;
	return broker_connect(g_socket);
}

int try_direct()
{
	if (g_mode == config::Registration::broker)
		return -EPERM;
	int fd = direct_map_fd();
	return fd < 0 ? fd : 0;
}

int register_one(ThreadRec &rec)
{
	int err = -ENOTCONN;
	switch (g_path.load(std::memory_order_acquire)) {
	case kBroker:
		err = broker_register(rec.tid, rec.block);
		break;
	case kDirect: {
		int fd = direct_map_fd();
		err = fd < 0 ? fd : direct::register_thread(fd, rec.tid, rec.block);
		break;
	}
	}
	return err;
}

// ctx non-null: register again even threads already registered (after a reconnect).
void catch_up(ThreadRec &rec, void *all)
{
	if (rec.block && (all || !rec.registered.load(std::memory_order_acquire)))
		rec.registered.store(register_one(rec) == 0, std::memory_order_release);
}

// Picks a path; returns true if one works. `why` gets a message when none does.
bool choose_path(std::string *why)
{
	int broker_err = try_broker();
	if (broker_err == 0) {
		g_path.store(kBroker, std::memory_order_release);
		return true;
	}
	int direct_err = try_direct();
	if (direct_err == 0) {
		g_path.store(kDirect, std::memory_order_release);
		return true;
	}
	g_path.store(kNone, std::memory_order_release);
	if (why) {
		// By the mode, not by EPERM: a socket() a seccomp filter refused is EPERM too, and
		// then "auto" is what the config says. A std::string: paths of any length fit.
		*why = std::string("cannot register threads: tldd at ") + g_socket + ": " +
		       (g_mode == config::Registration::direct ? "not used (registration = direct)"
		                                               : strerror(-broker_err)) +
		       "; map " + g_map_path + ": " +
		       (g_mode == config::Registration::broker ? "not used (registration = broker)"
		                                               : strerror(-direct_err)) +
		       "; running without hints until tldd is reachable";
	}
	return false;
}

// With no path, tries again at most once a second; on success registers every listed thread.
void maybe_reconnect()
{
	std::uint64_t now = sys::coarse_monotonic_ns();
	std::uint64_t next = g_next_try_ns.load(std::memory_order_relaxed);
	if (now < next || !g_next_try_ns.compare_exchange_strong(next, now + kRetryNs))
		return;
	if (choose_path(nullptr)) {
		debug("registration path available again; registering known threads");
		registry_for_each(catch_up, nullptr);
	}
}

int hook_register(pid_t tid, const arena::Block &block)
{
	ThreadRec &rec = self_record();
	if (g_path.load(std::memory_order_acquire) == kNone)
		maybe_reconnect();
	if (g_path.load(std::memory_order_acquire) == kBroker && !broker_connected()) {
		// tldd went away or this is a fork child: reconnect now, then catch up the others.
		if (broker_connect(g_socket) == 0)
			registry_for_each(catch_up, nullptr);
		else
			g_path.store(kNone, std::memory_order_release);
	}
	rec.tid = tid;
	if (rec.block.page != block.page || rec.block.start != block.start) {
		// A block the thread took after tld_free(): give it the configured values too.
		rec.self = pthread_self();
		rec.block = block;
		char name[16];
		hints_apply(rec, thread_name_for_hints(name));
		registry_add(rec);
	}
	int err = register_one(rec);
	if (g_path.load(std::memory_order_acquire) == kBroker && broker_reconnected()) {
		static int all = 1;
		registry_for_each(catch_up, &all);
	}
	rec.registered.store(err == 0, std::memory_order_release);
	if (!err)
		debug("thread %d: registration %s", tid,
		      g_path.load(std::memory_order_relaxed) == kDirect ? "done (direct)"
		                                                        : "sent to tldd");
	if (err) {
		debug("thread %d not registered: %s", tid, strerror(-err));
		// tldd is gone: retry (and catch every thread up) on a later thread start.
		if (broker::connection_lost(err))
			g_path.store(kNone, std::memory_order_release);
	}
	return err;
}

int hook_unregister(pid_t tid, const arena::Block &block, bool wait)
{
	ThreadRec &rec = self_record();
	broker_forget_block(block);
	if (!wait) {
		// tld_free(): the block goes back to the arena; a later tld_get_data() takes a
		// new one, which hook_register() sets up again.
		registry_remove(rec);
		rec.block = {};
	}
	if (!rec.registered.exchange(false, std::memory_order_acq_rel))
		return 0;
	switch (g_path.load(std::memory_order_acquire)) {
	case kBroker:
		return broker_unregister(tid, wait);
	case kDirect: {
		int fd = direct_map_fd();
		return fd < 0 ? fd : direct::unregister_thread(fd, tid);
	}
	}
	return -ENOTCONN;
}

void hook_exiting(pid_t, const arena::Block &block)
{
	// Whatever the path now: the block may be on the board from an earlier broker path.
	broker_forget_block(block);
}

const thread::Backend g_backend = {hook_register, hook_unregister, hook_exiting};

} // namespace

void backend_init(const config::Options &options)
{
	g_mode = options.registration;
	snprintf(g_socket, sizeof(g_socket), "%s", options.socket.c_str());
	snprintf(g_map_path, sizeof(g_map_path), "%s/tld_data_map", options.pin_root.c_str());
	std::string why;
	bool ok = choose_path(&why);
	static const char *const kModes[] = {"auto", "broker", "direct"};
	static const char *const kPaths[] = {"none", "tldd's broker", "the map directly"};
	debug("registration = %s: path %s", kModes[static_cast<int>(g_mode) % 3],
	      kPaths[g_path.load(std::memory_order_relaxed)]);
	if (!ok)
		warn_once("%s", why.c_str());
	g_next_try_ns.store(sys::coarse_monotonic_ns() + kRetryNs, std::memory_order_relaxed);
	thread::set_backend(&g_backend);
}

bool backend_before_exec()
{
	broker_forget_all();
	return g_path.load(std::memory_order_acquire) == kBroker && broker_exec_hooked();
}

void backend_after_failed_exec()
{
	if (g_path.load(std::memory_order_acquire) == kBroker) {
		static int all = 1;
		registry_for_each(catch_up, &all);
	}
}

void backend_after_fork_child()
{
	broker_after_fork_child();
}

} // namespace tld::shim
