// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "options.h"

#include <cstdio>
#include <cstring>
#include <vector>

#include "config/daemon_config.h"

namespace tld::tldd {

namespace {

log::Level level_of(config::LogLevel l)
{
	switch (l) {
	case config::LogLevel::error:
		return log::Err;
	case config::LogLevel::warn:
		return log::Warning;
	case config::LogLevel::debug:
		return log::Debug;
	default:
		return log::Info;
	}
}

} // namespace

std::string parse_options(int argc, char **argv, Options *o, bool *exit_now)
{
	*exit_now = false;
	// --remove-pins is an action of tldd itself, not a setting: taken out before the rest
	// goes to the settings parser.
	std::vector<const char *> args;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--remove-pins") == 0)
			o->remove_pins = true;
		else if (i > 0 && strcmp(argv[i], "--check-config") == 0)
			o->check_config = true;
		else if (i > 0 && strcmp(argv[i], "--version") == 0) {
			printf("tldd %s\n", TLD_VERSION);
			*exit_now = true;
			return "";
		} else
			args.push_back(argv[i]);
	}
	auto parsed = config::parse_daemon_config(static_cast<int>(args.size()), args.data());
	if (!parsed)
		return parsed.error().str();
	const config::DaemonConfig &c = parsed.value();
	if (c.help) {
		fputs(config::daemon_help("tldd").c_str(), stdout);
		fputs("\nActions (command line only):\n"
		      "  --check-config        check tldd.conf and the keys config, then exit "
		      "(0: valid)\n"
		      "  --remove-pins         remove the pins under pin-root and exit "
		      "(uninstall)\n"
		      "  --version             print the version and exit\n"
		      "\nProtocol, identity checks and limits: tldd(8), " TLD_DOCDIR
		      "/broker.md.\n",
		      stdout);
		*exit_now = true;
		return "";
	}
	o->pin_root = c.pin_root;
	o->socket_path = c.socket;
	o->socket_mode = static_cast<mode_t>(c.socket_mode);
	o->socket_group = c.socket_group;
	o->direct_group = c.direct_group;
	o->max_clients = c.max_clients;
	o->max_threads = c.max_threads_per_client;
	o->max_memfd_bytes = c.max_memfd_bytes;
	o->registration_delay_ms = c.registration_delay_ms;
	o->control_rate = c.control_rate;
	o->log_level = level_of(c.log_level);
	o->config_file = c.config_file;
	o->keys_config = c.keys_config;
	return "";
}

bool lookup_group(const std::string &name, gid_t *gid, std::string *why)
{
	return config::resolve_group(name, *gid, *why);
}

} // namespace tld::tldd
