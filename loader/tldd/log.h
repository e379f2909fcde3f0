// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Logging that suits the journal: when stderr is the journal stream ($JOURNAL_STREAM names it),
// each line starts with the syslog priority as "<N>" so journald files it at that level;
// otherwise lines are plain "tldd: warning: ...". One write(2) per line, no heap.
#pragma once

#include "config/log_level.h"

namespace tld::log {

// syslog(3) priorities, in the order of importance: the log-level setting's own type.
using Level = config::LogLevel;

// Looks at $JOURNAL_STREAM and stderr once; call before other threads log.
void init(const char *ident);
void set_level(Level max);
Level level();
bool enabled(Level l);

void write(Level l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

} // namespace tld::log

#define LOG_E(...) ::tld::log::write(::tld::log::Level::error, __VA_ARGS__)
#define LOG_W(...) ::tld::log::write(::tld::log::Level::warn, __VA_ARGS__)
#define LOG_N(...) ::tld::log::write(::tld::log::Level::notice, __VA_ARGS__)
#define LOG_I(...) ::tld::log::write(::tld::log::Level::info, __VA_ARGS__)
#define LOG_D(...)                                                                                 \
	do {                                                                                       \
		if (::tld::log::enabled(::tld::log::Level::debug))                                 \
			::tld::log::write(::tld::log::Level::debug, __VA_ARGS__);                  \
	} while (0)
