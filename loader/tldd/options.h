// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd's command line: its own actions (--check-config, --remove-pins, --version), then the
// settings, which config/daemon_config.h parses with /etc/tld/tldd.conf (the command line wins).
#pragma once

#include "config/daemon_config.h"

namespace tld::tldd {

enum class Action {
	serve,
	check_config, // check the settings and the keys config, then exit
	remove_pins,  // uninstall: remove the pins and exit
	version,      // print the version and exit
};

// The action argv asks for; serve when it names none.
Action action_of(int argc, char **argv);

// The settings of argv, less the actions, and of the settings file. An error names the option,
// or the file and line.
Result<config::DaemonConfig> parse_settings(int argc, char **argv);

// tldd --help: the settings, then the actions.
void print_help();

} // namespace tld::tldd
