// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "workload.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <bpf/bpf.h>
#include <tld/tld.h>

namespace tld::test {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_go{false};

uint64_t now_ms()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

bool write_all(int fd, const void *p, size_t n)
{
	const char *c = static_cast<const char *>(p);
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= size_t(w);
	}
	return true;
}

bool read_all(int fd, void *p, size_t n)
{
	char *c = static_cast<char *>(p);
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		c += r;
		n -= size_t(r);
	}
	return true;
}

// The child: registers the workers, reports their tids (or -errno), then runs until the
// parent closes its end of the stop pipe. Never returns.
[[noreturn]] void child_main(const WorkloadSpec &spec, int report_fd, int stop_fd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int map_fd = bpf_obj_get(spec.map_path.c_str());
	// The map fd keeps working after dropping privileges: access was checked when opening.
	if (spec.uid && (setgroups(0, nullptr) || setresgid(spec.uid, spec.uid, spec.uid) ||
	                 setresuid(spec.uid, spec.uid, spec.uid)))
		_exit(125);
	prctl(PR_SET_PDEATHSIG, SIGKILL); // a credential change cleared it
	std::vector<tld_key_t> keys;
	for (const auto &[name, size] : spec.keys)
		keys.push_back(tld_create_key(name.c_str(), size));
	std::vector<std::thread> workers;
	for (int i = 0; i < spec.threads; i++) {
		workers.emplace_back([&, i] {
			if (!spec.thread_name.empty()) {
				std::string n = spec.thread_name + std::to_string(i);
				pthread_setname_np(pthread_self(), n.substr(0, 15).c_str());
			}
			std::vector<void *> ptrs;
			int32_t tid = int32_t(syscall(SYS_gettid));
			for (auto key : keys) {
				void *p = map_fd < 0 ? nullptr : tld_get_data(map_fd, key);
				if (!p)
					tid = -(errno ? errno : EINVAL);
				ptrs.push_back(p);
			}
			if (tid > 0 && spec.init)
				spec.init(i, ptrs);
			int32_t msg[2] = {i, tid};
			write_all(report_fd, msg, sizeof(msg));
			while (spec.spin && !g_go && !g_stop)
				usleep(1000);
			volatile uint64_t x = 0;
			uint64_t until = now_ms() + uint64_t(spec.spin_ms);
			while (spec.spin && !g_stop && now_ms() < until)
				for (int k = 0; k < 100000; k++)
					x = x + 1;
			while (!g_stop)
				usleep(10000);
		});
	}
	// The control pipe: a byte means go, EOF (the parent closed it or died) means stop.
	for (;;) {
		char c;
		ssize_t n = read(stop_fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		g_go = true;
	}
	g_stop = true;
	for (auto &t : workers)
		t.join();
	_exit(0);
}

} // namespace

Workload::Workload(WorkloadSpec spec)
{
	int report[2], stop[2];
	if (pipe2(report, O_CLOEXEC) || pipe2(stop, O_CLOEXEC)) {
		error_ = std::string("pipe: ") + strerror(errno);
		return;
	}
	pid_ = fork();
	if (pid_ < 0) {
		error_ = std::string("fork: ") + strerror(errno);
		return;
	}
	if (pid_ == 0) {
		close(report[0]);
		close(stop[1]);
		child_main(spec, report[1], stop[0]);
	}
	close(report[1]);
	close(stop[0]);
	stop_fd_ = stop[1];
	tids_.assign(size_t(spec.threads), 0);
	for (int i = 0; i < spec.threads; i++) {
		int32_t msg[2]; // worker index, tid or -errno
		if (!read_all(report[0], msg, sizeof(msg)) || msg[0] < 0 ||
		    msg[0] >= spec.threads) {
			error_ = "workload child died before its threads registered";
			break;
		}
		if (msg[1] < 0) {
			error_ = std::string("workload thread could not register: ") +
			         strerror(-msg[1]);
			break;
		}
		tids_[size_t(msg[0])] = msg[1];
	}
	close(report[0]);
}

void Workload::go()
{
	if (stop_fd_ >= 0)
		write_all(stop_fd_, "g", 1);
}

void Workload::stop()
{
	if (stop_fd_ >= 0) {
		close(stop_fd_);
		stop_fd_ = -1;
	}
	if (pid_ > 0) {
		int st;
		while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
		}
		pid_ = -1;
	}
}

Workload::~Workload()
{
	stop();
}

} // namespace tld::test
