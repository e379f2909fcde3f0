// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl top: what a scheduler sees of the hints. Attaches tldctl_top.bpf.c to the scheduler
// tracepoints and prints, per value of one key, CPU time, runs and wakeup-to-run latency,
// refreshed every interval (a table, or JSON lines), until --duration or Ctrl-C.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <set>
#include <unistd.h>

#include "commands.h"
#include "decode.h"
#include "json.h"
#include "map_session.h"
#include "top_bpf.h"

namespace tld::ctl {

namespace {

volatile sig_atomic_t g_stop = 0;

void on_signal(int)
{
	g_stop = 1;
}

double now_s()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// Sleeps until @deadline (CLOCK_MONOTONIC seconds) or a signal.
void sleep_until(double deadline)
{
	timespec ts;
	ts.tv_sec = time_t(deadline);
	ts.tv_nsec = long((deadline - double(ts.tv_sec)) * 1e9);
	while (!g_stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
	}
}

// The hint's type: declared in keys.conf, or given with --size, or the size the registered
// processes published for it (when they all agree).
config::KeyType resolve_type(const Context &ctx, const Session &session, const std::string &key,
                             unsigned size_opt, pid_t pid)
{
	config::KeyType type;
	if (auto declared = declared_type(ctx.keys, key)) {
		type = *declared;
	} else if (size_opt) {
		type.kind = config::ValueKind::u64;
		type.size = uint16_t(size_opt);
	} else {
		std::set<unsigned> sizes;
		for (const auto &t : session.read_all(pid))
			if (const KeySlot *k = t.find(key))
				sizes.insert(k->size);
		if (sizes.size() != 1)
			throw CliError(
			        kExitFailure,
			        "key '" + key + "' is not declared in keys.conf and " +
			                (sizes.empty()
			                         ? std::string("no registered thread has it")
			                         : std::string("processes disagree on its size")) +
			                "; pass --size");
		type.kind = config::ValueKind::u64;
		type.size = uint16_t(*sizes.begin());
	}
	if (type.kind == config::ValueKind::bytes ||
	    (type.size != 1 && type.size != 2 && type.size != 4 && type.size != 8))
		throw CliError(kExitUsage,
		               "top groups by integer keys of 1, 2, 4 or 8 bytes; '" + key +
		                       "' is " +
		                       (type.kind == config::ValueKind::bytes
		                                ? type.name()
		                                : std::to_string(type.size) + " bytes"));
	return type;
}

std::string value_text(const config::KeyType &type, bool declared, const ClassKey &k)
{
	if (!k.hinted)
		return "-";
	uint8_t bytes[8];
	for (unsigned i = 0; i < 8; i++)
		bytes[i] = uint8_t(k.value >> (8 * i));
	return declared ? config::format_value(type, bytes) : to_hex(bytes, type.size);
}

std::string fmt_ns(uint64_t ns)
{
	char buf[32];
	if (ns < 1000)
		snprintf(buf, sizeof(buf), "%lu ns", (unsigned long)ns);
	else if (ns < 1000'000)
		snprintf(buf, sizeof(buf), "%.1f us", double(ns) / 1e3);
	else if (ns < 1000'000'000)
		snprintf(buf, sizeof(buf), "%.1f ms", double(ns) / 1e6);
	else
		snprintf(buf, sizeof(buf), "%.2f s", double(ns) / 1e9);
	return buf;
}

struct View {
	const Context &ctx;
	std::string key;
	config::KeyType type;
	bool declared;
	pid_t pid;
	bool tty;

	void json_line(const char *kind, double t, double span, const Snapshot &s,
	               uint64_t dropped) const
	{
		JsonWriter j;
		j.begin_object().field("type", kind).field("t", t).field("interval_s", span);
		j.field("key", key).key("classes").begin_array();
		for (const auto &[k, c] : s) {
			j.begin_object().field("hinted", k.hinted);
			if (k.hinted)
				j.key("value").raw(json_value(value_text(type, declared, k)));
			else
				j.key("value").null();
			j.field("cpu_ns", c.cpu_ns)
			        .field("runs", c.runs)
			        .field("wakeups", c.wakeups);
			j.field("waits", c.waits);
			j.field("wait_p50_ns", percentile(c, 0.5))
			        .field("wait_p99_ns", percentile(c, 0.99));
			j.end_object();
		}
		j.end_array().field("dropped", dropped).end_object();
		std::cout << j.text() << std::endl;
	}

	void table(const char *title, double span, const Snapshot &s, uint64_t dropped) const
	{
		if (tty)
			printf("\033[H\033[2J");
		printf("tldctl top: key '%s' (%s)%s%s, %s %.2f s\n", key.c_str(),
		       declared ? type.name().c_str() : "undeclared", pid ? ", pid " : "",
		       pid ? std::to_string(pid).c_str() : "", title, span);
		printf("%-20s %7s %10s %10s %10s %10s %10s\n", "VALUE", "CPU%", "CPU", "RUNS/s",
		       "WAKEUPS/s", "WAIT p50", "WAIT p99");
		for (const auto &[k, c] : s)
			printf("%-20s %7.1f %10s %10.0f %10.0f %10s %10s\n",
			       value_text(type, declared, k).c_str(),
			       span > 0 ? 100.0 * double(c.cpu_ns) / (span * 1e9) : 0.0,
			       fmt_ns(c.cpu_ns).c_str(), span > 0 ? double(c.runs) / span : 0.0,
			       span > 0 ? double(c.wakeups) / span : 0.0,
			       c.waits ? fmt_ns(percentile(c, 0.5)).c_str() : "-",
			       c.waits ? fmt_ns(percentile(c, 0.99)).c_str() : "-");
		if (dropped)
			printf("(%lu events dropped: more than %d classes)\n",
			       (unsigned long)dropped, TLDCTL_TOP_MAX_CLASSES);
		fflush(stdout);
	}
};

} // namespace

int cmd_top(Context &ctx, const Args &args)
{
	po::options_description opts("top options");
	// clang-format off
	opts.add_options()
		("key", po::value<std::string>()->required()->value_name("KEY"),
		 "the hint to group by (an integer or bool key)")
		("size", po::value<unsigned>()->default_value(0)->value_name("BYTES"),
		 "the key's size when keys.conf does not declare it (1, 2, 4, 8)")
		("pid", po::value<pid_t>()->default_value(0)->value_name("PID"), "only this process")
		("all", po::bool_switch(), "also account tasks without the key, as class '-'")
		("interval", po::value<double>()->default_value(1.0)->value_name("SECONDS"),
		 "refresh interval")
		("duration", po::value<double>()->default_value(0)->value_name("SECONDS"),
		 "stop after this long (0: at Ctrl-C) and print the totals");
	// clang-format on
	po::positional_options_description pos;
	pos.add("key", 1);
	auto vm = parse_subcommand(
	        "tldctl top [--key] KEY [--pid PID] [--all] [--duration S] [--json]",
	        "Attaches to sched_switch, sched_wakeup and sched_wakeup_new (tp_btf) and reads\n"
	        "KEY of each task with tld.bpf.h where a sched_ext scheduler would. Per value of\n"
	        "KEY: CPU time, slices run, and the wait from becoming runnable (a wakeup or a\n"
	        "preemption) to running, p50 and p99. A table every interval, or with --json one\n"
	        "JSON object per line: {\"type\":\"start\"} once attached, {\"type\":\"interval\"} "
	        "each\n"
	        "interval, {\"type\":\"total\"} at the end. See bpf/tldctl_top.bpf.c. Needs root.",
	        opts, pos, args);

	std::string key = vm["key"].as<std::string>();
	double interval = vm["interval"].as<double>(), duration = vm["duration"].as<double>();
	pid_t pid = vm["pid"].as<pid_t>();
	if (interval < 0.1 || duration < 0 || pid < 0)
		throw CliError(kExitUsage,
		               "--interval must be >= 0.1 s, --duration and --pid >= 0");
	if (key.empty() || key.size() >= TLD_NAME_LEN)
		throw CliError(kExitUsage, "bad key name '" + key + "'");

	Session session(ctx, "tldctl top");
	unsigned size_opt = vm["size"].as<unsigned>();
	config::KeyType type = resolve_type(ctx, session, key, size_opt, pid);
	bool declared = declared_type(ctx.keys, key).has_value();
	auto top = TopConsumer::load(session.map_fd(),
	                             TopConfig{key, type.size, pid, vm["all"].as<bool>()});
	if (!top)
		fail_bpf(top.error(), "loading the top programs");

	struct sigaction sa = {};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, nullptr);
	sigaction(SIGTERM, &sa, nullptr);
	if (auto r = top->attach(); !r)
		fail_bpf(r.error(), "attaching the top programs");

