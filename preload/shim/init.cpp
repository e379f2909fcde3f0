// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// libtldpreload.so: every thread of an unmodified program carries the hints its config
// declares. The constructor is the recipe; anything that fails leaves the program running
// without hints after one warning. With `start = on_first_thread` the recipe stops after the
// config and the process stays dormant until its first thread, rename or tld_* call: a shell
// and its fork children, which never start a thread, pay only for the library and the parse.
#include <atomic>
#include <cerrno>
#include <cstring>
#include <linux/prctl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend.h"
#include "config/keys_config.h"
#include "hints.h"
#include "libtld/arena.h"
#include "libtld/thread.h"
#include "log.h"
#include "phases.h"
#include "registry.h"
#include "runtime.h"
#include "sys/owned_fd.h"
#include "sys/syscalls.h"

namespace tld::shim {
namespace {

std::atomic<bool> g_active{false};
std::atomic<bool> g_started{false};
pid_t g_pid = 0; // the process the state belongs to: a raw clone() child sees another

// start = on_first_thread: kDormant from the constructor until wake(); kNever once a seccomp
// filter is set in a dormant process (it may kill us for any call of ours).
enum Dormancy : int { kAwake, kDormant, kWaking, kNever };
std::atomic<int> g_dormancy{kAwake};
thread_local bool t_waking __attribute__((tls_model("initial-exec"))) = false;

} // namespace

pthread_key_t g_unlist_key;

namespace {

// Runs before libtld's own key destructor (keys are destroyed in creation order and ours is
// created first), so a thread leaves the list before its block goes back to the arena.
void unlist(void *rec)
{
	registry_remove(*static_cast<ThreadRec *>(rec));
}

void fork_child()
{
	// A dormant parent has nothing a child must take over: the child stays dormant too.
	if (g_dormancy.load(std::memory_order_acquire) != kAwake)
		return;
	g_pid = sys::getpid();
	start_slots_after_fork_child();
	registry_after_fork_child();
	self_record().tid = sys::gettid();
	backend_after_fork_child();
}

} // namespace

bool active()
{
	return g_active.load(std::memory_order_acquire);
}

void start();

void start_early()
{
	if (!g_started.load(std::memory_order_acquire))
		start();
	wake();
}

void deactivate_for_seccomp()
{
	// Called just before the filter is set: from then on a syscall it does not allow kills the
	// process, and ours (prctl, bpf, sendmsg in new and exiting threads) are not the program's:
	// stop making them. Threads keep the hints they have; new ones start without. A dormant
	// process never starts (its start would be all syscalls of ours).
	int dormant = kDormant;
	if (g_dormancy.compare_exchange_strong(dormant, kNever, std::memory_order_acq_rel)) {
		thread::set_api_hook(nullptr);
		debug("seccomp filter installed: the dormant preload never starts");
	}
	if (g_active.exchange(false, std::memory_order_acq_rel))
		debug("seccomp filter installed: the preload steps aside for new threads");
	thread::set_backend(nullptr);
}

void check_process()
{
	// No fork handler runs in a child made by a raw clone(SIGCHLD): it notices here, on its
	// first pthread_create, and becomes a process of its own as a fork child does.
	if (active() && sys::getpid() != g_pid) {
		fork_child();
		thread::after_fork_child();
	}
}

void thread_begin(void *start_routine)
{
	ThreadRec &rec = self_record();
	rec.self = pthread_self();
	int err = 0;
	const arena::Block *block = thread::block(&err);
	if (!block) {
		rec.tid = sys::gettid();
		warn_once("thread %d gets no hints: %s", rec.tid, strerror(-err));
		return;
	}
	rec.tid = thread::owner_tid();
	rec.block = *block;
	debug("thread %d: block at data page %u offset %u", rec.tid, block->page_index,
	      block->start);
	if (start_routine && hints_need_start_symbol())
		rec.start_symbol = start_symbol(start_routine);
	char name[16];
	hints_apply(rec, thread_name_for_hints(name));
	registry_add(rec);
	pthread_setspecific(g_unlist_key, &rec);
	(void)thread::register_own_block(-1);
}

void thread_renamed_self()
{
	char name[16];
	current_thread_name(name);
	hints_apply(self_record(), name);
}

namespace {

// Everything after the config: arena and keys, the registration path, the calling thread's
// block. At start, or in a dormant process at wake().
void start_fully(StartPhases &phases)
{
	g_pid = sys::getpid();
	if (!hints_create_keys(phases))
		return;
	backend_init(hints_config()->options);
	phases.mark("connect");
	g_active.store(true, std::memory_order_release);
	self_record().start_symbol = "main";
	thread_begin(nullptr);
	phases.mark("first thread");
	phases.print();
}

// A tld_* call of the program: it may look at errno only for its own failure.
void wake_for_api()
{
	int saved = errno;
	wake();
	errno = saved;
}

} // namespace

bool wake()
{
	int state = g_dormancy.load(std::memory_order_acquire);
	if (state == kAwake || state == kNever)
		return false;
	// Only one thread exists while dormant (pthread_create wakes before making another), so
	// this is for threads made behind our back, and a signal handler of the waking thread.
	if (state == kDormant &&
	    g_dormancy.compare_exchange_strong(state, kWaking, std::memory_order_acq_rel)) {
		t_waking = true;
		StartPhases phases(debug_enabled());
		debug("waking up: the process starts now");
		start_fully(phases);
		thread::set_api_hook(nullptr);
		t_waking = false;
		g_dormancy.store(kAwake, std::memory_order_release);
		return true;
	}
	while (!t_waking && g_dormancy.load(std::memory_order_acquire) == kWaking)
		sched_yield();
	return false;
}

} // namespace tld::shim

