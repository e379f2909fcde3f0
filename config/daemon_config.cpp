// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldd settings through Boost.Program_options (see daemon_config.h).
//
// Boost's own config-file parser stops at the first problem with an exception that carries no line
// number, so tldd.conf goes through our tokenizer and each line is stored on its own: an error
// then names FILE:LINE. The command line is stored first; Boost treats what it stored as final,
// so a setting given on both keeps the command-line value (the file's is still validated).
#include "config/daemon_config.h"

#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <grp.h>
#include <map>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <vector>

#include "config/ini.h"
#include "config/text.h"

namespace po = boost::program_options;

namespace tld::config {

namespace {

// Value types with our own validation and messages. Boost finds validate() by argument-dependent
// lookup on the type, and reports what it throws with the option's name in front.
struct Count {
	unsigned v;
};
template <unsigned Min, unsigned Max> struct Bounded : Count {};
struct ByteSize {
	uint64_t v;
};
struct OctalMode {
	unsigned v;
};
struct AbsPath {
	std::string v;
};
struct SocketPath : AbsPath {};
struct Group {
	std::string v; // empty: none
};
struct Level {
	LogLevel v;
};

constexpr uint64_t kMinMemfd = 2 * 4096; // a meta page and one data page
constexpr uint64_t kMaxMemfd = 1ull << 30;

class BadValue : public po::error_with_option_name {
public:
	explicit BadValue(const std::string &why)
	    : po::error_with_option_name("%canonical_option%: " + why)
	{}
};

const std::string &single(const std::vector<std::string> &tokens)
{
	return po::validators::get_single_string(tokens);
}

bool parse_decimal(std::string_view s, uint64_t &out)
{
	if (s.empty() || s.size() > 19)
		return false;
	out = 0;
	for (char c : s) {
		if (c < '0' || c > '9')
			return false;
		out = out * 10 + static_cast<unsigned>(c - '0');
	}
	return true;
}

template <unsigned Min, unsigned Max>
void validate(boost::any &store, const std::vector<std::string> &tokens, Bounded<Min, Max> *, int)
{
	po::validators::check_first_occurrence(store);
	const std::string &s = single(tokens);
	uint64_t v;
	if (!parse_decimal(s, v))
		throw BadValue(quote(s) + " is not a number");
	if (v < Min || v > Max)
		throw BadValue(quote(s) + " is out of range (" + std::to_string(Min) + ".." +
		               std::to_string(Max) + ")");
	store = Bounded<Min, Max>{{static_cast<unsigned>(v)}};
}

void validate(boost::any &store, const std::vector<std::string> &tokens, ByteSize *, int)
{
	po::validators::check_first_occurrence(store);
	const std::string &s = single(tokens);
	std::string_view digits = s;
	size_t end = digits.find_first_not_of("0123456789");
	std::string_view suffix = end == std::string_view::npos ? "" : digits.substr(end);
	digits = digits.substr(0, end);
	unsigned shift;
	if (suffix.empty())
		shift = 0;
	else if (suffix == "K" || suffix == "KiB")
		shift = 10;
	else if (suffix == "M" || suffix == "MiB")
		shift = 20;
	else if (suffix == "G" || suffix == "GiB")
		shift = 30;
	else
		throw BadValue(quote(s) + " is not a size (bytes, or a number with K, M or G)");
	uint64_t v;
	if (!parse_decimal(digits, v))
		throw BadValue(quote(s) + " is not a size (bytes, or a number with K, M or G)");
	if (v > (kMaxMemfd >> shift) || (v << shift) < kMinMemfd)
		throw BadValue(quote(s) + " is out of range (8K..1G)");
	store = ByteSize{v << shift};
}

void validate(boost::any &store, const std::vector<std::string> &tokens, OctalMode *, int)
{
	po::validators::check_first_occurrence(store);
	const std::string &s = single(tokens);
	if (s.empty() || s.size() > 4 || s.find_first_not_of("01234567") != std::string::npos)
		throw BadValue(quote(s) + " is not an octal mode like 0660");
	unsigned v = 0;
	for (char c : s)
		v = v * 8 + static_cast<unsigned>(c - '0');
	if (v > 0777)
		throw BadValue(quote(s) + ": a socket mode is at most 0777");
	store = OctalMode{v};
}

void validate(boost::any &store, const std::vector<std::string> &tokens, AbsPath *, int)
{
	po::validators::check_first_occurrence(store);
	const std::string &s = single(tokens);
	if (s.empty() || s[0] != '/')
		throw BadValue(quote(s) + " is not an absolute path");
	store = AbsPath{s};
}

void validate(boost::any &store, const std::vector<std::string> &tokens, SocketPath *, int)
{
	po::validators::check_first_occurrence(store);
	const std::string &s = single(tokens);
	if (s.empty() || s[0] != '/')
		throw BadValue(quote(s) + " is not an absolute path");
	if (s.size() > kMaxSocketPath)
		throw BadValue("the path is " + std::to_string(s.size()) +
		               " bytes, a UNIX socket path holds at most " +
		               std::to_string(kMaxSocketPath));
	store = SocketPath{{s}};
}

void validate(boost::any &store, const std::vector<std::string> &tokens, Group *, int)
{
	po::validators::check_first_occurrence(store);
	const std::string &s = single(tokens);
	if (s.empty() || s == "none") {
		store = Group{};
		return;
	}
	// POSIX portable names plus what useradd accepts; a number is a gid.
	bool ok = s.size() <= 32 && s[0] != '-';
	for (char c : s) {
		ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-');
	}
	if (!ok)
		throw BadValue(quote(s) + " is not a group name or number (or none)");
	store = Group{s};
}

void validate(boost::any &store, const std::vector<std::string> &tokens, Level *, int)
{
	po::validators::check_first_occurrence(store);
	const std::string &s = single(tokens);
	// notice is no setting: a level that hides it shows nothing of tldd's start either.
	for (auto l : {LogLevel::error, LogLevel::warn, LogLevel::info, LogLevel::debug}) {
		if (s == log_level_name(l)) {
			store = Level{l};
			return;
		}
	}
	throw BadValue(quote(s) + " is not error, warn, info or debug");
}

using ThreadLimit = Bounded<1, 1u << 20>;
using ClientLimit = Bounded<1, 1u << 20>;
using DelayMs = Bounded<0, 1000>;
using ControlRate = Bounded<1, 10000>;

struct Descriptions {
	po::options_description command_line{"Command line only"};
	po::options_description settings{
	        "Settings (command line, or NAME = VALUE in the config file)"};
	po::options_description all;

