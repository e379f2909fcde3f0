// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl with the real tldd: owners who are not root change and read hints through it, tldd
// checks them itself, status reports it, and list tells brokered registrations from direct
// ones, also for a preloaded python3 on both registration paths.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <thread>

#include <bpf/bpf.h>

#include "child.h"
#include "eventually.h"
#include "fixture.h"
#include "harness.h"
#include "procfs.h"
#include "progs/dump.h"
#include "reader.h"
#include "tldctl/tldd_client.h"

namespace tld::test {
namespace {

using Classes = std::map<pid_t, uint32_t>;

// tldd's answer to a control request, or -errno with *why when tldd could not be asked.
int answer_of(const Result<int> &r, std::string *why)
{
	if (r)
		return *r;
	*why = r.error().message();
	return r.error().negative();
}
using Tree = boost::property_tree::ptree;

class TldctlTlddTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_TRUE(bpffs_.ok());
		std::string why;
		ASSERT_TRUE(tldd_.start_ready({}, &why)) << why;
		map_path_ = tldd_.pin_root + "/tld_data_map";
		map_fd_.reset(bpf_obj_get(map_path_.c_str()));
		ASSERT_TRUE(map_fd_) << "opening tldd's pin: " << strerror(errno);
		chmod(dir_.path().c_str(), 0755); // tldctl as uid 65534 reads keys.conf
		config_ = dir_.path() + "/keys.conf";
		std::ofstream(config_) << kTestKeysConf;
		chmod(config_.c_str(), 0644);
	}

	RunResult tldctl(const std::vector<std::string> &args, uid_t uid = uid_t(-1)) const
	{
		std::vector<std::string> argv = {TLDCTL_PATH, "--pin-root",      tldd_.pin_root,
		                                 "--socket",  tldd_.socket_path, "--config",
		                                 config_};
		argv.insert(argv.end(), args.begin(), args.end());
		return run(Command{.argv = argv, .inherit_env = true, .uid = uid});
	}

	// Runs `tldctl list --json ARGS` until `want` threads show: brokered registration is
	// asynchronous. `doc` holds the tree the returned threads point into.
	std::vector<const Tree *> list_until(Tree &doc, const std::vector<std::string> &args,
	                                     uid_t uid, std::size_t want) const
	{
		std::vector<std::string> argv = {"list", "--json"};
		argv.insert(argv.end(), args.begin(), args.end());
		std::vector<const Tree *> threads;
		eventually([&] {
			RunResult r = tldctl(argv, uid);
			EXPECT_EQ(r.status, 0) << r.err;
			if (r.status != 0)
				return true; // no use waiting: the failure above says why
			doc = parse_json_text(r.out);
			threads.clear();
			for (const auto &[_, proc] : doc.get_child("processes"))
				for (const auto &[__, t] : proc.get_child("threads"))
					threads.push_back(&t);
			return threads.size() == want;
		});
		return threads;
	}

	// The workload of the plain tldctl tests, registered directly in tldd's map.
	WorkloadSpec spec(int threads, uid_t uid = 0) const
	{
		WorkloadSpec s;
		s.map_path = map_path_;
		s.keys = {{"class", 4}, {"prio", 4}, {"urgent", 1}, {"role", 16}, {"opaque", 2}};
		s.threads = threads;
		s.uid = uid;
		s.init = [](int i, const std::vector<void *> &p) {
			*static_cast<uint32_t *>(p[0]) = uint32_t(i);
		};
		return s;
	}

	BpffsMount bpffs_;
	Tldd tldd_{bpffs_.path()};
	TempDir dir_;
	std::string map_path_, config_;
	Fd map_fd_;
};

