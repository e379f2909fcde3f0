// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "progs/dump.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <tldctl/records.h>

namespace tld::ctl {

const KeySlot *ThreadData::find(std::string_view name) const
{
	for (const auto &k : keys)
		if (k.name == name)
			return &k;
	return nullptr;
}

const uint8_t *ThreadData::value(const KeySlot &key) const
{
	if (size_t(key.off) + key.size > block.size())
		return nullptr;
	return block.data() + key.off;
}

namespace {

std::string fixed_string(const char *s, size_t max)
{
	return std::string(s, strnlen(s, max));
}

// The key table as BPF readers walk it (tld.bpf.h): offsets are the 8-rounded sizes before a
// key, and a key with size 0 is being published, so nothing after it has a known offset.
void decode_keys(ThreadData &t, const tld_metadata *md, size_t n)
{
	uint32_t off = 0;
	for (size_t i = 0; i < n; i++) {
		if (md[i].size == 0)
			break;
		size_t len = strnlen(md[i].name, TLD_NAME_LEN);
		if (len == 0 || len == TLD_NAME_LEN) {
			t.problem = "key " + std::to_string(i) + " has no valid name";
			break;
		}
		t.keys.push_back({std::string(md[i].name, len), md[i].size, off});
		off += TLD_ROUND_UP(uint32_t(md[i].size));
		if (off > TLD_PAGE_SIZE) {
			t.problem = "keys exceed a page";
			break;
		}
	}
	if (t.flags & TLDCTL_REC_NO_META)
		t.problem = "no meta page";
	else if (t.flags & TLDCTL_REC_NO_DATA)
		t.problem = "no data page";
	else if (t.flags & TLDCTL_REC_BAD_CNT)
		t.problem = "meta page key count " + std::to_string(t.meta_cnt) + " is garbage";
	else if (t.flags & TLDCTL_REC_BAD_START)
		t.problem = "data page's start word is past the page";
	else if (t.flags & TLDCTL_REC_BAD_SIZE)
		t.problem = "block crosses its page";
}

} // namespace

Result<std::vector<RawRecord>> split_dump(std::string_view bytes)
{
	const Error malformed{EPROTO, "parsing the dump iterator's output"};
	std::vector<RawRecord> out;
	size_t pos = 0;
	while (pos < bytes.size()) {
		tldctl_thread_rec rec;
		if (bytes.size() - pos < sizeof(rec))
			return malformed;
		memcpy(&rec, bytes.data() + pos, sizeof(rec));
		size_t keys_len = size_t(rec.nkeys) * sizeof(tld_metadata);
		size_t block_len = TLD_ROUND_UP(size_t(rec.block_len));
		if (rec.magic != TLDCTL_REC_MAGIC || rec.nkeys > TLD_MAX_KEYS ||
		    rec.block_len > TLD_PAGE_SIZE ||
		    bytes.size() - pos - sizeof(rec) < keys_len + block_len)
			return malformed;
		size_t len = sizeof(rec) + keys_len + block_len;
		out.push_back({pid_t(rec.pid), bytes.substr(pos, len)});
		pos += len;
	}
	return out;
}

Result<std::vector<ThreadData>> parse_dump(std::string_view bytes)
{
	auto records = split_dump(bytes);
	if (!records)
		return records.error();
	std::vector<ThreadData> out;
	for (const RawRecord &raw : records.value()) {
		// split_dump checked that the keys and the block are there.
		tldctl_thread_rec rec;
		memcpy(&rec, raw.bytes.data(), sizeof(rec));
		size_t pos = sizeof(rec);
		size_t keys_len = size_t(rec.nkeys) * sizeof(tld_metadata);

		ThreadData t;
		t.pid = pid_t(rec.pid);
		t.tid = pid_t(rec.tid);
		t.comm = fixed_string(rec.comm, sizeof(rec.comm));
		t.pcomm = fixed_string(rec.pcomm, sizeof(rec.pcomm));
		t.flags = rec.flags;
		t.data_page = rec.data_page;
		t.meta_page = rec.meta_page;
		t.start = rec.start;
		t.meta_cnt = rec.meta_cnt;
		t.meta_size = rec.meta_size;
		std::vector<tld_metadata> md(rec.nkeys);
		if (keys_len)
			memcpy(md.data(), raw.bytes.data() + pos, keys_len);
		pos += keys_len;
		t.block.assign(raw.bytes.begin() + pos, raw.bytes.begin() + pos + rec.block_len);
		decode_keys(t, md.data(), md.size());
		out.push_back(std::move(t));
	}
	return out;
}

Result<Dumper> Dumper::load(int map_fd, int broker_map_fd)
{
	auto skel = Skel::open();
	if (!skel)
		return skel.error();
	if (auto r = reuse_map(skel->get()->maps.tld_data_map, map_fd); !r)
		return r.error();
	if (broker_map_fd >= 0) {
		if (auto r = reuse_map(skel->get()->maps.tld_broker_map, broker_map_fd); !r)
			return r.error();
		skel->get()->rodata->have_broker_map = true;
	}
	if (auto r = skel->load(); !r)
		return r.error();
	return Dumper(std::move(skel.value()));
}

Result<std::vector<ThreadData>> Dumper::read(TaskFilter filter) const
{
	auto bytes = read_raw(filter);
	if (!bytes)
		return bytes.error();
	return parse_dump(bytes.value());
}

Result<std::string> Dumper::read_raw(TaskFilter filter) const
{
	return run_task_iter(skel_->progs.tldctl_dump, filter);
}

} // namespace tld::ctl
