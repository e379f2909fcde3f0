// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// libFuzzer target: the INI tokenizer. Besides not crashing, it checks that errors carry a real
// line, that entries are trimmed and in order, and that re-writing the entries as INI and
// tokenizing again gives the same entries.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/ini.h"
#include "fuzz_check.h"

using namespace tld::config;
using tld::test::check;

namespace {

bool trimmed(const std::string &s)
{
	auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
	return s.empty() || (!blank(s.front()) && !blank(s.back()));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	int lines = tld::test::line_count(text);

	auto r = tokenize_ini(text, "fuzz.ini");
	if (!r) {
		tld::test::check_error(r.error(), "fuzz.ini", 1, text);
		check(r.error().reason.size() < 256); // the echo of a bad line is cut
		return 0;
	}
	const auto &entries = r.value();
	int last = 0;
	// Starts with a blank line: a name that begins with a BOM must not become the file's BOM.
	std::string again = "\n";
	for (const IniEntry &e : entries) {
		check(e.line > last && e.line <= lines);
		last = e.line;
		check(trimmed(e.section) && trimmed(e.name) && trimmed(e.value));
		check(e.value.find('#') == std::string::npos);
		check(e.value.find('\n') == std::string::npos);
		if (e.kind == IniEntry::Kind::section) {
			check(!e.section.empty() && e.name.empty());
			again += "[" + e.section + "]\n";
		} else {
			check(!e.name.empty());
			check(e.name.find_first_of(" \t[]=") == std::string::npos);
			again += e.name + " = " + e.value + "\n";
		}
	}
	auto r2 = tokenize_ini(again, "again.ini");
	check(r2.ok());
	check(r2.value().size() == entries.size());
	for (size_t i = 0; i < entries.size(); i++) {
		const IniEntry &a = entries[i], &b = r2.value()[i];
		check(a.kind == b.kind && a.section == b.section && a.name == b.name &&
		      a.value == b.value && a.key() == b.key());
	}
	return 0;
}
