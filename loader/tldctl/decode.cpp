// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "decode.h"

#include "cli.h"
#include "json.h"

namespace tld::ctl {

std::string to_hex(const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	std::string s = "0x";
	for (size_t i = 0; i < n; i++) {
		s += hex[p[i] >> 4];
		s += hex[p[i] & 15];
	}
	return s;
}

std::optional<config::KeyType> declared_type(const std::optional<config::KeysConfig> &keys,
                                             const std::string &name)
{
	if (!keys)
		return std::nullopt;
	int i = keys->find_key(name);
	if (i < 0)
		return std::nullopt;
	return keys->keys[size_t(i)].type;
}

Decoded decode_value(const std::optional<config::KeysConfig> &keys, const ThreadData &t,
                     const KeySlot &key)
{
	Decoded d;
	const uint8_t *p = t.value(key);
	if (!p) {
		d.text = "?";
		d.json = "null";
		d.note = "not inside the thread's block";
		return d;
	}
	d.raw = to_hex(p, key.size);
	auto type = declared_type(keys, key.name);
	if (type && type->size != key.size) {
		d.note = "keys.conf declares " + type->name() + " (" + std::to_string(type->size) +
		         " bytes), the process has " + std::to_string(key.size) + " bytes";
		type.reset();
	}
	if (!type) {
		d.text = d.raw;
		d.json = json_quote(d.raw);
		return d;
	}
	d.type = type->name();
	d.text = config::format_value(*type, p);
	if (type->kind == config::ValueKind::bytes)
		d.json = json_quote(d.text.size() >= 2 && d.text.front() == '"'
		                            ? d.text.substr(1, d.text.size() - 2)
		                            : d.text);
	else
		d.json = d.text; // a decimal integer, true or false: already JSON
	return d;
}

config::KeyType type_for_set(const std::optional<config::KeysConfig> &keys, const KeySlot &key,
                             pid_t pid)
{
	auto type = declared_type(keys, key.name);
	if (!type) {
		config::KeyType bytes;
		bytes.kind = config::ValueKind::bytes;
		bytes.size = key.size;
		return bytes;
	}
	if (type->size != key.size)
		throw CliError(kExitFailure,
		               "key " + key.name + " is " + type->name() + " (" +
		                       std::to_string(type->size) + " bytes) in keys.conf but " +
		                       std::to_string(key.size) + " bytes in process " +
		                       std::to_string(pid) + "; not changing it");
	return *type;
}

std::vector<uint8_t> encode_for_set(const config::KeyType &type, const std::string &key,
                                    const std::string &text)
{
	std::vector<uint8_t> out(type.size);
	if (auto r = config::encode_value(type, text, out.data()); !r)
		throw CliError(kExitUsage, "bad value '" + text + "' for key " + key + " (" +
		                                   type.name() + "): " + r.error().message());
	return out;
}

} // namespace tld::ctl
