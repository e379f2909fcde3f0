// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd's log levels: the syslog(3) priorities, so a level is also the "<N>" prefix journald
// reads (loader/tldd/log.h). log-level accepts error, warn, info and debug; notice is what tldd
// logs for a step of its start and stop, shown at info and above.
#pragma once

namespace tld::config {

enum class LogLevel { error = 3, warn = 4, notice = 5, info = 6, debug = 7 };

// "error", "warn", "notice", "info" or "debug": the log-level setting's spelling.
const char *log_level_name(LogLevel level);

} // namespace tld::config
