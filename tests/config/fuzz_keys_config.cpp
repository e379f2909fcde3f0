// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// libFuzzer target: keys.conf parsing, TLD_SET on top of it, and resolving values for a thread.
// Checks the limits a parsed config promises (key count, block size, value sizes) and that every
// error names the file and a line that exists.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <tld/abi.h>

#include "config/keys_config.h"
#include "fuzz_check.h"

using namespace tld::config;
using tld::test::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view text(reinterpret_cast<const char *>(data), size);
	auto r = parse_keys_config(text, "fuzz.conf");
	if (!r) {
		tld::test::check_error(r.error(), "fuzz.conf", 0, text);
		return 0;
	}
	KeysConfig &c = r.value();
	check(!c.keys.empty() && c.keys.size() <= TLD_MAX_KEYS);
	check(c.slot_bytes + c.options.dyn_reserve <= kMaxBlockBytes);
	unsigned packed = 0, slots = 0;
	for (const KeySpec &k : c.keys) {
		check(!k.name.empty() && k.name.size() < TLD_NAME_LEN);
		check(k.type.size >= 1 && k.default_value.size() == k.type.size);
		check(k.packed_offset == packed);
		packed += k.type.size;
		slots += TLD_ROUND_UP(k.type.size);
		// A default printed and read back is the same value (what tldctl would show).
		std::vector<uint8_t> again(k.type.size);
		check(encode_value(k.type, format_value(k.type, k.default_value.data()),
		                   again.data())
		              .ok());
		check(again == k.default_value);
	}
	check(packed == c.packed_size && slots == c.slot_bytes);
	for (const Rule &rule : c.rules) {
		check(!rule.set.empty());
		for (const Assignment &a : rule.set)
			check(a.key < c.keys.size() && a.value.size() == c.keys[a.key].type.size);
	}

	// The last line doubles as TLD_SET, and the rules' own patterns as thread facts.
	std::string_view last =
	        text.substr(text.rfind('\n') == std::string_view::npos ? 0 : text.rfind('\n') + 1);
	auto set = parse_tld_set(c, last);
	if (set) {
		c.overrides = std::move(set).value();
	} else {
		check(tld::test::error_line(set.error(), "TLD_SET") >= 1);
	}
	std::vector<uint8_t> out(c.packed_size + 1, 0xee);
	for (const Rule &rule : c.rules) {
		ThreadFacts facts{rule.exe.c_str(), rule.thread.c_str(), rule.start.c_str()};
		check(resolve_values(c, facts, {out.data(), c.packed_size}));
		check(out[c.packed_size] == 0xee);
	}
	check(resolve_values(c, ThreadFacts{}, out));
	return 0;
}