// Once, from our constructor or, earlier, from the first pthread_create of another library's
// constructor that the dynamic loader ran before ours (the preload has no other initializers
// that must run first).
void tld::shim::start()
{
	using namespace tld::shim;
	if (g_started.exchange(true, std::memory_order_acq_rel))
		return;
	const char *disable = env("TLD_DISABLE");
	if (disable && disable[0] == '1')
		return;
	StartPhases phases(debug_enabled());
	// Already under a seccomp filter (a sandbox started us): it may kill the process for any
	// call the program does not make itself, so the preload does nothing at all.
	if (syscall(SYS_prctl, PR_GET_SECCOMP, 0, 0, 0, 0) > 0) {
		debug("under a seccomp filter: the preload stays inactive");
		return;
	}
	// A program at its own fd limit (soft == hard) needs every number up to it.
	if (!sys::fds_cost_the_program_nothing()) {
		struct rlimit lim;
		getrlimit(RLIMIT_NOFILE, &lim);
		warn_once(
		        "fd limit %llu (soft = hard) leaves no number above the program's own for "
		        "the preload's 3 fds; running without hints",
		        static_cast<unsigned long long>(lim.rlim_cur));
		return;
	}
	// Before anything in libtld: our fork handler must run before libtld's, which re-registers
	// the surviving thread through a connection this handler resets.
	pthread_atfork(nullptr, nullptr, fork_child);
	if (pthread_key_create(&g_unlist_key, unlist) != 0)
		return;
	phases.mark("checks");
	if (!hints_parse(phases))
		return;
	// A program that made a tld key before us (its constructor ran first) uses tld already:
	// it starts now, as it would at exec.
	if (hints_config()->options.start == config::Start::on_first_thread && !arena::meta()) {
		g_dormancy.store(kDormant, std::memory_order_release);
		thread::set_api_hook(wake_for_api);
		debug("start = on_first_thread: dormant until a thread starts, a thread is renamed "
		      "or the program calls tld_*");
		phases.print();
		return;
	}
	start_fully(phases);
}

__attribute__((constructor)) static void tld_preload_init()
{
	tld::shim::start();
}