TEST_F(TldctlTlddTest, OwnerChangesHintsThroughTldd)
{
	Workload w(spec(2, 65534));
	ASSERT_TRUE(w.ok()) << w.error();
	ClassReader reader(map_fd_.get());
	const auto &tids = w.tids();
	ASSERT_EQ(reader.read(w.pid()), (Classes{{tids[0], 0}, {tids[1], 1}}));

	RunResult r = tldctl({"set", std::to_string(w.pid()), "class=9"}, 65534);
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "class=9 in 2 threads of process " + std::to_string(w.pid()) + "\n");
	EXPECT_EQ(reader.read(w.pid()), (Classes{{tids[0], 9}, {tids[1], 9}}));

	r = tldctl({"set", std::to_string(w.pid()) + "/" + std::to_string(tids[1]), "class=4",
	            "--json"},
	           65534);
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(parse_json_text(r.out).get<int>("written"), 1);
	EXPECT_EQ(reader.read(w.pid()), (Classes{{tids[0], 9}, {tids[1], 4}}));
	EXPECT_NE(tldd_.log().find("uid 65534: set class in pid " + std::to_string(w.pid())),
	          std::string::npos)
	        << tldd_.log();
}

TEST_F(TldctlTlddTest, TlddChecksTheOwnerItself)
{
	Workload w(spec(2)); // root's
	ASSERT_TRUE(w.ok()) << w.error();
	ClassReader reader(map_fd_.get());
	Classes before = reader.read(w.pid());
	ASSERT_EQ(before.size(), 2u);
	std::string socket = tldd_.socket_path;
	pid_t pid = w.pid();

	// Straight to tldd, past tldctl's own check.
	TLD_IN_CHILD([&] {
		ASSERT_TRUE(become_nobody());
		std::string why;
		EXPECT_EQ(answer_of(ctl::set_via_tldd(socket, pid, 0, "class", {7, 0, 0, 0}), &why),
		          -EPERM)
		        << why;
	});
	RunResult r = tldctl({"set", std::to_string(pid), "class=7"}, 65534);
	EXPECT_EQ(r.status, 3) << r.err;
	EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
	EXPECT_EQ(reader.read(pid), before);
	EXPECT_NE(tldd_.log().find("not the owner of pid " + std::to_string(pid)),
	          std::string::npos)
	        << tldd_.log();
}

TEST_F(TldctlTlddTest, OwnerErrorsThroughTlddChangeNothing)
{
	Workload w(spec(2, 65534));
	ASSERT_TRUE(w.ok()) << w.error();
	ClassReader reader(map_fd_.get());
	Classes before = reader.read(w.pid());
	ASSERT_EQ(before.size(), 2u);
	std::string pid = std::to_string(w.pid());
	// A process of the same user without task local data.
	Process idle(Command{.argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
	                              "--clear-groups", "/bin/sleep", "30"},
	                     .inherit_env = true});
	pid_t idle_pid = idle.pid();

	struct Case {
		std::vector<std::string> args;
		int status;
		std::string message;
	};
	std::vector<Case> cases = {
	        {{"set", pid, "nosuchkey=0x01"}, 1, "has no key 'nosuchkey'"},
	        {{"set", pid, "nosuchkey=1"}, 2, "not declared in keys.conf"},
	        {{"set", pid, "opaque=0x12345678"}, 1, "is not 4 bytes"},
	        {{"set", pid, "class=abc"}, 2, "bad value 'abc' for key class (u32)"},
	        {{"set", pid, "class=-1"}, 2, "bad value '-1' for key class (u32)"},
	};
	// Until setpriv has exec'ed sleep, the process is still root's.
	eventually([&] { return comm_of(idle_pid) == "sleep"; });
	cases.push_back(
	        {{"set", std::to_string(idle_pid), "class=1"}, 1, "has no task local data"});
	for (const auto &c : cases) {
		RunResult r = tldctl(c.args, 65534);
		EXPECT_EQ(r.status, c.status) << c.args[2] << ": " << r.err;
		EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args[2] << ": " << r.err;
	}
	EXPECT_EQ(reader.read(w.pid()), before);

	// tldd down: a clear message, nothing changed.
	tldd_.stop();
	RunResult r = tldctl({"set", pid, "class=1"}, 65534);
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("tldd is not reachable"), std::string::npos) << r.err;
	EXPECT_EQ(reader.read(w.pid()), before);
}

