// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The INI tokenizer (see ini.h for the dialect). Built with -fno-exceptions: errors are values.
#include "config/no_exceptions.h"

#include "config/ini.h"

#include "config/text.h"

namespace tld::config {

namespace {

// Section names are dot-separated words ("key.prio", "rule.python.workers"); an empty word would
// make IniEntry::key() ambiguous, and blanks or '=' are almost always a typo.
const char *section_name_problem(std::string_view name)
{
	if (name.empty())
		return "empty section name";
	if (name.front() == '.' || name.back() == '.' || name.find("..") != std::string_view::npos)
		return "empty part between dots in section name";
	for (char c : name) {
		if (is_blank(c))
			return "blank in section name";
		if (c == '[' || c == ']' || c == '=')
			return "'[', ']' or '=' in section name";
	}
	return nullptr;
}

const char *option_name_problem(std::string_view name)
{
	if (name.empty())
		return "missing option name before '='";
	for (char c : name) {
		if (is_blank(c))
			return "blank in option name";
		if (c == '[' || c == ']')
			return "'[' or ']' in option name";
	}
	return nullptr;
}

} // namespace

Result<std::vector<IniEntry>> tokenize_ini(std::string_view text, std::string_view file)
{
	std::vector<IniEntry> entries;
	std::string section;
	// A UTF-8 byte order mark is what some editors put first; it is not part of the first line.
	if (text.substr(0, 3) == "\xef\xbb\xbf")
		text.remove_prefix(3);

	int lineno = 0;
	while (!text.empty()) {
		size_t eol = text.find('\n');
		std::string_view line = text.substr(0, eol);
		text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
		lineno++;

		if (line.find('\0') != std::string_view::npos)
			return parse_error(file, lineno, "NUL byte in line");
		if (size_t hash = line.find('#'); hash != std::string_view::npos)
			line = line.substr(0, hash);
		line = trim(line);
		if (line.empty() || line.front() == ';')
			continue;

		if (line.front() == '[') {
			if (line.back() != ']')
				return parse_error(file, lineno,
				                   "unterminated section header " + quote(line));
			std::string_view name = trim(line.substr(1, line.size() - 2));
			if (const char *why = section_name_problem(name))
				return parse_error(file, lineno,
				                   std::string(why) + " " + quote(line));
			section.assign(name);
			IniEntry e;
			e.kind = IniEntry::Kind::section;
			e.line = lineno;
			e.section = section;
			entries.push_back(std::move(e));
			continue;
		}

		size_t eq = line.find('=');
		if (eq == std::string_view::npos)
			return parse_error(file, lineno,
			                   "expected 'name = value' or '[section]', not " +
			                           quote(line));
		std::string_view name = trim(line.substr(0, eq));
		if (const char *why = option_name_problem(name))
			return parse_error(file, lineno,
			                   name.empty() ? std::string(why)
			                                : std::string(why) + " " + quote(name));
		IniEntry e;
		e.kind = IniEntry::Kind::option;
		e.line = lineno;
		e.section = section;
		e.name.assign(name);
		e.value.assign(trim(line.substr(eq + 1)));
		entries.push_back(std::move(e));
	}
	return entries;
}

} // namespace tld::config
