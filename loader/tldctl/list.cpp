// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl list: every thread BPF sees in tld_data_map, with its hints decoded.
#include <cstdio>
#include <fnmatch.h>
#include <iostream>

#include <tldctl/records.h>

#include "commands.h"
#include "decode.h"
#include "json.h"
#include "map_session.h"

namespace tld::ctl {

namespace {

// tldd marks what it registers in its pinned tld_broker_map, so this holds with tldd down or
// restarted; "?" when that map could not be opened.
const char *path_of(const ThreadData &t)
{
	if (t.flags & TLDCTL_REC_PATH_UNKNOWN)
		return "?";
	return t.flags & TLDCTL_REC_BROKERED ? "brokered" : "direct";
}

void print_json(const Context &ctx, const std::vector<ThreadData> &threads)
{
	JsonWriter j;
	j.begin_object().field("pin_root", ctx.pin_root).key("processes").begin_array();
	for (size_t i = 0; i < threads.size(); i++) {
		const ThreadData &t = threads[i];
		if (i == 0 || threads[i - 1].pid != t.pid) {
			if (i)
				j.end_array().end_object();
			j.begin_object().field("pid", t.pid).field("comm", t.pcomm);
			j.key("threads").begin_array();
		}
		j.begin_object().field("tid", t.tid).field("comm", t.comm);
		j.field("path", path_of(t));
		j.key("keys").begin_object();
		for (const auto &k : t.keys) {
			Decoded d = decode_value(ctx.keys, t, k);
			j.key(k.name).begin_object();
			if (d.type.empty())
				j.key("type").null();
			else
				j.field("type", d.type);
			j.key("value").raw(d.json).field("raw", d.raw).field("size", k.size);
			if (!d.note.empty())
				j.field("note", d.note);
			j.end_object();
		}
		j.end_object();
		if (!t.problem.empty())
			j.field("problem", t.problem);
		j.end_object();
	}
	if (!threads.empty())
		j.end_array().end_object();
	j.end_array().end_object();
	std::cout << j.text() << "\n";
}

void print_table(const Context &ctx, const std::vector<ThreadData> &threads)
{
	printf("%-8s %-8s %-16s %-16s %-9s %s\n", "PID", "TID", "PROCESS", "THREAD", "PATH",
	       "KEYS");
	for (const auto &t : threads) {
		std::string keys;
		for (const auto &k : t.keys) {
			Decoded d = decode_value(ctx.keys, t, k);
			keys += (keys.empty() ? "" : " ") + k.name + "=" + d.text;
		}
		if (!t.problem.empty())
			keys += (keys.empty() ? "" : " ") + std::string("[") + t.problem + "]";
		printf("%-8d %-8d %-16s %-16s %-9s %s\n", t.pid, t.tid, t.pcomm.c_str(),
		       t.comm.c_str(), path_of(t), keys.c_str());
	}
}

} // namespace

int cmd_list(Context &ctx, const Args &args)
{
	po::options_description opts("list options");
	// clang-format off
	opts.add_options()
		("pid", po::value<pid_t>()->value_name("PID"), "only this process")
		("comm", po::value<std::string>()->value_name("GLOB"),
		 "only threads whose name or process name matches GLOB");
	// clang-format on
	po::positional_options_description pos;
	auto vm = parse_subcommand(
	        "tldctl list [--pid PID] [--comm GLOB] [--json]",
	        "Lists every thread registered in tld_data_map, as BPF reads it (a task iterator\n"
	        "over the pinned map), with each key decoded by the type keys.conf declares\n"
	        "(hex when undeclared). PATH is how the thread was registered: brokered by tldd\n"
	        "or direct (tldd marks its registrations in its pinned tld_broker_map; ? when "
	        "that\n"
	        "cannot be read). Root sees every thread; a user the pinned map or BPF refuses\n"
	        "reads through tldd and sees only the processes they own (real, effective and\n"
	        "saved uid theirs).",
	        opts, pos, args);

	Session session(ctx, "tldctl list", true);
	pid_t pid = vm.count("pid") ? vm["pid"].as<pid_t>() : 0;
	if (vm.count("pid") && pid <= 0)
		throw CliError(kExitUsage, "bad --pid: expected a positive process id");
	auto threads = session.read_all(pid);
	if (vm.count("comm")) {
		const std::string &glob = vm["comm"].as<std::string>();
		std::erase_if(threads, [&](const ThreadData &t) {
			return fnmatch(glob.c_str(), t.comm.c_str(), 0) != 0 &&
			       fnmatch(glob.c_str(), t.pcomm.c_str(), 0) != 0;
		});
	}
	if (ctx.json)
		print_json(ctx, threads);
	else
		print_table(ctx, threads);
	return kExitOk;
}

} // namespace tld::ctl
