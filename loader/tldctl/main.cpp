// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl: see and steer the task local data of live processes as BPF sees it.
// The subcommands live in one file each (commands.h); docs/consumer-guide.md has the why.
#include <cstdio>
#include <cstring>
#include <iostream>

#include "commands.h"
#include "progs/bpf_loader.h"

using namespace tld::ctl;

static void usage(std::ostream &os)
{
	os << "Usage: tldctl [global options] COMMAND [options]\n\nCommands:\n";
	for (const auto &c : kCommands)
		os << "  " << c.name << std::string(8 - strlen(c.name), ' ') << c.summary << "\n";
	os << "\n"
	   << global_options()
	   << "\n'tldctl COMMAND --help' describes a command. Exit status: 0 ok, 1 failure,\n"
	      "2 usage or malformed value, 3 permission denied. tldctl(8) has more.\n";
}

int main(int argc, char **argv)
{
	try {
		// 1. Global options anywhere; the first positional names the command, the rest is
		// its.
		po::options_description opts = global_options();
		// clang-format off
		opts.add_options()
			("help,h", "show this help")
			("version", "print the version and exit")
			("command", po::value<std::string>())
			("args", po::value<Args>());
		// clang-format on
		po::positional_options_description pos;
		pos.add("command", 1).add("args", -1);
		po::parsed_options parsed = po::command_line_parser(argc, argv)
		                                    .options(opts)
		                                    .positional(pos)
		                                    .style(kOptionStyle)
		                                    .allow_unregistered()
		                                    .run();
		po::variables_map vm;
		po::store(parsed, vm);
		if (vm.count("version")) {
			std::cout << "tldctl " TLD_VERSION "\n";
			return kExitOk;
		}
		if (!vm.count("command")) {
			usage(vm.count("help") ? std::cout : std::cerr);
			return vm.count("help") ? kExitOk : kExitUsage;
		}
		Args args = po::collect_unrecognized(parsed.options, po::include_positional);
		args.erase(args.begin()); // the command itself
		if (vm.count("help"))
			args.push_back("--help");

		// 2. Context: keys.conf, pin root, socket; libbpf quiet unless --verbose.
		Context ctx;
		setup_context(ctx, vm);
		capture_libbpf_log(ctx.verbose);

		// 3. Run the command.
		const std::string &name = vm["command"].as<std::string>();
		for (const auto &c : kCommands)
			if (name == c.name)
				return c.run(ctx, args);
		std::cerr << "tldctl: unknown command '" << name << "'\n";
		usage(std::cerr);
		return kExitUsage;
	} catch (const HelpShown &) {
		return kExitOk;
	} catch (const CliError &e) {
		std::cerr << "tldctl: " << e.error().message() << "\n";
		return e.code();
	} catch (const po::error &e) {
		std::cerr << "tldctl: " << e.what() << "\n";
		return kExitUsage;
	} catch (const std::exception &e) {
		std::cerr << "tldctl: " << e.what() << "\n";
		return kExitFailure;
	}
}