	Descriptions()
	{
		const DaemonConfig d;
		// One option per paragraph reads better than the formatter's call chains.
		// clang-format off
		command_line.add_options()
			("help,h", "print this help and exit")
			("config,c", po::value<std::string>()->value_name("FILE"),
			 "settings file (default " TLD_CONFIG_DIR "/tldd.conf, which may be absent)");
		settings.add_options()
			("pin-root",
			 po::value<AbsPath>()->value_name("DIR")
				->default_value(AbsPath{d.pin_root}, d.pin_root),
			 "bpffs directory for the pinned maps (mounted if it is not a bpffs)")
			("socket",
			 po::value<SocketPath>()->value_name("PATH")
				->default_value(SocketPath{{d.socket}}, d.socket),
			 "the broker's UNIX socket")
			("socket-mode",
			 po::value<OctalMode>()->value_name("MODE")
				->default_value(OctalMode{d.socket_mode}, "0666"),
			 "permission bits of the socket (octal)")
			("socket-group",
			 po::value<Group>()->value_name("GROUP")->default_value(Group{}, "none"),
			 "group owning the socket, a name or gid (none: tldd's own group)")
			("direct-group",
			 po::value<Group>()->value_name("GROUP")->default_value(Group{}, "none"),
			 "group trusted to open the pinned map and register threads directly")
			("max-threads-per-client",
			 po::value<ThreadLimit>()->value_name("N")
				->default_value(ThreadLimit{{d.limits.max_threads_per_client}},
				               std::to_string(d.limits.max_threads_per_client)),
			 "registrations one client may hold")
			("max-memfd-bytes",
			 po::value<ByteSize>()->value_name("SIZE")
				->default_value(ByteSize{d.limits.max_memfd_bytes}, "16M"),
			 "largest memfd a client may hand over (bytes, or with K, M, G)")
			("max-clients",
			 po::value<ClientLimit>()->value_name("N")
				->default_value(ClientLimit{{d.limits.max_clients}},
				               std::to_string(d.limits.max_clients)),
			 "clients connected at once")
			("registration-delay-ms",
			 po::value<DelayMs>()->value_name("MS")
				->default_value(DelayMs{{d.limits.registration_delay_ms}},
				               std::to_string(d.limits.registration_delay_ms)),
			 "how long tldd waits before registering the threads a client announces on\n"
			 "its board (0 to 1000); threads that exit sooner are never registered")
			("control-rate",
			 po::value<ControlRate>()->value_name("N")
				->default_value(ControlRate{{d.limits.control_rate}},
				               std::to_string(d.limits.control_rate)),
			 "tldctl requests (list, get, set, status through tldd) a second for each\n"
			 "user but root, in bursts of as many (1 to 10000); more are refused (EBUSY)")
			("log-level",
			 po::value<Level>()->value_name("LEVEL")->default_value(Level{d.log_level}, "info"),
			 "error, warn, info or debug")
			("keys-config",
			 po::value<AbsPath>()->value_name("FILE")
				->default_value(AbsPath{d.keys_config}, d.keys_config),
			 "the keys config (key declarations and rules)");
		// clang-format on
		all.add(command_line).add(settings);
	}
};

// Command-line style without abbreviations: "--pin" is an error, not a guess at --pin-root.
constexpr int kStyle = po::command_line_style::unix_style ^ po::command_line_style::allow_guessing;

DaemonConfig copy_out(const po::variables_map &vm)
{
	DaemonConfig c;
	c.pin_root = vm["pin-root"].as<AbsPath>().v;
	c.socket = vm["socket"].as<SocketPath>().v;
	c.socket_mode = vm["socket-mode"].as<OctalMode>().v;
	c.socket_group = vm["socket-group"].as<Group>().v;
	c.direct_group = vm["direct-group"].as<Group>().v;
	c.limits.max_threads_per_client = vm["max-threads-per-client"].as<ThreadLimit>().v;
	c.limits.max_memfd_bytes = vm["max-memfd-bytes"].as<ByteSize>().v;
	c.limits.max_clients = vm["max-clients"].as<ClientLimit>().v;
	c.limits.registration_delay_ms = vm["registration-delay-ms"].as<DelayMs>().v;
	c.limits.control_rate = vm["control-rate"].as<ControlRate>().v;
	c.log_level = vm["log-level"].as<Level>().v;
	c.keys_config = vm["keys-config"].as<AbsPath>().v;
	return c;
}

// Stores the file's settings one line at a time, so each error has its line.
Result<void> store_file(const Descriptions &d, const std::string &file,
                        const std::vector<IniEntry> &entries, po::variables_map &vm)
{
	std::map<std::string, int> seen;
	for (const IniEntry &e : entries) {
		if (e.kind != IniEntry::Kind::option)
			continue; // a section only prefixes names; an unknown prefixed name fails
			          // below
		std::string key = e.key();
		auto err = [&](std::string message) {
			return parse_error(file, e.line, std::move(message));
		};
		if (d.command_line.find_nothrow(key, false))
			return err(quote(key) + " is only valid on the command line");
		if (!d.settings.find_nothrow(key, false))
			return err("unknown setting " + quote(key));
		auto [it, fresh] = seen.emplace(key, e.line);
		if (!fresh)
			return err(quote(key) + " given twice (first at line " +
			           std::to_string(it->second) + ")");
		po::parsed_options one(&d.settings);
		po::option opt(key, {e.value});
		opt.original_tokens = {key, e.value};
		one.options.push_back(std::move(opt));
		try {
			// Validate even when the command line overrides it: a bad file is reported.
			po::variables_map scratch;
			po::store(one, scratch);
			po::store(one, vm);
		} catch (const po::error &ex) {
			return err(ex.what());
		}
	}
	return {};
}

} // namespace

const char *log_level_name(LogLevel level)
{
	switch (level) {
	case LogLevel::error:
		return "error";
	case LogLevel::warn:
		return "warn";
	case LogLevel::notice:
		return "notice";
	case LogLevel::info:
		return "info";
	case LogLevel::debug:
		return "debug";
	}
	return "?";
}

Result<DaemonConfig> parse_daemon_config(int argc, const char *const *argv,
                                         const std::string &default_config)
{
	std::string file = default_config;
	try {
		Descriptions d;
		po::variables_map vm;
		try {
			auto parsed = po::command_line_parser(argc, argv)
			                      .options(d.all)
			                      .style(kStyle)
			                      .run();
			// Boost hands back arguments that are not options, and store() skips them.
			for (const po::option &o : parsed.options) {
				if (o.string_key.empty())
					return parse_error(
					        "command line", 0,
					        "unexpected argument " +
					                quote(o.original_tokens.empty()
					                              ? ""
					                              : o.original_tokens[0]));
			}
			po::store(parsed, vm);
		} catch (const po::error &e) {
			return parse_error("command line", 0, e.what());
		}
		if (vm.count("help")) {
			DaemonConfig c;
			c.help = true;
			return c;
		}
		bool named = vm.count("config") != 0;
		if (named)
			file = vm["config"].as<std::string>();
		struct stat st;
		bool absent = !named && stat(file.c_str(), &st) != 0 && errno == ENOENT;
		if (!absent) {
			auto text = read_config_file(file);
			if (!text)
				return text.error();
			auto entries = tokenize_ini(text.value(), file);
			if (!entries)
				return entries.error();
			if (auto stored = store_file(d, file, entries.value(), vm); !stored)
				return std::move(stored).error();
		}
		po::notify(vm);
		DaemonConfig c = copy_out(vm);
		if (!absent)
			c.config_file = file;
		return c;
	} catch (const std::exception &e) {
		// Nothing above should get here; if Boost finds another way to fail, it is still a
		// value.
		return parse_error(file, 0, e.what());
	}
}

std::string daemon_help(std::string_view program)
{
	Descriptions d;
	std::ostringstream out;
	out << "Usage: " << program << " [OPTION]...\n"
	    << "tldd pins the task-local-data maps and registers threads for unprivileged "
	       "processes.\n"
	    << "Settings come from the command line, then the config file; the command line "
	       "wins.\n\n"
	    << d.all;
	return out.str();
}

Result<gid_t> resolve_group(const std::string &group)
{
	uint64_t n;
	if (parse_decimal(group, n)) {
		if (n >= static_cast<gid_t>(-1))
			return Error{EINVAL, "", "group " + quote(group) + " is not a valid gid"};
		return static_cast<gid_t>(n);
	}
	std::vector<char> buf(16384);
	struct group gr, *found = nullptr;
	int rc;
	while ((rc = getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found)) == ERANGE &&
	       buf.size() < (1u << 20))
		buf.resize(buf.size() * 2);
	if (rc != 0)
		return Error{rc, "no group " + quote(group)};
	if (!found)
		return Error{ENOENT, "", "no group " + quote(group)};
	return found->gr_gid;
}

} // namespace tld::config