	View view{ctx, key, type, declared, pid, !ctx.json && isatty(STDOUT_FILENO)};
	double start = now_s(), last_t = start;
	if (ctx.json)
		view.json_line("start", 0, 0, {}, 0);
	Snapshot last;
	// --duration D prints ceil(D / interval) intervals, the last one ending at D (shorter if
	// D is not a multiple), then the total; Ctrl-C skips to the total.
	for (long i = 1; !g_stop; i++) {
		double next = start + i * interval, end = start + duration;
		bool final = duration > 0 && next >= end - 1e-6;
		sleep_until(final ? end : next);
		if (g_stop)
			break;
		double t = now_s();
		auto snap = top->snapshot();
		if (!snap)
			fail_bpf(snap.error(), "reading the statistics");
		Snapshot d = diff(snap.value(), last);
		if (ctx.json)
			view.json_line("interval", t - start, t - last_t, d, top->dropped());
		else
			view.table("interval", t - last_t, d, top->dropped());
		last = std::move(snap.value());
		last_t = t;
		if (final)
			break;
	}

	// Detach first: the totals then cover exactly [attach, detach).
	top->detach();
	double t = now_s();
	auto total = top->snapshot();
	if (!total)
		fail_bpf(total.error(), "reading the statistics");
	if (ctx.json)
		view.json_line("total", t - start, t - start, total.value(), top->dropped());
	else
		view.table("total over", t - start, total.value(), top->dropped());
	return kExitOk;
}

} // namespace tld::ctl
