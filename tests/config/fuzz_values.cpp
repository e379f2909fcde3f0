// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// libFuzzer target: value parsing as TLD_SET and `set =` use it. The input is "TYPE VALUE": the
// type is parsed, the value encoded, printed back and encoded again to the same bytes; the whole
// input also goes through the set-list splitter.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/values.h"
#include "fuzz_check.h"

using namespace tld::config;
using tld::test::check;

namespace {

void check_set_list(std::string_view list)
{
	std::vector<SetItem> items;
	SetListError err;
	if (!split_set_list(list, items, err)) {
		check(err.item >= 1 && !err.error.reason.empty());
		return;
	}
	const char *begin = list.data(), *end = list.data() + list.size();
	for (const SetItem &item : items) {
		check(!item.key.empty()); // may hold a quoted ',': an unknown key, reported later
		check(item.text.data() >= begin && item.text.data() + item.text.size() <= end);
		check(item.key.data() >= item.text.data() &&
		      item.value.data() + item.value.size() <= item.text.data() + item.text.size());
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	std::string_view input(reinterpret_cast<const char *>(data), size);
	check_set_list(input);

	size_t space = input.find(' ');
	std::string_view type_text = input.substr(0, space);
	std::string_view value = space == std::string_view::npos ? "" : input.substr(space + 1);
	auto parsed = parse_key_type(type_text);
	if (!parsed) {
		check(!parsed.error().message().empty());
		return 0;
	}
	const KeyType type = *parsed;
	check(type.size >= 1 && type.size <= kMaxBytesKeySize);
	check(type.name() == type_text || type.kind == ValueKind::bytes);
	std::vector<uint8_t> bytes(type.size), again(type.size);
	if (auto r = encode_value(type, value, bytes.data()); !r) {
		check(!r.error().message().empty());
		return 0;
	}
	std::string text = format_value(type, bytes.data());
	check(encode_value(type, text, again.data()).ok());
	check(again == bytes);
	if (type.kind == ValueKind::boolean)
		check(bytes[0] <= 1);
	return 0;
}
