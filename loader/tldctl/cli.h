// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// What every tldctl subcommand shares: the global options, the keys config, exit codes, and
// parsing a subcommand's own options with Boost.Program_options (each has --help).
#pragma once

#include <boost/program_options.hpp>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "config/keys_config.h"
#include "sys/result.h"

namespace tld::ctl {

namespace po = boost::program_options;

// Exit codes, documented in `tldctl --help` and docs/consumer-guide.md.
enum Exit : int {
	kExitOk = 0,
	kExitFailure = 1,    // the target, key, map or tldd is not as required
	kExitUsage = 2,      // bad command line or malformed value
	kExitPermission = 3, // the caller may not do this to that process
};

// A fatal error for the user: thrown once by a subcommand, printed by main() as
// "tldctl: " and the error's message, which then exits with @exit. Only tldctl's main() sees
// it: the code it shares with tldd returns Result.
class CliError : public std::exception {
public:
	CliError(int exit, Error error)
	    : exit_(exit), error_(std::move(error)), text_(error_.message())
	{}
	// A sentence of tldctl's own, with no system call's errno behind it: EPERM when it is
	// about permission, else EINVAL.
	CliError(int exit, std::string sentence)
	    : CliError(exit,
	               Error{exit == kExitPermission ? EPERM : EINVAL, "", std::move(sentence)})
	{}
	int code() const { return exit_; }
	const Error &error() const { return error_; }
	const char *what() const noexcept override { return text_.c_str(); }

private:
	int exit_;
	Error error_;
	std::string text_; // error_.message(), kept for what()
};

// Thrown after a subcommand printed its --help: main() exits 0.
struct HelpShown {};

struct Context {
	// Global options (before or after the subcommand).
	std::string config_path; // keys.conf
	bool config_given = false;
	std::string pin_root;
	std::string socket;
	bool json = false;
	bool verbose = false;

	// keys.conf, if one could be read. keys_note says why not, when it matters.
	std::optional<config::KeysConfig> keys;
	std::string keys_note;
};

// Boost's default style, without guessing abbreviations: "--comm" must not mean "--command".
inline constexpr int kOptionStyle =
        po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

// The global options every subcommand accepts.
po::options_description global_options();

// Fills @ctx from the parsed global options and loads keys.conf (the default path silently
// only if it exists; a broken or missing --config is a CliError).
void setup_context(Context &ctx, const po::variables_map &vm);

// Parses a subcommand's arguments against @opts and @pos. Prints its help and throws HelpShown
// on --help; throws CliError(kExitUsage) on bad usage.
po::variables_map parse_subcommand(const std::string &usage, const std::string &about,
                                   po::options_description opts,
                                   const po::positional_options_description &pos,
                                   const std::vector<std::string> &args);

// "tldctl: needs root": loading BPF programs and opening the pinned map need root.
void require_root(const char *what);

// The error opening the pinned map with errno @err, naming the pin root.
Error map_open_error(const Context &ctx, int err);

} // namespace tld::ctl
