// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// tldctl set PID[/TID] KEY=VALUE: changes the live value BPF reads. Root writes through the
// tldctl_set iterator itself; the owner of the process (not root) asks tldd, which checks the
// caller's uid against the target's before doing the same.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <unistd.h>

#include "commands.h"
#include "decode.h"
#include "json.h"
#include "map_session.h"
#include "progs/setter.h"
#include "tldd_client.h"
#include "wire/protocol.h"

namespace tld::ctl {

namespace {

std::string set_error(pid_t pid, const SetResult &r, const std::string &key)
{
	std::string who = "thread " + std::to_string(pid) + "/" + std::to_string(r.tid);
	switch (-r.err) {
	case ESRCH:
		return who + " exited";
	case ENXIO:
		return who + " has no task local data any more";
	case ENOENT:
		return who + " has no key '" + key + "'";
	case EMSGSIZE:
		return "the value's size does not match key '" + key + "' in " + who;
	case EBUSY:
		return who + " is publishing a new key right now; try again";
	case ERANGE:
		return who + ": key '" + key + "' lies outside its block (inconsistent meta page)";
	case ENODATA:
		return who + " has no meta or data page";
	default:
		return who + ": " + strerror(-r.err);
	}
}

void print_done(const Context &ctx, const Target &target, const std::string &key,
                const std::string &text, const std::vector<SetResult> &results, bool tids_known)
{
	if (ctx.json) {
		JsonWriter j;
		j.begin_object().field("pid", target.pid).field("key", key);
		j.key("value").raw(json_value(text));
		j.field("written", results.size());
		if (tids_known) {
			j.key("threads").begin_array();
			for (const auto &r : results)
				j.num(int64_t(r.tid));
			j.end_array();
		}
		j.end_object();
		std::cout << j.text() << "\n";
		return;
	}
	printf("%s=%s in %zu thread%s of process %d\n", key.c_str(), text.c_str(), results.size(),
	       results.size() == 1 ? "" : "s", target.pid);
}

// The value for a request through tldd, which checks the size against the process's key: the
// declared type, or for an undeclared key 0x hex of exactly its size (tldctl cannot read the
// process's key table without root).
std::vector<uint8_t> owner_value(const Context &ctx, const std::string &key,
                                 const std::string &text, std::string *shown)
{
	config::KeyType type;
	if (auto declared = declared_type(ctx.keys, key)) {
		type = *declared;
	} else {
		size_t digits =
		        text.size() > 2 && text.compare(0, 2, "0x") == 0 ? text.size() - 2 : 0;
		if (!digits || digits % 2 || digits / 2 > TLD_BROKER_SET_MAX_VALUE)
			throw CliError(kExitUsage,
			               "key " + key +
			                       " is not declared in keys.conf: give its value "
			                       "as 0x hex of exactly its size");
		type.kind = config::ValueKind::bytes;
		type.size = uint16_t(digits / 2);
	}
	std::vector<uint8_t> value = encode_for_set(type, key, text);
	*shown = config::format_value(type, value.data());
	return value;
}

// The owner of the process, not root: only tldd may touch the map for them, and it checks the
// caller's uid against the process's itself.
int set_as_owner(const Context &ctx, const Target &target, const std::string &key,
                 const std::string &text)
{
	std::string shown;
	std::vector<uint8_t> value = owner_value(ctx, key, text, &shown);
	auto answer = set_via_tldd(ctx.socket, target.pid, target.tid, key, value);
	if (!answer)
		throw CliError(kExitFailure, "tldd is not reachable (" + answer.error().message() +
		                                     "): without root, hints change through tldd; "
		                                     "nothing changed");
	const int n = *answer;
	std::string who = (target.tid ? "thread " : "process ") + target.str();
	switch (n >= 0 ? 0 : -n) {
	case 0:
		break;
	case EPERM:
		throw CliError(kExitPermission, "permission denied: tldd refused to change " + who +
		                                        " for uid " + std::to_string(getuid()) +
		                                        "; nothing changed");
	case ESRCH:
		throw CliError(kExitFailure, who + " exited; nothing changed");
	case EBUSY:
		throw CliError(kExitFailure, busy_message() + "; nothing changed");
	case ENXIO:
		throw CliError(kExitFailure, who + " has no task local data; nothing changed");
	case ENOENT:
		throw CliError(kExitFailure, who + " has no key '" + key + "'; nothing changed");
	case EMSGSIZE:
		throw CliError(kExitFailure, "key '" + key + "' in " + who + " is not " +
		                                     std::to_string(value.size()) +
		                                     " bytes (keys.conf and the process disagree); "
		                                     "nothing changed");
	default:
		throw CliError(kExitFailure, "tldd could not change " + who + ": " + strerror(-n) +
		                                     "; nothing changed");
	}
	std::vector<SetResult> results(static_cast<size_t>(n));
	print_done(ctx, target, key, shown, results, false);
	return kExitOk;
}

} // namespace

int cmd_set(Context &ctx, const Args &args)
{
	po::options_description opts("set arguments");
	// clang-format off
	opts.add_options()
		("target", po::value<std::string>()->required()->value_name("PID[/TID]"),
		 "the process (all its registered threads), or one of its threads")
		("assignment", po::value<std::string>()->required()->value_name("KEY=VALUE"),
		 "the key and its new value, parsed by the key's type in keys.conf");
	// clang-format on
	po::positional_options_description pos;
	pos.add("target", 1).add("assignment", 1);
	auto vm = parse_subcommand(
	        "tldctl set PID[/TID] KEY=VALUE [--json]",
	        "Changes KEY in every registered thread of process PID, or in thread TID only;\n"
	        "BPF programs read the new value from then on. VALUE is parsed by the key's type\n"
	        "in keys.conf (u8..u64, i32, i64: decimal or 0x hex, range-checked; bool:\n"
	        "true/false/1/0/yes/no/on/off; bytes:N: a string or 0x hex); an undeclared key\n"
	        "takes 0x hex of its size or a string. Either every thread takes the value or\n"
	        "none does. Allowed for root and for the owner of the process (through tldd).",
	        opts, pos, args);

	Target target = parse_target(vm["target"].as<std::string>());
	const std::string &assignment = vm["assignment"].as<std::string>();
	size_t eq = assignment.find('=');
	if (eq == std::string::npos || eq == 0)
		throw CliError(kExitUsage,
		               "bad assignment '" + assignment + "': expected KEY=VALUE");
	std::string key = assignment.substr(0, eq), text = assignment.substr(eq + 1);
	if (key.size() >= 62)
		throw CliError(kExitUsage, "bad key name '" + key + "': at most 61 characters");

	uid_t owner = check_target(target);
	check_may_change(target, owner);
	if (geteuid() != 0)
		return set_as_owner(ctx, target, key, text);

	Session session(ctx, "tldctl set");
	auto threads = session.read_target(target);
	const KeySlot &slot = slot_of(threads, target.pid, key, "; nothing changed");
	config::KeyType type = type_for_set(ctx.keys, slot, target.pid);
	std::vector<uint8_t> value = encode_for_set(type, key, text);

	auto setter = Setter::load(session.map_fd());
	if (!setter)
		fail_bpf(setter.error(), "loading the set program");
	std::vector<pid_t> tids;
	for (const auto &t : threads)
		tids.push_back(t.tid);
	auto outcome = setter->apply(target.pid, tids, key, value);
	if (!outcome)
		fail_bpf(outcome.error(), "running the set program");
	const auto &results = outcome->results;
	for (const auto &r : results)
		if (r.err)
			throw CliError(
			        kExitFailure,
			        set_error(target.pid, r, key) +
			                (outcome->written
			                         ? "; the value was written to the other threads"
			                         : "; nothing changed"));
	if (results.empty())
		throw CliError(kExitFailure, target.str() + " exited; nothing changed");
	print_done(ctx, target, key, config::format_value(type, value.data()), results, true);
	return kExitOk;
}

} // namespace tld::ctl
