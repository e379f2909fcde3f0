// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Rule matching and value resolution for one thread (see keys_config.h). The preload runs this
// on every new thread and on every rename, so it allocates nothing and takes no lock.
#include "config/no_exceptions.h"

#include <cstring>
#include <fnmatch.h>

#include "config/keys_config.h"

namespace tld::config {

namespace {

bool glob_matches(const std::string &pattern, const char *text)
{
	if (pattern.empty())
		return true; // not a condition of this rule
	if (!text)
		return false; // unknown facts never match a condition
	// Flags 0: '*' also matches '/', so "/opt/app/*" covers everything under /opt/app.
	return fnmatch(pattern.c_str(), text, 0) == 0;
}

} // namespace

bool rule_matches(const Rule &rule, const ThreadFacts &facts)
{
	const char *exe = facts.exe;
	if (exe && !rule.exe_is_path) {
		const char *slash = std::strrchr(exe, '/');
		if (slash)
			exe = slash + 1;
	}
	return glob_matches(rule.exe, exe) && glob_matches(rule.thread, facts.thread) &&
	       glob_matches(rule.start, facts.start);
}

bool resolve_values(const KeysConfig &config, const ThreadFacts &facts, std::span<uint8_t> out)
{
	if (out.size() < config.packed_size)
		return false;
	auto put = [&](const Assignment &a) {
		const KeySpec &k = config.keys[a.key];
		std::memcpy(out.data() + k.packed_offset, a.value.data(), k.type.size);
	};
	for (const KeySpec &k : config.keys)
		std::memcpy(out.data() + k.packed_offset, k.default_value.data(), k.type.size);
	// File order, so a later matching rule overwrites what an earlier one set.
	for (const Rule &r : config.rules) {
		if (rule_matches(r, facts)) {
			for (const Assignment &a : r.set)
				put(a);
		}
	}
	for (const Assignment &a : config.overrides)
		put(a);
	return true;
}

} // namespace tld::config
