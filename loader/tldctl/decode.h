// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// Key values as people and scripts read them: decoded by the type keys.conf declares for the
// key, and as raw hex when the key is not declared or its size disagrees with the declaration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/keys_config.h"
#include "progs/dump.h"

namespace tld::ctl {

struct Decoded {
	std::string type; // "u32", "bytes:16"; "" when the key is not declared (or disagrees)
	std::string text; // for tables: 120, -3, true, "worker", 0x00ff
	std::string json; // a JSON value: 120, true, "worker", "0x00ff", null (not in the block)
	std::string raw;  // the bytes as 0x hex, "" when the block does not hold them
	std::string note; // why the declared type was not used, "" when it was
};

// The declared type of @name if keys.conf declares it, else nullopt.
std::optional<config::KeyType> declared_type(const std::optional<config::KeysConfig> &keys,
                                             const std::string &name);

// Decodes @key's value in @t's block.
Decoded decode_value(const std::optional<config::KeysConfig> &keys, const ThreadData &t,
                     const KeySlot &key);

std::string to_hex(const uint8_t *p, size_t n);

// The type a `set` value is parsed with: the declared type, or bytes:SIZE for an undeclared
// key (so 0x hex of exactly its size, or a short string). Throws CliError(kExitFailure) when the
// declaration and the process disagree on the size.
config::KeyType type_for_set(const std::optional<config::KeysConfig> &keys, const KeySlot &key,
                             pid_t pid);

// Parses @text as a value of @type; throws CliError(kExitUsage) naming the key when it is not.
std::vector<uint8_t> encode_for_set(const config::KeyType &type, const std::string &key,
                                    const std::string &text);

} // namespace tld::ctl
