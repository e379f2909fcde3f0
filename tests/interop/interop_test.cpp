// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Issue 13: a consumer written for upstream's task_local_data.bpf.h (upstream_reader.bpf.c)
// and tld.bpf.h (tld_reader.bpf.c), side by side on the same threads, must each report what
// every thread stored itself: 32 threads of one process, 4 keys (bool at offset 0, u32, u64,
// bytes:16), registered directly, through tldd's board, through REGISTER (from another pid
// namespace), before and after the threads change their values, in a fork child, after tldd is
// killed and restarted, and after blocks are reused. The upstream reader reuses tldd's pin by
// fd, by path and by name (libbpf's reuse check).
#include <gtest/gtest.h>

#include <dirent.h>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>

#include "bpffs.h"
#include "broker_fixture.h"
#include "eventually.h"
#include "harness.h"
#include "interop_values.h"
#include "readers.h"
#include "tests/tldd/harness.h"

namespace tld::test {
namespace {

constexpr int kThreads = 32;
constexpr std::uint32_t kSizes[INTEROP_KEYS] = {1, 4, 8, 16};
const char *const kNames[INTEROP_KEYS] = {"flag", "prio", "budget", "tag"};

// What a thread announced: "T <pid> <tid> <index> <generation>", ids in its pid namespace.
struct Line {
	pid_t pid, tid;
	int idx, gen;
};

// The lines of the app's output between its `n`-th READY and the one after.
std::vector<Line> round_lines(const std::string &out, int n)
{
	std::vector<Line> lines;
	std::istringstream in(out);
	std::string text;
	int readies = 0;
	while (std::getline(in, text)) {
		if (text == "READY") {
			if (readies++ == n)
				break;
			continue;
		}
		Line l{};
		if (readies == n &&
		    std::sscanf(text.c_str(), "T %d %d %d %d", &l.pid, &l.tid, &l.idx, &l.gen) == 4)
			lines.push_back(l);
	}
	return lines;
}

// The pid namespace of `pid` (its inode), to find processes by the pids they see.
ino_t pidns_of(pid_t pid)
{
	struct stat st;
	std::string path = "/proc/" + std::to_string(pid) + "/ns/pid";
	return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// NSpid of /proc/<path>/status: global first, innermost last.
std::vector<pid_t> nspid(const std::string &path)
{
	std::ifstream f(path);
	std::string line;
	while (std::getline(f, line))
		if (line.rfind("NSpid:", 0) == 0) {
			std::istringstream in(line.substr(6));
			std::vector<pid_t> ids;
			pid_t id;
			while (in >> id)
				ids.push_back(id);
			return ids;
		}
	return {};
}

// Global tid of every thread of the process that is `pid` in namespace `ns`, by its tid there.
std::map<pid_t, pid_t> global_tids(pid_t pid, ino_t ns, pid_t *global_pid)
{
	std::map<pid_t, pid_t> out;
	*global_pid = 0;
	DIR *d = opendir("/proc");
	while (dirent *e = d ? readdir(d) : nullptr) {
		pid_t p = std::atoi(e->d_name);
		if (p <= 0 || pidns_of(p) != ns)
			continue;
		auto ids = nspid("/proc/" + std::to_string(p) + "/status");
		if (ids.empty() || ids.back() != pid)
			continue;
		*global_pid = p;
		for (pid_t tid : live_tids(p)) {
			auto t = nspid("/proc/" + std::to_string(p) + "/task/" +
			               std::to_string(tid) + "/status");
			if (!t.empty())
				out[t.back()] = tid;
		}
		break;
	}
	if (d)
		closedir(d);
	return out;
}

std::string bytes_of(const interop_key &k, std::uint32_t size)
{
	return std::string(reinterpret_cast<const char *>(k.bytes), size);
}

std::string expected_bytes(const struct interop_values &v, int key)
{
	switch (key) {
	case INTEROP_K_FLAG:
		return std::string(reinterpret_cast<const char *>(&v.flag), 1);
	case INTEROP_K_PRIO:
		return std::string(reinterpret_cast<const char *>(&v.prio), 4);
	case INTEROP_K_BUDG:
		return std::string(reinterpret_cast<const char *>(&v.budget), 8);
	default:
		return std::string(v.tag, 16);
	}
}

const char *kConfigKeys = "[key.flag]\ntype = bool\n\n[key.prio]\ntype = u32\n\n"
                          "[key.budget]\ntype = u64\n\n[key.tag]\ntype = bytes:16\n";

class Interop : public BrokerPreloadTest {
protected:
	void SetUp() override
	{
		ASSERT_NO_FATAL_FAILURE(start({"--registration-delay-ms", "0"}, kConfigKeys));
		load_readers();
	}

	// Every way a consumer's loader reuses the pin, and tld's own reader.
	void load_readers()
	{
		readers_.clear();
		std::string why;
		for (auto [object, how] : {std::pair{upstream_object(), Reuse::PinPath},
		                           {upstream_object(), Reuse::Fd},
		                           {upstream_by_name_object(), Reuse::PinName},
		                           {tld_object(), Reuse::Fd}}) {
			auto r = Reader::load(object, tldd_.pin_root, how, &why);
			ASSERT_TRUE(r) << why;
			readers_.push_back(std::move(r));
		}
	}

	// Checks round `n` of the app's output: every thread it announced, as every reader sees
	// it. Registration through tldd comes a moment after the thread stored its values, so
	// the readers are asked until all threads show (or 10 s pass). Returns the data pages.
	std::set<std::uint64_t> expect_round(App &app, int n, ino_t ns)
	{
		std::vector<Line> lines = round_lines(app.out(), n);
		EXPECT_EQ(lines.size(), static_cast<size_t>(kThreads)) << app.out() << app.err();
		std::set<std::uint64_t> pages;
		if (lines.empty())
			return pages;
		pid_t gpid = 0;
		std::map<pid_t, pid_t> tids;
		std::vector<std::map<pid_t, interop_rec>> seen(readers_.size());
		eventually([&] {
			tids = global_tids(lines[0].pid, ns, &gpid);
			bool all = gpid != 0;
			for (size_t r = 0; r < readers_.size() && all; r++) {
				seen[r] = readers_[r]->read(gpid);
				for (const Line &l : lines)
					all = all && tids.count(l.tid) &&
					      seen[r].count(tids[l.tid]) &&
					      seen[r][tids[l.tid]].key[INTEROP_K_TAG].found;
			}
			return all;
		});
		for (const Line &l : lines) {
			SCOPED_TRACE("pid " + std::to_string(l.pid) + " thread " +
			             std::to_string(l.idx) + " generation " +
			             std::to_string(l.gen));
			struct interop_values want;
			interop_values_fill(l.pid, l.idx, l.gen, &want);
			if (!tids.count(l.tid)) {
				ADD_FAILURE() << "thread gone";
				continue;
			}
			for (size_t r = 0; r < readers_.size(); r++) {
				SCOPED_TRACE(readers_[r]->name() + " #" + std::to_string(r));
				auto it = seen[r].find(tids[l.tid]);
				if (it == seen[r].end()) {
					ADD_FAILURE() << "not registered";
					continue;
				}
				const interop_rec &rec = it->second;
				pages.insert(rec.data_page);
				for (int k = 0; k < INTEROP_KEYS; k++) {
					EXPECT_EQ(rec.key[k].found, 1) << kNames[k];
					EXPECT_EQ(bytes_of(rec.key[k], kSizes[k]),
					          expected_bytes(want, k))
					        << kNames[k];
				}
				EXPECT_EQ(rec.key[INTEROP_K_FLAG].off, unsigned{TLD_DATA_START})
				        << "the first key right after the page's start word";
			}
		}
		return pages;
	}

	// The whole life of the app: values as stored, changed, in a fork child, and on new
	// threads that reuse the blocks of exited ones.
	void exercise(App &app, ino_t ns)
	{
		app.wait_ready();
		expect_round(app, 0, ns);
		app.send("c");
		app.wait_ready();
		std::set<std::uint64_t> before = expect_round(app, 1, ns);
		app.send("f");
		app.wait_ready();
		expect_round(app, 2, ns);
		app.send("r");
		app.wait_ready();
		std::set<std::uint64_t> after = expect_round(app, 3, ns);
		std::size_t reused = 0;
		for (std::uint64_t p : after)
			reused += before.count(p);
		EXPECT_GT(reused, 0u) << "new threads got none of the exited threads' pages";
		EXPECT_EQ(app.finish(), 0) << app.err();
	}

	std::vector<std::string> app_argv(const std::string &map) const
	{
		return {std::string(TLD_INTEROP_APP), map, std::to_string(kThreads)};
	}

	std::vector<std::unique_ptr<Reader>> readers_;
};

TEST_F(Interop, DirectRegistration)
{
	App app(app_argv(tldd_.pin_root + "/tld_data_map"), {"PATH=/usr/bin:/bin"});
	exercise(app, pidns_of(getpid()));
}

TEST_F(Interop, ThroughTheBoard)
{
	App app(app_argv("-"), preload_env(config_));
	exercise(app, pidns_of(getpid()));
}

// In a pid namespace of its own the preload cannot use the board (tldd cannot resolve its
// tids): every thread is a REGISTER with a pidfd.
TEST_F(Interop, ThroughRegisterFromAnotherPidNamespace)
{
	std::vector<std::string> argv = {"/usr/bin/unshare", "--pid", "--fork"};
	for (auto &a : app_argv("-"))
		argv.push_back(a);
	App app(argv, preload_env(config_));
	app.wait_ready();
	pid_t inner = 0;
	for (int i = 0; i < 500 && !inner; i++) {
		std::ifstream f("/proc/" + std::to_string(app.pid()) + "/task/" +
		                std::to_string(app.pid()) + "/children");
		f >> inner;
	}
	ASSERT_GT(inner, 0);
	ino_t ns = pidns_of(inner);
	ASSERT_NE(ns, pidns_of(getpid()));
	expect_round(app, 0, ns);
	app.send("c");
	app.wait_ready();
	expect_round(app, 1, ns);
	app.send("r");
	app.wait_ready();
	expect_round(app, 2, ns);
	EXPECT_EQ(app.finish(), 0) << app.err();
}

// Registrations live in the pinned map, not in tldd: killed and restarted, tldd adopts the pin,
// consumers loading afresh by path read the same; the program's new threads register with the
// new tldd.
TEST_F(Interop, SurvivesTlddKillAndRestart)
{
	App app(app_argv("-"), preload_env(config_));
	app.wait_ready();
	expect_round(app, 0, pidns_of(getpid()));
	EXPECT_GE(tldd_.stop(SIGKILL), 0);
	std::string why;
	ASSERT_TRUE(tldd_.start_ready({"--registration-delay-ms", "0"}, &why)) << why;
	load_readers();
	expect_round(app, 0, pidns_of(getpid()));
	app.send("c");
	app.wait_ready();
	expect_round(app, 1, pidns_of(getpid()));
	app.send("r");
	app.wait_ready();
	expect_round(app, 2, pidns_of(getpid()));
	EXPECT_EQ(app.finish(), 0) << app.err();
}

} // namespace
} // namespace tld::test
