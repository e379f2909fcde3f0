// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl keys: the keys keys.conf declares, their types and defaults, and the rules that set them.
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "json.h"

namespace tld::ctl {

namespace {

std::string conditions(const config::Rule &r)
{
	std::string s;
	auto add = [&](const char *what, const std::string &glob) {
		if (!glob.empty())
			s += (s.empty() ? "" : " ") + std::string(what) + "=" + glob;
	};
	add("exe", r.exe);
	add("thread", r.thread);
	add("start", r.start);
	return s.empty() ? "every thread" : s;
}

// tldctl keys --check FILE: what the preload and tldctl would make of FILE.
int check(const std::string &file)
{
	auto r = config::load_keys_config(file);
	if (!r) {
		fprintf(stderr, "%s\n", r.error().message().c_str());
		return kExitFailure;
	}
	printf("%s: ok (%zu keys, %zu rules)\n", file.c_str(), r.value().keys.size(),
	       r.value().rules.size());
	return kExitOk;
}

} // namespace

int cmd_keys(Context &ctx, const Args &args)
{
	po::options_description opts("keys options");
	// clang-format off
	opts.add_options()
		("check", po::value<std::string>()->value_name("FILE"),
		 "check FILE as a keys config and exit: 0 valid, 1 with FILE:LINE: error");
	// clang-format on
	po::positional_options_description pos;
	po::variables_map vm = parse_subcommand(
	        "tldctl keys [--config FILE] [--json] | tldctl keys --check FILE",
	        "Lists the keys declared in keys.conf with their type and default, and for\n"
	        "each key the rules that set it (in file order: a later rule wins) and the\n"
	        "value they set. --check FILE checks a config without using it, like sshd -t.",
	        opts, pos, args);
	if (vm.count("check"))
		return check(vm["check"].as<std::string>());
	if (!ctx.keys)
		throw CliError(kExitFailure, "no keys config: " + ctx.keys_note);
	const config::KeysConfig &kc = *ctx.keys;

	JsonWriter j;
	if (ctx.json)
		j.begin_object().field("file", kc.file).key("keys").begin_array();
	else
		printf("%-24s %-10s %-16s %s\n", "KEY", "TYPE", "DEFAULT", "SET BY");
	for (size_t i = 0; i < kc.keys.size(); i++) {
		const config::KeySpec &k = kc.keys[i];
		std::string def = config::format_value(k.type, k.default_value.data());
		if (ctx.json) {
			j.begin_object().field("name", k.name).field("type", k.type.name());
			j.key("default").raw(json_value(def)).key("rules").begin_array();
		}
		std::string set_by;
		for (const auto &r : kc.rules) {
			for (const auto &a : r.set) {
				if (a.key != i)
					continue;
				std::string v = config::format_value(k.type, a.value.data());
				if (ctx.json)
					j.begin_object()
					        .field("rule", r.name)
					        .field("when", conditions(r))
					        .key("value")
					        .raw(json_value(v))
					        .end_object();
				else
					set_by += (set_by.empty() ? "" : "; ") + r.name + " (" +
					          conditions(r) + ") -> " + v;
			}
		}
		if (ctx.json)
			j.end_array().end_object();
		else
			printf("%-24s %-10s %-16s %s\n", k.name.c_str(), k.type.name().c_str(),
			       def.c_str(), set_by.empty() ? "-" : set_by.c_str());
	}
	if (ctx.json) {
		j.end_array().end_object();
		std::cout << j.text() << "\n";
	}
	return kExitOk;
}

} // namespace tld::ctl
