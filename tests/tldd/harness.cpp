// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "harness.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sstream>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eventually.h"
#include "procfs.h"
#include "request.h"
#include "tldd_probe.skel.h"
#include "wire/codec.h"

namespace tld::test {

namespace {

long now_ms()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

} // namespace

pid_t gettid_now()
{
	return static_cast<pid_t>(syscall(SYS_gettid));
}

Tldd::Tldd(const std::string &pin_dir) : Tldd(pin_dir, *this) {}

Tldd::Tldd(const std::string &pin_dir, const Tldd &other)
    : dir_(&other == this ? own_.path() : other.dir_)
{
	chmod(dir_.c_str(), 0711);
	pin_root = pin_dir + "/tld";
	socket_path = dir_ + "/tldd.sock";
	std::string notify =
	        dir_ + "/notify-" + std::to_string(reinterpret_cast<uintptr_t>(this)) + ".sock";
	notify_path_ = notify;
	notify_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	strncpy(addr.sun_path, notify.c_str(), sizeof(addr.sun_path) - 1);
	unlink(notify.c_str());
	bind(notify_.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr));
}

Tldd::~Tldd()
{
	stop(SIGKILL);
	// In sanitizer builds tldd is instrumented too; its reports land in its log.
	std::string text = log();
	for (const char *marker :
	     {"ThreadSanitizer", "AddressSanitizer", "LeakSanitizer", "runtime error:"})
		if (text.find(marker) != std::string::npos)
			ADD_FAILURE() << "tldd reported " << marker << ":\n" << text;
}

bool Tldd::start(const std::vector<std::string> &extra)
{
	// TLD_TEST_TLDD_PREFIX runs tldd under a wrapper, e.g. "setpriv --bounding-set=-all,+bpf"
	// to find out which capabilities it really needs.
	std::vector<std::string> args;
	if (const char *prefix = getenv("TLD_TEST_TLDD_PREFIX")) {
		std::istringstream words(prefix);
		for (std::string w; words >> w;)
			args.push_back(w);
	}
	// An empty settings file of our own: the machine's /etc/tld/tldd.conf must not leak in.
	std::string conf = dir_ + "/tldd.conf";
	if (FILE *f = fopen(conf.c_str(), "a"))
		fclose(f);
	for (std::string a : {std::string(TLDD_PATH), std::string("--config"), conf,
	                      std::string("--pin-root"), pin_root, std::string("--socket"),
	                      socket_path, std::string("--socket-mode"), std::string("0666")})
		args.push_back(a);
	// Debug unless the test picks a level (an option may be given once).
	bool level = false;
	for (auto &e : extra)
		level = level || e == "--log-level";
	if (!level) {
		args.push_back("--log-level");
		args.push_back("debug");
	}
	args.insert(args.end(), extra.begin(), extra.end());
	std::string log_path = dir_ + "/tldd.log";
	std::string notify = "NOTIFY_SOCKET=" + notify_path_;
	pid_ = fork();
	if (pid_ < 0)
		return false;
	if (pid_ == 0) {
		// A test that dies must not leave a daemon behind.
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int logfd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(logfd, STDERR_FILENO);
		std::vector<char *> argv;
		for (auto &a : args)
			argv.push_back(const_cast<char *>(a.c_str()));
		argv.push_back(nullptr);
		putenv(const_cast<char *>(notify.c_str()));
		unsetenv("JOURNAL_STREAM");
		if (journal) {
			struct stat st;
			fstat(logfd, &st);
			setenv("JOURNAL_STREAM",
			       (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino))
			               .c_str(),
			       1);
		}
		if (activated_fd >= 0) {
			int fd = activated_fd == 3 ? 3 : dup2(activated_fd, 3);
			fcntl(fd, F_SETFD, 0);
			setenv("LISTEN_FDS", "1", 1);
			setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
		}
		execvp(argv[0], argv.data());
		_exit(127);
	}
	return true;
}

bool Tldd::start_ready(const std::vector<std::string> &extra, std::string *why)
{
	if (!start(extra) || !wait_notify("READY=1", 20000)) {
		if (why)
			*why = "tldd did not become ready; log:\n" + log();
		return false;
	}
	return true;
}

