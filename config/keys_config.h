// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The keys config: /etc/tld/keys.conf (or $TLD_CONFIG), read by libtldpreload.so and tldctl.
// docs/config.md describes the file for users; config/keys.conf is a commented sample.
//
//   [options]       registration, socket, pin_root, quiet, dyn_reserve, start
//   [key.NAME]      type = u8|u16|u32|u64|i32|i64|bool|bytes:N, default = VALUE (optional, else 0)
//   [rule.NAME]     exe = GLOB, thread = GLOB, start = GLOB (all given must match),
//                   set = key=value, key=value
//
// Rules apply in file order and a later rule wins over an earlier one for the keys both set.
// TLD_SET="key=value,..." applies after every rule. This library is built with -fno-exceptions:
// every error is a value naming file and line ("FILE:LINE: what is wrong").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/parse_error.h"
#include "config/values.h"

namespace tld::config {

// The configuration directory compiled in: /etc/tld for the /usr prefix, <prefix>/etc/tld for
// others (cmake/paths.cmake), so that the programs read the configs their install put there.
#ifndef TLD_CONFIG_DIR
#define TLD_CONFIG_DIR "/etc/tld"
#endif
inline constexpr const char *kDefaultKeysConfigPath = TLD_CONFIG_DIR "/keys.conf";
inline constexpr const char *kDefaultSocketPath = "/run/tld/tldd.sock";
inline constexpr const char *kDefaultPinRoot = "/sys/fs/bpf/tld";
// The longest UNIX socket path: sizeof(sockaddr_un::sun_path) less the terminating NUL.
inline constexpr std::size_t kMaxSocketPath = 107;

// Bytes of a thread's block the declared keys plus dyn_reserve may use: a page less 64 bytes.
inline constexpr unsigned kMaxBlockBytes = 4096 - 64;

enum class Registration {
	automatic, // through tldd; directly if the broker is unavailable and the map is accessible
	broker,    // through tldd only
	direct,    // bpf_map_update_elem on the pinned map only
};

// When the preload sets a process up (docs/config.md, "start").
enum class Start {
	at_exec,         // in its constructor: every process, every thread carries hints
	on_first_thread, // at the first pthread_create, rename or tld_* call: until then dormant
};

struct Options {
	Registration registration = Registration::automatic;
	std::string socket = kDefaultSocketPath;
	std::string pin_root = kDefaultPinRoot;
	bool quiet = false;        // silences the one warning the preload may print
	unsigned dyn_reserve = 64; // bytes per block kept for keys created at run time
	Start start = Start::at_exec;
};

struct KeySpec {
	std::string name; // 1..61 characters of [A-Za-z0-9_.-]
	KeyType type;
	std::vector<uint8_t> default_value; // type.size bytes
	unsigned packed_offset = 0; // where resolve_values() puts this key (not the block layout)
	int line = 0;               // of the [key.NAME] header
};

// One key=value of a rule or of TLD_SET, already encoded for its key.
struct Assignment {
	unsigned key = 0;           // index into KeysConfig::keys
	std::vector<uint8_t> value; // keys[key].type.size bytes
};

struct Rule {
	std::string name;
	// Empty pattern: not a condition. exe_is_path: the pattern has a '/' and is matched against
	// the whole /proc/self/exe target; otherwise against its basename.
	std::string exe;
	bool exe_is_path = false;
	std::string thread; // against the thread name (comm, at most 15 characters)
	std::string start;  // against the symbol name of the thread's start routine
	std::vector<Assignment> set;
	int line = 0; // of the [rule.NAME] header
};

struct KeysConfig {
	std::string file; // where it was read from, for messages
	Options options;
	std::vector<KeySpec> keys;         // in file order
	std::vector<Rule> rules;           // in file order
	std::vector<Assignment> overrides; // TLD_SET, from parse_tld_set()
	unsigned packed_size = 0;          // sum of key sizes: the buffer resolve_values() fills
	unsigned slot_bytes = 0;           // sum of key sizes each rounded up to 8
	bool uses_thread_names = false;    // some rule has thread =: re-resolve on rename
	bool uses_start_symbols = false;   // some rule has start =

	// Index of the key called @name, or -1.
	int find_key(std::string_view name) const;
};

// Parses keys.conf text. @file names it in errors. A config that declares no key is an error.
Result<KeysConfig> parse_keys_config(std::string_view text, std::string_view file);

// read_config_file() then parse_keys_config().
Result<KeysConfig> load_keys_config(const std::string &path);

// Parses TLD_SET's "key=value,key=value" against @config's keys, with the same value rules as the
// config file. Items apply left to right, so a later item for the same key wins. An error names
// "TLD_SET" as the file and the 1-based item as the line. Assign the result to config.overrides.
Result<std::vector<Assignment>> parse_tld_set(const KeysConfig &config, std::string_view text);

// What a thread is matched on. A null field is unknown and never matches a pattern.
struct ThreadFacts {
	const char *exe = nullptr;    // target of /proc/self/exe
	const char *thread = nullptr; // thread name (comm)
	const char *start = nullptr;  // symbol of the start routine (dladdr), if known
};

// Whether every condition @rule gives holds for @facts (fnmatch(3) globs with no flags, so '*'
// also matches '/'; a rule without conditions matches every thread).
bool rule_matches(const Rule &rule, const ThreadFacts &facts);

// Fills @out (at least config.packed_size bytes) with every key's value for one thread: key i at
// keys[i].packed_offset, keys[i].type.size bytes. Defaults first, then each matching rule in file
// order, then config.overrides. It allocates nothing itself and takes no lock, so the preload may
// call it as a new thread starts (glibc's fnmatch only uses the stack for names this short).
// Return: false (and @out untouched) if @out is too small.
bool resolve_values(const KeysConfig &config, const ThreadFacts &facts, std::span<uint8_t> out);

} // namespace tld::config
