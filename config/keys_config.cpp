// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// keys.conf: INI entries -> KeysConfig (see keys_config.h). Built with -fno-exceptions.
//
// Each section is checked when it ends, so errors come out in file order; only a rule's `set`
// waits for the end of the file, because it may name keys declared further down.
#include "config/no_exceptions.h"

#include "config/keys_config.h"

#include <tld/abi.h>

#include "config/ini.h"
#include "config/text.h"

namespace tld::config {

namespace {

// The kernel keeps 15 characters of a thread name (TASK_COMM_LEN 16 with the NUL).
constexpr size_t kMaxThreadName = 15;

struct Raw {
	std::string value;
	int line = 0; // 0: not given
};

struct PendingKey {
	std::string name;
	int line = 0;
	Raw type, def;
};

struct PendingRule {
	std::string name;
	int line = 0;
	Raw exe, thread, start, set;
};

enum class SectionKind { none, options, key, rule };

class Parser {
public:
	explicit Parser(std::string_view file) { cfg_.file.assign(file); }

	bool run(const std::vector<IniEntry> &entries);
	Error &&error() { return std::move(err_); }
	KeysConfig &&config() { return std::move(cfg_); }

private:
	bool fail(int line, std::string message)
	{
		err_ = parse_error(cfg_.file, line, std::move(message));
		return false;
	}

	bool begin_section(const IniEntry &e);
	bool end_section();
	bool option(const IniEntry &e);
	bool set_raw(Raw &raw, const IniEntry &e, const std::string &where);
	bool options_entry(const IniEntry &e);
	bool finish_key();
	bool finish_rule();
	bool resolve_rule_sets();
	bool check_reserve();