std::string Tldd::next_notify(int timeout_ms)
{
	pollfd p{notify_.get(), POLLIN, 0};
	if (poll(&p, 1, timeout_ms) <= 0)
		return "";
	char buf[512];
	ssize_t n = recv(notify_.get(), buf, sizeof(buf) - 1, 0);
	return n > 0 ? std::string(buf, n) : "";
}

bool Tldd::wait_notify(const std::string &state, int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	for (;;) {
		long left = deadline - now_ms();
		if (left <= 0)
			return false;
		std::string msg = next_notify(left < 100 ? static_cast<int>(left) : 100);
		if (msg.find(state) != std::string::npos)
			return true;
		if (msg.empty() && exited())
			return false;
	}
}

bool Tldd::exited() const
{
	siginfo_t si{};
	return pid_ <= 0 ||
	       (waitid(P_PID, pid_, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid_);
}

int Tldd::stop(int sig)
{
	if (pid_ <= 0)
		return -1;
	kill(pid_, sig);
	int status = -1;
	waitpid(pid_, &status, 0);
	pid_ = -1;
	return status;
}

int Tldd::wait_exit(int timeout_ms)
{
	int status = -1;
	eventually(
	        [&] {
		        if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_)
			        pid_ = -1;
		        return pid_ <= 0;
	        },
	        std::chrono::milliseconds(timeout_ms));
	return pid_ <= 0 ? status : -1;
}

std::string Tldd::log() const
{
	return read_file(dir_ + "/tldd.log");
}

int Tldd::fd_count() const
{
	std::string path = "/proc/" + std::to_string(pid_) + "/fd";
	DIR *d = opendir(path.c_str());
	if (!d)
		return -1;
	int n = 0;
	while (dirent *e = readdir(d))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

long Tldd::rss_kb() const
{
	std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
	std::string line;
	while (std::getline(in, line))
		if (line.rfind("VmRSS:", 0) == 0)
			return std::stol(line.substr(6));
	return -1;
}

Arena Arena::create(std::size_t pages, bool seal)
{
	Arena a;
	a.fd.reset(memfd_create("tld-test-arena", MFD_CLOEXEC | MFD_ALLOW_SEALING));
	a.pages = pages;
	if (!a.fd || ftruncate(a.fd.get(), static_cast<off_t>(pages * 4096)) != 0)
		return a;
	if (seal)
		fcntl(a.fd.get(), F_ADD_SEALS, F_SEAL_SHRINK);
	void *m = mmap(nullptr, pages * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, a.fd.get(), 0);
	a.base = m == MAP_FAILED ? nullptr : static_cast<char *>(m);
	if (!a.base)
		return a;
	a.base[0] = 1; // meta->cnt = 1: the probe reports it
	// Every data page says where its block is, as libtld's do (abi.h); tldd checks it.
	for (std::size_t p = 1; p < pages; p++)
		*a.slot(static_cast<std::uint32_t>(p), 0) = TLD_DATA_START;
	return a;
}

Arena::~Arena()
{
	if (base)
		munmap(base, pages * 4096);
}

Probe::~Probe()
{
	tldd_probe__destroy(skel_);
}

std::string Probe::load(const std::string &pin_path)
{
	skel_ = tldd_probe__open();
	if (!skel_)
		return std::string("open probe: ") + strerror(errno);
	int map = bpf_obj_get(pin_path.c_str());
	if (map < 0)
		return "bpf_obj_get(" + pin_path + "): " + strerror(errno);
	int err = bpf_map__reuse_fd(skel_->maps.tld_data_map, map);
	close(map);
	if (err)
		return std::string("reuse_fd: ") + strerror(-err);
	if ((err = tldd_probe__load(skel_)))
		return std::string("load probe: ") + strerror(-err);
	return "";
}

namespace {

struct ProbeArgs {
	std::int32_t tid;
	std::int32_t found;
	std::uint64_t value;
	std::uint32_t start;
	std::uint32_t meta_cnt;
};

ProbeResult run_probe(const bpf_program *prog, pid_t tid)
{
	ProbeArgs args{};
	args.tid = tid;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args, .ctx_size_in = sizeof(args));
	ProbeResult r;
	if (bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) != 0) {
		r.found = -100;
		return r;
	}
	r.found = args.found;
	r.value = args.value;
	r.start = args.start;
	r.meta_cnt = args.meta_cnt;
	return r;
}

} // namespace