// The pids of the processes in `tldctl list --json` output.
std::set<pid_t> listed_pids(const std::string &json)
{
	std::set<pid_t> pids;
	Tree doc = parse_json_text(json);
	for (const auto &[_, proc] : doc.get_child("processes"))
		pids.insert(proc.get<pid_t>("pid"));
	return pids;
}

TEST_F(TldctlTlddTest, OwnerReadsHintsThroughTldd)
{
	Workload w(spec(2, 65534));
	ASSERT_TRUE(w.ok()) << w.error();
	Workload other(spec(1)); // root's: 65534 must not see it
	ASSERT_TRUE(other.ok()) << other.error();
	std::string pid = std::to_string(w.pid()), tid0 = std::to_string(w.tids()[0]),
	            tid1 = std::to_string(w.tids()[1]);
	// uid 65534 may not open the pin itself: what it reads below came through tldd.
	std::string map_path = map_path_;
	TLD_IN_CHILD([&] {
		ASSERT_TRUE(become_nobody());
		EXPECT_LT(bpf_obj_get(map_path.c_str()), 0);
		EXPECT_TRUE(errno == EACCES || errno == EPERM) << strerror(errno);
	});

	RunResult r = tldctl({"get", pid, "class"}, 65534);
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, tid0 + " 0\n" + tid1 + " 1\n");
	EXPECT_EQ(r.out, tldctl({"get", pid, "class"}).out) << "root's output";
	r = tldctl({"get", pid + "/" + tid1, "class"}, 65534);
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "1\n");
	r = tldctl({"get", pid, "class", "--json"}, 65534);
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, tldctl({"get", pid, "class", "--json"}).out) << "root's output";
	Tree doc = parse_json_text(r.out);
	EXPECT_EQ(doc.get<std::string>("type"), "u32");
	std::map<pid_t, uint32_t> got;
	for (const auto &[_, t] : doc.get_child("threads"))
		got[t.get<pid_t>("tid")] = t.get<uint32_t>("value");
	EXPECT_EQ(got, (Classes{{w.tids()[0], 0}, {w.tids()[1], 1}}));
	r = tldctl({"get", pid, "nosuchkey"}, 65534);
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("has no key 'nosuchkey' (its keys: class, prio"), std::string::npos)
	        << r.err;

	// list: the same table and JSON as root's for this process, and only the caller's own.
	for (auto args : {std::vector<std::string>{"list", "--pid", pid, "--json"},
	                  std::vector<std::string>{"list", "--pid", pid}}) {
		r = tldctl(args, 65534);
		ASSERT_EQ(r.status, 0) << r.err;
		EXPECT_EQ(r.out, tldctl(args).out) << "root's output";
	}
	r = tldctl({"list", "--json"}, 65534);
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(listed_pids(r.out), std::set<pid_t>{w.pid()}) << r.out;
	doc = parse_json_text(r.out);
	for (const auto &[_, proc] : doc.get_child("processes")) {
		size_t n = 0;
		for (const auto &[__, t] : proc.get_child("threads")) {
			EXPECT_EQ(t.get<pid_t>("tid"), w.tids()[n]);
			EXPECT_EQ(t.get<uint32_t>("keys.class.value"), uint32_t(n));
			EXPECT_EQ(t.get<std::string>("path"), "direct");
			n++;
		}
		EXPECT_EQ(n, 2u);
	}
	EXPECT_EQ(listed_pids(tldctl({"list", "--json"}).out),
	          (std::set<pid_t>{w.pid(), other.pid()}))
	        << "root sees both";
	EXPECT_NE(tldd_.log().find("uid 65534: dump of pid " + pid + " (2 threads)"),
	          std::string::npos)
	        << tldd_.log();

	// tldd down: a clear message naming the socket.
	tldd_.stop();
	r = tldctl({"get", pid, "class"}, 65534);
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("tldd is not reachable (cannot connect to " + tldd_.socket_path),
	          std::string::npos)
	        << r.err;
	EXPECT_EQ(r.out, "");
}

