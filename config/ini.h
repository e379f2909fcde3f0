// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The INI tokenizer behind both config files (keys.conf and tldd.conf).
//
// It reads the dialect of Boost.Program_options' config files, without Boost's exceptions, so the
// preload can use it. A line is one of:
//  - "[section]": every later name is prefixed "section." (IniEntry::key());
//  - "name = value": split at the first '=', both sides trimmed of blanks, the value may be empty;
//  - blank, or a comment: '#' starts a comment anywhere on a line, as in Boost, and a line whose
//    first non-blank character is ';' is a comment too (common INI usage).
// Where we are stricter than Boost, it is to give a clear error instead of a surprising key:
// a line starting with '[' must be a whole section header, section names are dot-separated
// non-empty words, option names hold no blanks or brackets, and NUL bytes are rejected.
// Blanks are space, tab and CR (as Boost trims), so CRLF files work; a UTF-8 BOM is skipped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/parse_error.h"

namespace tld::config {

struct IniEntry {
	enum class Kind { section, option };

	Kind kind = Kind::option;
	int line = 0;
	std::string section; // the enclosing section (for a section entry: its own name)
	std::string name;    // option name (empty for a section entry)
	std::string value;

	// The Boost-style option name: "section.name", or "name" outside any section.
	std::string key() const { return section.empty() ? name : section + "." + name; }
};

// Tokenizes a whole file. @file only names the source in errors. Stops at the first error.
Result<std::vector<IniEntry>> tokenize_ini(std::string_view text, std::string_view file);

// Largest config file read_config_file() accepts: a config is a few KiB, anything bigger is a
// mistake (or /dev/zero) and must not make the host program allocate without bound.
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;

// Reads a config file whole. Never blocks: a FIFO, device or socket is an error, as are a
// directory, a missing or unreadable file, and one larger than kMaxConfigFileBytes.
// Errors are file-level (line 0), e.g. "/etc/tld/keys.conf: is a directory".
Result<std::string> read_config_file(const std::string &path);

} // namespace tld::config
