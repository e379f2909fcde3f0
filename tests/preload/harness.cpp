// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "harness.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <tld/abi.h>

#include "hints_iter.skel.h"

namespace tld::test {

HintsReader::HintsReader(int map_fd)
{
	skel_ = hints_iter__open();
	if (!skel_) {
		ADD_FAILURE() << "hints_iter__open: " << strerror(errno);
		return;
	}
	int err = bpf_map__reuse_fd(skel_->maps.tld_data_map, map_fd);
	if (!err)
		err = hints_iter__load(skel_);
	if (err) {
		ADD_FAILURE() << "loading the hints iterator: " << strerror(-err);
		return;
	}
	link_ = bpf_program__attach_iter(skel_->progs.dump_hints, nullptr);
	if (!link_)
		ADD_FAILURE() << "attaching the hints iterator: " << strerror(errno);
}

HintsReader::~HintsReader()
{
	bpf_link__destroy(link_);
	hints_iter__destroy(skel_);
}

std::map<pid_t, Hints> HintsReader::read() const
{
	std::map<pid_t, Hints> out;
	if (!link_)
		return out;
	Fd iter(bpf_iter_create(bpf_link__fd(link_)));
	if (!iter) {
		ADD_FAILURE() << "bpf_iter_create: " << strerror(errno);
		return out;
	}
	std::string bytes;
	char buf[4096];
	ssize_t n;
	while ((n = ::read(iter.get(), buf, sizeof(buf))) > 0)
		bytes.append(buf, n);
	for (std::size_t off = 0; off + sizeof(hints_record) <= bytes.size();
	     off += sizeof(hints_record)) {
		hints_record r;
		std::memcpy(&r, bytes.data() + off, sizeof(r));
		Hints h;
		h.pid = r.pid;
		h.tid = r.tid;
		h.found = r.found;
		h.prio = r.prio;
		h.latency = r.latency;
		h.deadline_ns = r.deadline_ns;
		h.tag.assign(r.tag, strnlen(r.tag, sizeof(r.tag)));
		out[h.tid] = h;
	}
	return out;
}

std::map<pid_t, Hints> read_hints(int map_fd)
{
	return HintsReader(map_fd).read();
}

namespace {

std::size_t count_readies(const std::string &out)
{
	std::size_t n = 0;
	for (std::size_t at = 0; (at = out.find("READY\n", at)) != std::string::npos; at++)
		n++;
	return n;
}

} // namespace

App::App(const std::vector<std::string> &argv, const std::vector<std::string> &env,
         const std::string &stdout_file)
    : proc_(Command{.argv = argv, .env = env, .stdout_file = stdout_file})
{
	if (!proc_.error().empty())
		ADD_FAILURE() << "starting " << argv[0] << ": " << proc_.error();
}

std::map<pid_t, std::string> App::wait_ready(int timeout_ms)
{
	proc_.read_until([&](const std::string &out) { return count_readies(out) > readies_; },
	                 timeout_ms);
	readies_ = count_readies(out());
	std::map<pid_t, std::string> roles;
	std::istringstream lines(out());
	std::string line;
	while (std::getline(lines, line)) {
		std::istringstream f(line);
		std::string t, role;
		pid_t pid, tid;
		if (f >> t >> pid >> tid >> role && t == "T")
			roles[tid] = role;
	}
	return roles;
}

void App::send(const std::string &line)
{
	if (!proc_.send(line + "\n"))
		ADD_FAILURE() << "writing to the app: " << strerror(errno);
}

int App::finish(int timeout_ms)
{
	RunResult r = proc_.finish(timeout_ms);
	if (r.timed_out)
		ADD_FAILURE() << "app " << pid() << " did not exit; killed";
	return r.status;
}

std::vector<std::string> preload_env(const std::string &config_path,
                                     const std::vector<std::string> &extra)
{
	std::vector<std::string> env = {"PATH=/usr/bin:/bin", "LD_PRELOAD=" + preload_path(),
	                                "TLD_CONFIG=" + config_path};
	env.insert(env.end(), extra.begin(), extra.end());
	return env;
}

std::string write_input(const std::string &dir, std::size_t bytes)
{
	std::string path = dir + "/input";
	std::mt19937_64 rng(42);
	std::string data(bytes, '\0');
	for (std::size_t i = 0; i < bytes; i++)
		data[i] = static_cast<char>('a' + rng() % (i % 4096 < 2048 ? 4 : 26));
	std::ofstream(path, std::ios::binary) << data;
	return path;
}

std::string test_keys()
{
	return read_file(std::string(TLD_TEST_SOURCE_DIR) + "/test.conf");
}

std::string write_config(const std::string &dir, const std::string &options,
                         const std::string &keys)
{
	std::string path = dir + "/keys.conf";
	std::ofstream(path) << "[options]\n" << options << "\n" << keys;
	return path;
}

std::string preload_path()
{
	// TLD_TEST_PRELOAD: another build's library, to check that a test fails on old code.
	const char *other = getenv("TLD_TEST_PRELOAD");
	return other && *other ? other : TLD_PRELOAD_PATH;
}

std::string app_path(const std::string &name)
{
	return std::string(TLD_APP_DIR) + "/" + name;
}

RunResult run(const std::vector<std::string> &argv, const std::vector<std::string> &env,
              const std::string &stdout_file)
{
	RunResult r = run(Command{.argv = argv, .env = env, .stdout_file = stdout_file});
	if (r.timed_out)
		ADD_FAILURE() << argv[0] << " did not exit; killed";
	return r;
}

LogSink::LogSink(const std::string &dir) : path_(dir + "/log.sock"), stamps_(dir + "/stamps")
{
	mkdir(stamps_.c_str(), 01777);
	chmod(stamps_.c_str(), 01777); // programs run as nobody stamp here too
	fd_.reset(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
	EXPECT_EQ(bind(fd_.get(), reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0)
	        << strerror(errno);
	chmod(path_.c_str(), 0777);
}

std::vector<std::string> LogSink::env() const
{
	return {"TLD_LOG_SOCKET=" + path_, "TLD_LOG_STAMPS=" + stamps_};
}

std::vector<std::string> LogSink::take()
{
	std::vector<std::string> lines;
	char buf[1024];
	ssize_t n;
	while ((n = recv(fd_.get(), buf, sizeof(buf), MSG_DONTWAIT)) >= 0)
		lines.emplace_back(buf, static_cast<std::size_t>(n));
	return lines;
}

} // namespace tld::test