// A preloaded python3 of uid 65534, registered through tldd: its owner lists and gets its
// hints, decoded, through tldd too.
TEST_F(TldctlTlddTest, OwnerReadsAPreloadedProcessThroughTldd)
{
	std::string conf = dir_.path() + "/python.conf";
	std::ofstream(conf) << "[options]\nregistration = broker\nsocket = " << tldd_.socket_path
	                    << "\n"
	                    << kTestKeysConf << "\n[rule.python]\nexe = python3*\n"
	                    << "set = class = 5, role = \"interpreter\"\n";
	chmod(conf.c_str(), 0644);
	// env sets the preload after the uid change, so only python3 runs with it.
	Process py(Command{.argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
	                            "--clear-groups", "/usr/bin/env", "LD_PRELOAD=" TLDPRELOAD_PATH,
	                            "TLD_CONFIG=" + conf, "/usr/bin/python3", "-c",
	                            "import threading, time\n"
	                            "t = threading.Thread(target=time.sleep, args=(60,))\n"
	                            "t.start()\n"
	                            "print('ready', flush=True)\n"
	                            "time.sleep(60)\n"},
	                   .inherit_env = true});
	std::string line;
	ASSERT_TRUE(py.read_line(line, 10000)) << py.finish().status << py.err();
	ASSERT_EQ(line, "ready");
	std::string pid = std::to_string(py.pid());

	Tree doc;
	std::vector<const Tree *> threads = list_until(doc, {}, 65534, 2);
	ASSERT_EQ(threads.size(), 2u) << "pid " << pid << "\n" << py.err();
	EXPECT_EQ(listed_pids(tldctl({"list", "--json"}, 65534).out), std::set<pid_t>{py.pid()});
	for (const Tree *t : threads) {
		EXPECT_EQ(t->get<unsigned>("keys.class.value"), 5u);
		EXPECT_EQ(t->get<std::string>("keys.role.value"), "interpreter");
		EXPECT_EQ(t->get<std::string>("path"), "brokered");
	}
	RunResult r = tldctl({"get", pid, "role"}, 65534);
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, tldctl({"get", pid, "role"}).out) << "root's output";
	EXPECT_NE(r.out.find(pid + " \"interpreter\"\n"), std::string::npos) << r.out;
}

