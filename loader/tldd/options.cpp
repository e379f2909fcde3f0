// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "options.h"

#include <cstdio>
#include <cstring>
#include <vector>

namespace tld::tldd {

namespace {

// The actions are tldd's own, not settings: taken out before the rest goes to the settings
// parser.
const char *const kActions[] = {"--check-config", "--remove-pins", "--version"};

bool is_action(const char *arg)
{
	for (const char *a : kActions)
		if (strcmp(arg, a) == 0)
			return true;
	return false;
}

} // namespace

Action action_of(int argc, char **argv)
{
	// --version over --check-config over --remove-pins, wherever each is.
	Action action = Action::serve;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0)
			return Action::version;
		if (strcmp(argv[i], "--check-config") == 0)
			action = Action::check_config;
		else if (strcmp(argv[i], "--remove-pins") == 0 && action == Action::serve)
			action = Action::remove_pins;
	}
	return action;
}

Result<config::DaemonConfig> parse_settings(int argc, char **argv)
{
	std::vector<const char *> args;
	for (int i = 0; i < argc; i++)
		if (i == 0 || !is_action(argv[i]))
			args.push_back(argv[i]);
	return config::parse_daemon_config(static_cast<int>(args.size()), args.data());
}

void print_help()
{
	fputs(config::daemon_help("tldd").c_str(), stdout);
	fputs("\nActions (command line only):\n"
	      "  --check-config        check tldd.conf and the keys config, then exit "
	      "(0: valid)\n"
	      "  --remove-pins         remove the pins under pin-root and exit "
	      "(uninstall)\n"
	      "  --version             print the version and exit\n"
	      "\nProtocol, identity checks and limits: tldd(8), " TLD_DOCDIR "/broker.md.\n",
	      stdout);
}

} // namespace tld::tldd