ProbeResult Probe::read_tid(pid_t tid) const
{
	return run_probe(skel_->progs.read_tid, tid);
}
ProbeResult Probe::read_self() const
{
	return run_probe(skel_->progs.read_self, 0);
}

int Probe::has_entry(pid_t tid) const
{
	Fd pidfd(static_cast<int>(syscall(SYS_pidfd_open, tid, O_EXCL /* PIDFD_THREAD */)));
	if (!pidfd)
		return -errno;
	char value[24];
	int fd = pidfd.get();
	int err = bpf_map_lookup_elem(bpf_map__fd(skel_->maps.tld_data_map), &fd, value);
	return err == 0 ? 1 : err == -ENOENT ? 0 : err;
}

int RawConn::connect(const std::string &path)
{
	fd_.reset(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
	if (::connect(fd_.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0)
		return -errno;
	return 0;
}

int RawConn::send_bytes(const void *buf, std::size_t len, int fd)
{
	return broker::send_message(fd_.get(), buf, len, fd, 0);
}

int RawConn::send(std::uint16_t type, std::uint32_t flags, std::int32_t tid, std::uint32_t page,
                  std::uint16_t start, std::uint16_t size, int fd, std::uint32_t seq)
{
	tld_broker_req req{};
	req.hdr = request_header(type, seq ? seq : ++seq_, flags);
	req.tid = tid;
	req.page = page;
	req.start = start;
	req.size = size;
	return send_bytes(&req, sizeof(req), fd);
}

std::optional<tld_broker_event> RawConn::event(int timeout_ms)
{
	pollfd p{fd_.get(), POLLIN, 0};
	if (poll(&p, 1, timeout_ms) <= 0)
		return std::nullopt;
	tld_broker_event ev;
	if (recv(fd_.get(), &ev, sizeof(ev), 0) != sizeof(ev))
		return std::nullopt;
	return ev;
}

std::optional<tld_broker_event> RawConn::error_before_sync(int timeout_ms)
{
	std::uint32_t seq = ++seq_;
	if (send(TLD_BROKER_SYNC, 0, 0, 0, 0, 0, -1, seq) != 0)
		return std::nullopt;
	std::optional<tld_broker_event> err;
	while (auto ev = event(timeout_ms)) {
		if (ev->hdr.type == TLD_BROKER_ACK && ev->hdr.seq == seq)
			return err;
		if (ev->hdr.type == TLD_BROKER_ERROR && !err)
			err = ev;
	}
	return err;
}

bool RawConn::closed_by_peer(int timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	for (;;) {
		pollfd p{fd_.get(), POLLIN, 0};
		long left = deadline - now_ms();
		if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0)
			return false;
		char buf[64];
		ssize_t n = recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
	}
}

Child Child::spawn(const std::function<int(int)> &body)
{
	int sv[2];
	Child c;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return c;
	c.pid_ = fork();
	if (c.pid_ == 0) {
		close(sv[0]);
		_exit(body(sv[1]));
	}
	close(sv[1]);
	c.sock_.reset(sv[0]);
	return c;
}

Child::Child(Child &&o) noexcept : pid_(o.pid_), sock_(std::move(o.sock_))
{
	o.pid_ = -1;
}

Child &Child::operator=(Child &&o) noexcept
{
	if (this != &o) {
		kill_now();
		pid_ = o.pid_;
		o.pid_ = -1;
		sock_ = std::move(o.sock_);
	}
	return *this;
}

Child::~Child()
{
	kill_now();
}

int Child::wait()
{
	if (pid_ <= 0)
		return -1;
	int status = -1;
	waitpid(pid_, &status, 0);
	pid_ = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void Child::kill_now()
{
	if (pid_ > 0) {
		kill(pid_, SIGKILL);
		waitpid(pid_, nullptr, 0);
		pid_ = -1;
	}
}

bool become_nobody()
{
	return setgroups(0, nullptr) == 0 && setresgid(65534, 65534, 65534) == 0 &&
	       setresuid(65534, 65534, 65534) == 0;
}

bool send_obj(int fd, const void *obj, std::size_t len)
{
	return ::send(fd, obj, len, MSG_NOSIGNAL) == static_cast<ssize_t>(len);
}

bool recv_obj(int fd, void *obj, std::size_t len, int timeout_ms)
{
	pollfd p{fd, POLLIN, 0};
	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	return recv(fd, obj, len, 0) == static_cast<ssize_t>(len);
}

} // namespace tld::test