TEST_F(TldctlTlddTest, TlddShowsAProcessOnlyToRootAndItsOwner)
{
	Workload w(spec(2)); // root's
	ASSERT_TRUE(w.ok()) << w.error();
	std::string pid = std::to_string(w.pid());

	RunResult r = tldctl({"get", pid, "class"}, 65534);
	EXPECT_EQ(r.status, 3) << r.err;
	EXPECT_NE(r.err.find("permission denied: tldd shows process " + pid +
	                     " only to root and its owner (uid 0), not to uid 65534"),
	          std::string::npos)
	        << r.err;
	EXPECT_EQ(r.out, "");
	r = tldctl({"get", pid + "/" + std::to_string(w.tids()[0]), "class"}, 65534);
	EXPECT_EQ(r.status, 3) << r.err;
	r = tldctl({"list", "--pid", pid, "--json"}, 65534);
	EXPECT_EQ(r.status, 3) << r.err;
	r = tldctl({"list", "--json"}, 65534);
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(listed_pids(r.out), std::set<pid_t>{}) << r.out;
	r = tldctl({"list"}, 65534);
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out.find(pid), std::string::npos) << r.out;

	// Straight to tldd, past tldctl: the same verdicts.
	std::string socket = tldd_.socket_path;
	pid_t target = w.pid();
	TLD_IN_CHILD([&] {
		ASSERT_TRUE(become_nobody());
		std::string bytes, why;
		EXPECT_EQ(answer_of(ctl::dump_via_tldd(socket, target, &bytes), &why), -EPERM)
		        << why;
		EXPECT_EQ(answer_of(ctl::dump_via_tldd(socket, 0, &bytes), &why), 0) << why;
		EXPECT_EQ(bytes, "");
		EXPECT_EQ(answer_of(ctl::dump_via_tldd(socket, 0x3fffffff, &bytes), &why), -ESRCH)
		        << why;
	});
	EXPECT_NE(tldd_.log().find("not the owner of pid " + pid), std::string::npos)
	        << tldd_.log();

	// Root asking tldd gets the records, in the iterator's format.
	std::string bytes, why;
	ASSERT_EQ(answer_of(ctl::dump_via_tldd(socket, target, &bytes), &why), 2) << why;
	auto threads = ctl::parse_dump(bytes);
	ASSERT_TRUE(threads) << threads.error().message();
	ASSERT_EQ(threads->size(), 2u);
	for (const auto &t : *threads) {
		EXPECT_EQ(t.pid, target);
		EXPECT_NE(t.find("class"), nullptr);
	}
}

// control-rate: each user but root gets that many control requests a second, in bursts of as
// many; more are refused with EBUSY, a clear message, and nothing changed.
TEST_F(TldctlTlddTest, ControlRateLimitsEachUserButRoot)
{
	tldd_.stop();
	std::string why;
	ASSERT_TRUE(tldd_.start_ready({"--control-rate", "1"}, &why)) << why;
	Workload w(spec(1, 65534));
	ASSERT_TRUE(w.ok()) << w.error();
	pid_t target = w.pid();
	std::string socket = tldd_.socket_path;

	// Back to back, as uid 65534: the burst of one is served, the rest refused.
	TLD_IN_CHILD([&] {
		ASSERT_TRUE(become_nobody());
		std::string bytes; // the child writes its own copy of the outer why
		EXPECT_EQ(answer_of(ctl::dump_via_tldd(socket, target, &bytes), &why), 1) << why;
		EXPECT_EQ(answer_of(ctl::dump_via_tldd(socket, target, &bytes), &why), -EBUSY)
		        << why;
		EXPECT_EQ(answer_of(ctl::dump_via_tldd(socket, 0, &bytes), &why), -EBUSY) << why;
	});
	// Still within the second: tldctl says why, and set changes nothing.
	RunResult r = tldctl({"set", std::to_string(target), "class=7"}, 65534);
	EXPECT_EQ(r.status, 1) << r.out;
	EXPECT_NE(r.err.find("tldd is busy: uid 65534 made more requests than its control-rate "
	                     "allows; try again in a second; nothing changed"),
	          std::string::npos)
	        << r.err;
	ClassReader reader(map_fd_.get());
	EXPECT_EQ(reader.read(target), (Classes{{w.tids()[0], 0}}));

	// Root is not limited, and another user has a bucket of their own.
	std::string bytes;
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(answer_of(ctl::dump_via_tldd(socket, target, &bytes), &why), 1) << why;
	EXPECT_EQ(tldctl({"list", "--json"}, 65533).status, 0);

	// One warning for the run of refusals, not one per request.
	std::string log = tldd_.log();
	const std::string warning = "uid 65534: over control-rate 1: refusing its control requests";
	size_t first = log.find(warning);
	EXPECT_NE(first, std::string::npos) << log;
	EXPECT_EQ(log.find("over control-rate", first + warning.size()), std::string::npos) << log;
}