	KeysConfig cfg_;
	Error err_;
	SectionKind kind_ = SectionKind::none;
	std::string section_;
	PendingKey key_;
	PendingRule rule_;
	std::vector<PendingRule> rules_;
	std::vector<int> options_seen_; // line each [options] setting was given at
	int reserve_line_ = 0;
};

bool valid_name(std::string_view name)
{
	if (name.empty() || name.size() > TLD_NAME_LEN - 1)
		return false;
	for (char c : name) {
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

std::string name_rule(const char *what)
{
	return std::string(what) + " names are 1.." + std::to_string(TLD_NAME_LEN - 1) +
	       " characters of A-Z a-z 0-9 _ . -";
}

bool has_glob_chars(std::string_view s)
{
	return s.find_first_of("*?[\\") != std::string_view::npos;
}

unsigned round_slot(unsigned size)
{
	return TLD_ROUND_UP(size);
}

// Parses a decimal count of at most @max (an option, not a key value).
Result<unsigned> parse_count(std::string_view text, unsigned max)
{
	uint64_t v = 0;
	bool digits = !text.empty();
	for (char c : text) {
		digits = digits && c >= '0' && c <= '9';
		if (digits && v <= max)
			v = v * 10 + static_cast<unsigned>(c - '0');
	}
	if (!digits)
		return Error{EINVAL, "", quote(text) + " is not a number"};
	if (v > max)
		return Error{ERANGE, "",
		             quote(text) + " is out of range (0.." + std::to_string(max) + ")"};
	return static_cast<unsigned>(v);
}

bool Parser::begin_section(const IniEntry &e)
{
	const std::string &s = e.section;
	section_ = s;
	if (s == "options") {
		kind_ = SectionKind::options;
		return true;
	}
	if (s == "key" || s == "rule")
		return fail(e.line, "section [" + s + "] needs a name: [" + s + ".NAME]");
	bool is_key = s.compare(0, 4, "key.") == 0;
	bool is_rule = s.compare(0, 5, "rule.") == 0;
	if (!is_key && !is_rule)
		return fail(e.line, "unknown section [" + s +
		                            "]: expected [options], [key.NAME] or [rule.NAME]");
	std::string name = s.substr(is_key ? 4 : 5);
	if (!valid_name(name))
		return fail(e.line, "bad " + std::string(is_key ? "key" : "rule") + " name " +
		                            quote(name) + ": " +
		                            name_rule(is_key ? "key" : "rule"));
	if (is_key) {
		if (int i = cfg_.find_key(name); i >= 0)
			return fail(e.line, "duplicate key '" + name +
			                            "' (first declared at line " +
			                            std::to_string(cfg_.keys[i].line) + ")");
		if (cfg_.keys.size() >= TLD_MAX_KEYS)
			return fail(e.line, "too many keys: at most " +
			                            std::to_string(TLD_MAX_KEYS) +
			                            " (TLD_MAX_KEYS)");
		kind_ = SectionKind::key;
		key_ = PendingKey{name, e.line, {}, {}};
		return true;
	}
	for (const auto &r : rules_) {
		if (r.name == name)
			return fail(e.line, "duplicate rule '" + name +
			                            "' (first declared at line " +
			                            std::to_string(r.line) + ")");
	}
	kind_ = SectionKind::rule;
	rule_ = PendingRule{};
	rule_.name = name;
	rule_.line = e.line;
	return true;
}

bool Parser::end_section()
{
	switch (kind_) {
	case SectionKind::key:
		return finish_key();
	case SectionKind::rule:
		return finish_rule();
	default:
		return true;
	}
}

bool Parser::set_raw(Raw &raw, const IniEntry &e, const std::string &where)
{
	if (raw.line)
		return fail(e.line, "'" + e.name + "' given twice in " + where +
		                            " (first at line " + std::to_string(raw.line) + ")");
	raw = Raw{e.value, e.line};
	return true;
}

bool Parser::option(const IniEntry &e)
{
	std::string where = "[" + section_ + "]";
	switch (kind_) {
	case SectionKind::none:
		return fail(e.line, quote(e.name) +
		                            " is outside a section: put it under [options], "
		                            "[key.NAME] or [rule.NAME]");
	case SectionKind::options:
		return options_entry(e);
	case SectionKind::key:
		if (e.name == "type")
			return set_raw(key_.type, e, where);
		if (e.name == "default")
			return set_raw(key_.def, e, where);
		return fail(e.line, "unknown option " + quote(e.name) + " in " + where +
		                            ": expected type or default");
	case SectionKind::rule:
		if (e.name == "exe")
			return set_raw(rule_.exe, e, where);
		if (e.name == "thread")
			return set_raw(rule_.thread, e, where);
		if (e.name == "start")
			return set_raw(rule_.start, e, where);
		if (e.name == "set")
			return set_raw(rule_.set, e, where);
		return fail(e.line, "unknown option " + quote(e.name) + " in " + where +
		                            ": expected exe, thread, start or set");
	}
	return true;
}

// [options] settings are applied as they come; any number of [options] sections may hold them,
// but each setting only once.
bool Parser::options_entry(const IniEntry &e)
{
	enum Setting { registration, socket, pin_root, quiet, dyn_reserve, start, count };
	static constexpr const char *kNames[count] = {"registration", "socket",      "pin_root",
	                                              "quiet",        "dyn_reserve", "start"};
	int which = 0;
	while (which < count && e.name != kNames[which])
		which++;
	if (which == count)
		return fail(e.line,
		            "unknown option " + quote(e.name) +
		                    " in [options]: expected registration, socket, pin_root, "
		                    "quiet, dyn_reserve or start");
	options_seen_.resize(count);
	if (options_seen_[which])
		return fail(e.line, "'" + e.name + "' given twice in [options] (first at line " +
		                            std::to_string(options_seen_[which]) + ")");
	options_seen_[which] = e.line;

	Options &o = cfg_.options;
	const std::string &v = e.value;
	switch (which) {
	case registration:
		if (v == "auto")
			o.registration = Registration::automatic;
		else if (v == "broker")
			o.registration = Registration::broker;
		else if (v == "direct")
			o.registration = Registration::direct;
		else
			return fail(e.line,
			            "registration: " + quote(v) + " is not auto, broker or direct");
		return true;
	case socket:
	case pin_root:
		if (v.empty() || v[0] != '/')
			return fail(e.line, e.name + ": " + quote(v) + " is not an absolute path");
		if (which == socket && v.size() > kMaxSocketPath)
			return fail(e.line, "socket: the path is " + std::to_string(v.size()) +
			                            " bytes, a UNIX socket path holds at most " +
			                            std::to_string(kMaxSocketPath));
		(which == socket ? o.socket : o.pin_root) = v;
		return true;
	case quiet: {
		uint8_t b;
		if (auto r = encode_value(KeyType{ValueKind::boolean, 1}, v, &b); !r)
			return fail(e.line, "quiet: " + r.error().message());
		o.quiet = b != 0;
		return true;
	}
	case start:
		if (v == "at_exec")
			o.start = Start::at_exec;
		else if (v == "on_first_thread")
			o.start = Start::on_first_thread;
		else
			return fail(e.line,
			            "start: " + quote(v) + " is not at_exec or on_first_thread");
		return true;
	default: {
		auto reserve = parse_count(v, kMaxBlockBytes);
		if (!reserve)
			return fail(e.line, "dyn_reserve: " + reserve.error().message());
		o.dyn_reserve = *reserve;
		reserve_line_ = e.line;
		return true;
	}
	}
}

bool Parser::finish_key()
{
	std::string ctx = "key '" + key_.name + "': ";
	if (!key_.type.line)
		return fail(key_.line,
		            ctx + "no type (add type = u8|u16|u32|u64|i32|i64|bool|bytes:N)");
	KeySpec k;
	k.name = key_.name;
	k.line = key_.line;
	auto type = parse_key_type(key_.type.value);
	if (!type)
		return fail(key_.type.line, ctx + type.error().message());
	k.type = *type;
	k.default_value.assign(k.type.size, 0);
	if (key_.def.line) {
		if (auto r = encode_value(k.type, key_.def.value, k.default_value.data()); !r)
			return fail(key_.def.line, ctx + "default: " + r.error().message());
	}

	unsigned slots = cfg_.slot_bytes + round_slot(k.type.size);
	if (slots > kMaxBlockBytes)
		return fail(key_.type.line,
		            ctx + k.type.name() + " does not fit: the keys so far need " +
		                    std::to_string(slots) + " bytes, a block holds " +
		                    std::to_string(kMaxBlockBytes));
	cfg_.slot_bytes = slots;
	k.packed_offset = cfg_.packed_size;
	cfg_.packed_size += k.type.size;
	cfg_.keys.push_back(std::move(k));
	return true;
}

bool Parser::finish_rule()
{
	std::string ctx = "rule '" + rule_.name + "': ";
	struct {
		const char *name;
		const Raw &raw;
	} given[] = {{"exe", rule_.exe},
	             {"thread", rule_.thread},
	             {"start", rule_.start},
	             {"set", rule_.set}};
	for (const auto &g : given) {
		if (g.raw.line && g.raw.value.empty())
			return fail(g.raw.line, ctx + g.name + " is empty");
	}
	if (!rule_.set.line)
		return fail(rule_.line, ctx + "sets nothing (add set = key=value, ...)");
	const std::string &exe = rule_.exe.value;
	if (exe.find('/') != std::string::npos && exe[0] != '/')
		return fail(rule_.exe.line,
		            ctx + "exe " + quote(exe) +
		                    " must be an absolute path or a name without '/'");
	const std::string &thread = rule_.thread.value;
	if (!has_glob_chars(thread) && thread.size() > kMaxThreadName)
		return fail(rule_.thread.line, ctx + "thread " + quote(thread) +
		                                       " is longer than the " +
		                                       std::to_string(kMaxThreadName) +
		                                       " characters the kernel keeps of a thread "
		                                       "name, so it never matches");
	rules_.push_back(std::move(rule_));
	return true;
}

// Encodes a `set =` list or TLD_SET against the declared keys.
bool encode_set_list(const KeysConfig &cfg, std::string_view list, std::vector<Assignment> &out,
                     SetListError &err)
{
	std::vector<SetItem> items;
	if (!split_set_list(list, items, err))
		return false;
	out.clear();
	for (size_t i = 0; i < items.size(); i++) {
		const SetItem &item = items[i];
		int k = cfg.find_key(item.key);
		if (k < 0) {
			err = SetListError{i + 1,
			                   Error{EINVAL, {}, "unknown key " + quote(item.key)}};
			return false;
		}
		Assignment a;
		a.key = static_cast<unsigned>(k);
		a.value.resize(cfg.keys[k].type.size);
		if (auto r = encode_value(cfg.keys[k].type, item.value, a.value.data()); !r) {
			err = SetListError{i + 1, std::move(r).error().within(item.key)};
			return false;
		}
		out.push_back(std::move(a));
	}
	return true;
}

bool Parser::resolve_rule_sets()
{
	for (auto &p : rules_) {
		Rule r;
		r.name = p.name;
		r.line = p.line;
		r.exe = p.exe.value;
		r.exe_is_path = r.exe.find('/') != std::string::npos;
		r.thread = p.thread.value;
		r.start = p.start.value;
		SetListError err;
		if (!encode_set_list(cfg_, p.set.value, r.set, err))
			return fail(p.set.line, "rule '" + p.name + "': set item " +
			                                std::to_string(err.item) + ": " +
			                                err.error.message());
		if (r.set.empty())
			return fail(p.set.line, "rule '" + p.name + "': sets nothing");
		cfg_.uses_thread_names |= !r.thread.empty();
		cfg_.uses_start_symbols |= !r.start.empty();
		cfg_.rules.push_back(std::move(r));
	}
	return true;
}

bool Parser::check_reserve()
{
	unsigned reserve = cfg_.options.dyn_reserve;
	if (cfg_.slot_bytes + reserve <= kMaxBlockBytes)
		return true;
	int line = reserve_line_ ? reserve_line_ : cfg_.keys.back().line;
	return fail(line,
	            "the keys need " + std::to_string(cfg_.slot_bytes) +
	                    " bytes and dyn_reserve is " + std::to_string(reserve) +
	                    (reserve_line_ ? "" : " (the default)") + ": together more than the " +
	                    std::to_string(kMaxBlockBytes) +
	                    " bytes of a block; lower [options] dyn_reserve or the key sizes");
}

bool Parser::run(const std::vector<IniEntry> &entries)
{
	for (const IniEntry &e : entries) {
		if (e.kind == IniEntry::Kind::section) {
			if (!end_section() || !begin_section(e))
				return false;
		} else if (!option(e)) {
			return false;
		}
	}
	if (!end_section())
		return false;
	if (cfg_.keys.empty())
		return fail(0, "no keys declared (add a [key.NAME] section with a type)");
	return check_reserve() && resolve_rule_sets();
}

} // namespace

int KeysConfig::find_key(std::string_view name) const
{
	for (size_t i = 0; i < keys.size(); i++) {
		if (keys[i].name == name)
			return static_cast<int>(i);
	}
	return -1;
}

Result<KeysConfig> parse_keys_config(std::string_view text, std::string_view file)
{
	auto entries = tokenize_ini(text, file);
	if (!entries)
		return entries.error();
	Parser p(file);
	if (!p.run(entries.value()))
		return p.error();
	return p.config();
}

Result<KeysConfig> load_keys_config(const std::string &path)
{
	auto text = read_config_file(path);
	if (!text)
		return text.error();
	return parse_keys_config(text.value(), path);
}

Result<std::vector<Assignment>> parse_tld_set(const KeysConfig &config, std::string_view text)
{
	std::vector<Assignment> out;
	SetListError err;
	if (!encode_set_list(config, text, out, err))
		return parse_error("TLD_SET", static_cast<int>(err.item), err.error.message());
	return out;
}

} // namespace tld::config
