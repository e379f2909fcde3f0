// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "cli.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>

namespace tld::ctl {

po::options_description global_options()
{
	po::options_description g("Global options");
	// clang-format off
	g.add_options()
		("config", po::value<std::string>()->value_name("FILE"),
		 "keys config (default: $TLD_CONFIG or " TLD_CONFIG_DIR "/keys.conf)")
		("pin-root", po::value<std::string>()->value_name("DIR"),
		 "where tldd pins tld_data_map (default: keys.conf's pin_root, /sys/fs/bpf/tld)")
		("socket", po::value<std::string>()->value_name("PATH"),
		 "tldd's socket (default: keys.conf's socket, /run/tld/tldd.sock)")
		("json", po::bool_switch(), "machine-readable output")
		("verbose,v", po::bool_switch(), "print libbpf's messages");
	// clang-format on
	return g;
}

void setup_context(Context &ctx, const po::variables_map &vm)
{
	ctx.json = vm["json"].as<bool>();
	ctx.verbose = vm["verbose"].as<bool>();
	if (vm.count("config")) {
		ctx.config_path = vm["config"].as<std::string>();
		ctx.config_given = true;
	} else if (const char *env = getenv("TLD_CONFIG"); env && *env) {
		ctx.config_path = env;
		ctx.config_given = true;
	} else {
		ctx.config_path = config::kDefaultKeysConfigPath;
	}

	struct stat st;
	if (ctx.config_given || stat(ctx.config_path.c_str(), &st) == 0) {
		auto parsed = config::load_keys_config(ctx.config_path);
		if (parsed.ok())
			ctx.keys = std::move(parsed.value());
		else if (ctx.config_given)
			throw CliError(kExitUsage, parsed.error());
		else
			ctx.keys_note = parsed.error().message();
	} else {
		ctx.keys_note = ctx.config_path + ": " + strerror(errno);
	}

	ctx.pin_root = ctx.keys ? ctx.keys->options.pin_root : config::kDefaultPinRoot;
	ctx.socket = ctx.keys ? ctx.keys->options.socket : config::kDefaultSocketPath;
	if (vm.count("pin-root"))
		ctx.pin_root = vm["pin-root"].as<std::string>();
	if (vm.count("socket"))
		ctx.socket = vm["socket"].as<std::string>();
}

po::variables_map parse_subcommand(const std::string &usage, const std::string &about,
                                   po::options_description opts,
                                   const po::positional_options_description &pos,
                                   const std::vector<std::string> &args)
{
	opts.add_options()("help,h", "show this help");
	po::variables_map vm;
	try {
		po::store(po::command_line_parser(args)
		                  .options(opts)
		                  .positional(pos)
		                  .style(kOptionStyle)
		                  .run(),
		          vm);
		if (vm.count("help")) {
			std::cout << "Usage: " << usage << "\n\n"
			          << about << "\n\n"
			          << opts << "\n";
			po::options_description g = global_options();
			std::cout << g
			          << "\nExit status: 0 ok, 1 failure, 2 usage or malformed value, "
			             "3 permission denied.\n";
			throw HelpShown{};
		}
		po::notify(vm);
	} catch (const po::error &e) {
		throw CliError(kExitUsage,
		               std::string(e.what()) + "\nUsage: " + usage + " (--help for more)");
	}
	return vm;
}

void require_root(const char *what)
{
	if (geteuid() != 0)
		throw CliError(kExitPermission,
		               std::string(what) +
		                       " needs root: it loads BPF programs and reads the pinned "
		                       "tld_data_map, which only root may open");
}

Error map_open_error(const Context &ctx, int err)
{
	std::string path = ctx.pin_root + "/tld_data_map";
	if (err == ENOENT)
		return Error{err, "",
		             "no tld_data_map pinned at " + path +
		                     ": is tldd running (or was --pin-root meant)?"};
	return Error{err, "cannot open " + path};
}

} // namespace tld::ctl