// A client at --max-threads-per-client (issue 10, item 5): tldd says so once in its journal,
// and status counts it. Old tldd refused silently after 16 logged rejections, and status
// showed nothing.
TEST_F(TldctlTlddTest, StatusAndTheJournalShowAClientAtTheThreadLimit)
{
	tldd_.stop();
	std::string why;
	ASSERT_TRUE(tldd_.start_ready({"--max-threads-per-client", "2"}, &why)) << why;
	// Three live threads of this process, parked until the end.
	std::mutex mu;
	std::condition_variable cv;
	bool done = false;
	std::vector<pid_t> tids(3, 0);
	std::vector<std::thread> threads;
	for (std::size_t i = 0; i < tids.size(); i++)
		threads.emplace_back([&, i] {
			std::unique_lock lock(mu);
			tids[i] = gettid_now();
			cv.notify_all();
			cv.wait(lock, [&] { return done; });
		});
	{
		std::unique_lock lock(mu);
		cv.wait(lock, [&] { return tids[0] && tids[1] && tids[2]; });
	}
	Arena arena = Arena::create(4);
	RawConn conn;
	ASSERT_EQ(conn.connect(tldd_.socket_path), 0);
	ASSERT_EQ(conn.send(TLD_BROKER_HELLO, 0, getpid(), 0, 0, 0, arena.fd.get()), 0);
	std::vector<int> answers;
	for (std::uint32_t i = 0; i < tids.size(); i++) {
		conn.send(TLD_BROKER_REGISTER, TLD_BROKER_F_ACK, tids[i], 1 + i, TLD_DATA_START,
		          64);
		auto ev = conn.event(10000);
		answers.push_back(ev ? ev->error : 1);
	}
	EXPECT_EQ(answers, (std::vector<int>{0, 0, -EDQUOT}));

	RunResult r = tldctl({"status"});
	EXPECT_NE(r.out.find("1 clients at the thread limit"), std::string::npos) << r.out;
	r = tldctl({"status", "--json"});
	Tree doc = parse_json_text(r.out);
	EXPECT_EQ(doc.get<unsigned>("tldd.clients_at_thread_limit"), 1u) << r.out;
	EXPECT_NE(tldd_.log().find("reached --max-threads-per-client (2 registrations)"),
	          std::string::npos)
	        << tldd_.log();
	{
		std::lock_guard lock(mu);
		done = true;
	}
	cv.notify_all();
	for (auto &t : threads)
		t.join();
}

TEST_F(TldctlTlddTest, StatusAndListReportTldd)
{
	Workload w(spec(2));
	ASSERT_TRUE(w.ok()) << w.error();
	RunResult r = tldctl({"status", "--json"});
	EXPECT_EQ(r.status, 0) << r.out << r.err;
	Tree doc = parse_json_text(r.out);
	EXPECT_EQ(doc.get<std::string>("tldd.up"), "true");
	EXPECT_EQ(doc.get<pid_t>("tldd.pid"), tldd_.pid());
	EXPECT_EQ(doc.get<unsigned>("tldd.limits.max_threads_per_client"), 4096u);
	EXPECT_EQ(doc.get<unsigned>("registered.threads"), 2u);

	// Registered directly, so tldd does not track them.
	r = tldctl({"list", "--pid", std::to_string(w.pid()), "--json"});
	ASSERT_EQ(r.status, 0) << r.err;
	doc = parse_json_text(r.out);
	for (const auto &[_, proc] : doc.get_child("processes"))
		for (const auto &[__, t] : proc.get_child("threads"))
			EXPECT_EQ(t.get<std::string>("path"), "direct");
}

// A preloaded /usr/bin/python3 with two threads of its own, on each registration path: list
// shows all three threads with keys.conf's values, and path says how they were registered,
// also while tldd is down and after it restarted.
class PreloadedPython : public TldctlTlddTest,
                        public ::testing::WithParamInterface<const char *> {};

