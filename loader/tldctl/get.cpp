// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl get PID[/TID] KEY: the value BPF reads for each registered thread of the target.
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "decode.h"
#include "json.h"
#include "map_session.h"

namespace tld::ctl {

int cmd_get(Context &ctx, const Args &args)
{
	po::options_description opts("get arguments");
	// clang-format off
	opts.add_options()
		("target", po::value<std::string>()->required()->value_name("PID[/TID]"),
		 "the process, or one of its threads")
		("key", po::value<std::string>()->required()->value_name("KEY"), "the key's name");
	// clang-format on
	po::positional_options_description pos;
	pos.add("target", 1).add("key", 1);
	auto vm = parse_subcommand(
	        "tldctl get PID[/TID] KEY [--json]",
	        "Prints KEY's value in every registered thread of process PID (as 'TID VALUE'\n"
	        "lines), or only the value for PID/TID, decoded by the type keys.conf declares\n"
	        "(hex when undeclared). Reads what BPF reads. Allowed for root and for the\n"
	        "owner of the process (its real, effective and saved uid), who reads through\n"
	        "tldd when the pinned map or BPF refuses them.",
	        opts, pos, args);

	Target target = parse_target(vm["target"].as<std::string>());
	const std::string &key = vm["key"].as<std::string>();
	check_target(target);
	Session session(ctx, "tldctl get", true);
	auto threads = session.read_target(target);
	slot_of(threads, target.pid, key); // a clear error when the process lacks it

	if (ctx.json) {
		JsonWriter j;
		j.begin_object().field("pid", target.pid).field("key", key);
		auto type = declared_type(ctx.keys, key);
		if (type)
			j.field("type", type->name());
		else
			j.key("type").null();
		j.key("threads").begin_array();
		for (const auto &t : threads) {
			const KeySlot *k = t.find(key);
			j.begin_object().field("tid", t.tid);
			if (k) {
				Decoded d = decode_value(ctx.keys, t, *k);
				j.key("value").raw(d.json).field("raw", d.raw);
			} else {
				j.key("value").null();
			}
			j.end_object();
		}
		j.end_array().end_object();
		std::cout << j.text() << "\n";
		return kExitOk;
	}
	for (const auto &t : threads) {
		const KeySlot *k = t.find(key);
		std::string text = k ? decode_value(ctx.keys, t, *k).text : "-";
		if (target.tid)
			printf("%s\n", text.c_str());
		else
			printf("%d %s\n", t.tid, text.c_str());
	}
	return kExitOk;
}

} // namespace tld::ctl
