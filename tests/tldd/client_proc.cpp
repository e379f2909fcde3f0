// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "client_proc.h"

#include <atomic>
#include <condition_variable>
#include <list>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "eventually.h"
#include "sys/pidfd_compat.h"
#include "wire/broker_client.h"

namespace tld::test {

namespace {

struct Cmd {
	char op;
	std::uint32_t n;
	std::uint64_t value;
};

constexpr std::uint16_t kBlock = 64; // bytes a test thread's block takes, one a page
// Meta and a page for each of 15 threads: 64 KiB, within the smallest --max-memfd-bytes the
// tests give tldd.
constexpr std::uint32_t kPages = 16;

int client_main(int fd, const std::string &socket, bool nobody, bool use_pidfd)
{
	if (nobody && !become_nobody())
		return 10;
	Arena arena = Arena::create(kPages);
	if (!arena.base)
		return 11;
	static broker::Client client;
	client.set_path(socket.c_str());
	if (client.hello(arena.fd.get()) != 0)
		return 12;

	std::mutex mu;
	std::condition_variable cv;
	bool stop = false;
	std::list<std::thread> threads;
	std::uint32_t count = 0;
	for (;;) {
		Cmd cmd{};
		if (!recv_obj(fd, &cmd, sizeof(cmd), -1))
			return 13;
		ClientReply rep{};
		if (cmd.op == 'R') {
			std::atomic<std::uint32_t> ready{0};
			std::atomic<int> thread_err{0};
			if (cmd.n > 32 || count + cmd.n >= kPages)
				return 14; // the test asked for more threads than it may
			for (std::uint32_t i = 0; i < cmd.n; i++) {
				std::uint32_t k = count++;
				ClientThread *info = &rep.t[i];
				info->page = 1 + k;
				info->start = TLD_DATA_START;
				threads.emplace_back([&, k, info] {
					info->tid = gettid_now();
					*arena.slot(info->page, info->start) = cmd.value + k;
					int err;
					if (use_pidfd) {
						Fd pfd(sys::pidfd_open(info->tid, PIDFD_THREAD));
						err = client.register_pidfd(pfd.get(), info->page,
						                            info->start, kBlock);
					} else {
						err = client.register_thread(info->tid, info->page,
						                             info->start, kBlock);
					}
					if (err)
						thread_err.store(err);
					ready++;
					std::unique_lock lock(mu);
					cv.wait(lock, [&] { return stop; });
				});
			}
			eventually([&] { return ready.load() >= cmd.n; });
			rep.n = cmd.n;
			rep.err = thread_err.load();
			if (!rep.err)
				rep.err = client.sync(10000);
		} else if (cmd.op == 'W') {
			for (std::uint32_t k = 0; k < count; k++)
				*arena.slot(1 + k, TLD_DATA_START) = cmd.value + k;
		} else if (cmd.op == 'S') {
			client.poll_events();
		} else {
			{
				std::lock_guard lock(mu);
				stop = true;
			}
			cv.notify_all();
			for (auto &t : threads)
				t.join();
			return 0;
		}
		auto s = client.stats();
		rep.errors = s.errors;
		rep.gone = s.gone;
		rep.sent = s.sent;
		rep.send_failed = s.send_failed;
		rep.reconnects = s.reconnects;
		rep.last_error = s.last_error;
		if (!send_obj(fd, &rep, sizeof(rep)))
			return 14;
	}
}

} // namespace

ClientProc ClientProc::spawn(const std::string &socket, bool nobody, bool use_pidfd)
{
	ClientProc p;
	p.child_ = Child::spawn([=](int fd) { return client_main(fd, socket, nobody, use_pidfd); });
	return p;
}

bool ClientProc::command(char op, std::uint32_t n, std::uint64_t value, ClientReply *out)
{
	Cmd cmd{op, n, value};
	ClientReply rep;
	if (!send_obj(child_.fd(), &cmd, sizeof(cmd)) ||
	    !recv_obj(child_.fd(), &rep, sizeof(rep), 30000))
		return false;
	if (out)
		*out = rep;
	return true;
}

bool ClientProc::start_threads(std::uint32_t n, std::uint64_t base, ClientReply *out)
{
	return command('R', n, base, out);
}

bool ClientProc::write_all(std::uint64_t base)
{
	return command('W', 0, base, nullptr);
}
bool ClientProc::stats(ClientReply *out)
{
	return command('S', 0, 0, out);
}

int ClientProc::quit()
{
	Cmd cmd{'Q', 0, 0};
	send_obj(child_.fd(), &cmd, sizeof(cmd));
	return child_.wait();
}

} // namespace tld::test