TEST_P(PreloadedPython, ListShowsItsThreadsWithDecodedValues)
{
	std::string path = GetParam();
	std::string conf = dir_.path() + "/python.conf";
	std::ofstream(conf) << "[options]\nregistration = " << path
	                    << "\nsocket = " << tldd_.socket_path
	                    << "\npin_root = " << tldd_.pin_root << "\n"
	                    << kTestKeysConf << "\n[rule.python]\nexe = python3*\n"
	                    << "set = class = 5, role = \"interpreter\"\n";
	Process py(Command{.argv = {"/usr/bin/python3", "-c",
	                            "import threading, time, sys\n"
	                            "ts = [threading.Thread(target=time.sleep, args=(60,)) for _ "
	                            "in range(2)]\n"
	                            "[t.start() for t in ts]\n"
	                            "print('ready', flush=True)\n"
	                            "time.sleep(60)\n"},
	                   .env = {"LD_PRELOAD=" TLDPRELOAD_PATH, "TLD_CONFIG=" + conf},
	                   .inherit_env = true});
	std::string line;
	ASSERT_TRUE(py.read_line(line, 10000)) << py.finish().status << py.err();
	ASSERT_EQ(line, "ready");
	std::string pid = std::to_string(py.pid());

	Tree doc;
	std::vector<const Tree *> threads = list_until(doc, {"--pid", pid}, uid_t(-1), 3);
	ASSERT_EQ(threads.size(), 3u) << "pid " << pid << "\n" << py.err();
	for (const Tree *t : threads) {
		EXPECT_EQ(t->get<unsigned>("keys.class.value"), 5u);
		EXPECT_EQ(t->get<int>("keys.prio.value"), -1); // rule.workers: thread = worker*
		EXPECT_EQ(t->get<std::string>("keys.role.value"), "interpreter");
		EXPECT_EQ(t->get<std::string>("keys.urgent.value"), "false");
		EXPECT_EQ(t->get<std::string>("path"), path == "broker" ? "brokered" : "direct");
	}
	// The table says the same.
	RunResult r = tldctl({"list", "--pid", pid});
	EXPECT_NE(r.out.find("class=5 prio=-1 urgent=false role=\"interpreter\""),
	          std::string::npos)
	        << r.out;

	// set changes what a BPF program reads for each of its threads.
	r = tldctl({"set", pid, "class=8"});
	ASSERT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "class=8 in 3 threads of process " + pid + "\n");
	ClassReader reader(map_fd_.get());
	Classes got = eventually_value([&] { return reader.read(py.pid()); },
	                               [](const Classes &c) {
		                               return c.size() == 3 && c.begin()->second == 8 &&
		                                      c.rbegin()->second == 8;
	                               });
	ASSERT_EQ(got.size(), 3u);
	for (const auto &[tid, cls] : got)
		EXPECT_EQ(cls, 8u) << "thread " << tid;

	// The path outlives tldd: its marks are pinned and live as long as the threads. Killed,
	// and then restarted (python3 starts no thread, so it does not reconnect), tldd need
	// not be asked.
	r = tldctl({"status", "--json"});
	EXPECT_EQ(parse_json_text(r.out).get<unsigned>("registered.brokered_threads"),
	          path == "broker" ? 3u : 0u)
	        << r.out;
	if (path != "broker")
		return;
	tldd_.stop(SIGKILL);
	std::string why;
	for (bool restarted : {false, true}) {
		if (restarted) {
			ASSERT_TRUE(tldd_.start_ready({}, &why)) << why;
		}
		threads = list_until(doc, {"--pid", pid}, uid_t(-1), 3);
		ASSERT_EQ(threads.size(), 3u);
		for (const Tree *t : threads)
			EXPECT_EQ(t->get<std::string>("path"), "brokered")
			        << (restarted ? "tldd restarted" : "tldd killed");
	}
}

INSTANTIATE_TEST_SUITE_P(Paths, PreloadedPython, ::testing::Values("direct", "broker"));

} // namespace
} // namespace tld::test
