/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The tldd broker protocol: plain C structs both sides include (docs/broker.md has the prose).
 *
 * Transport: a UNIX SOCK_SEQPACKET connection, so every message arrives whole or not at all and
 * a client cannot leave tldd holding half a message. Every message in either direction is
 * exactly TLD_BROKER_MSG_SIZE bytes; anything else is a protocol violation.
 *
 *   client -> tldd: HELLO      + SCM_RIGHTS(memfd)          once per connection, first
 *                   REGISTER   + SCM_RIGHTS(thread pidfd)   or with .tid set and no fd
 *                   UNREGISTER (.tid)
 *                   SYNC       (asks for an ACK; everything sent before it has been handled,
 *                              and the board as it was when tldd read the SYNC)
 *                   BOARD      + SCM_RIGHTS(memfd)          the board: which thread owns which
 *                                                           block (struct tld_broker_board)
 *                   DOORBELL   the board changed; tldd scans it after its registration delay
 *   tldd -> client: ERROR      a request failed: .error = -errno, .req_type, .seq, .tid
 *                   ACK        reply to SYNC, or to any request sent with TLD_BROKER_F_ACK
 *
 * Control requests (tldctl), on a connection of their own that never sends HELLO; all are
 * answered, always, and carry the client's getpid() in .tid (tldd refuses them with -EXDEV
 * from another pid namespace: pids in them would not mean the same):
 *   client -> tldd: QUERY                                   tldd's state, counts and limits
 *                   SET        + SCM_RIGHTS(memfd)          change a hint for a process's owner
 *                   DUMP       (struct tld_broker_dump_req) read hints for a process's owner
 *   tldd -> client: ACK        QUERY: with SCM_RIGHTS(sealed memfd: struct tld_broker_report)
 *                              SET: .tid = threads written
 *                              DUMP: .tid = threads, with SCM_RIGHTS(sealed memfd: the dump
 *                              iterator's records, bpf/include/tldctl/records.h)
 *                   ERROR      -EPERM (not the owner), -ESRCH, -ENXIO (no task local data),
 *                              -ENOENT (no such key), -EMSGSIZE, -EINVAL, -EOPNOTSUPP
 *                              (tldd cannot load the set or dump program)
 *
 * Requests are fire-and-forget: tldd answers only failures (and requests that ask for an ACK),
 * so a thread that registers never waits on tldd. Little-endian host order: both ends are on
 * the same machine.
 */
#ifndef TLD_BROKER_PROTOCOL_H
#define TLD_BROKER_PROTOCOL_H

#include <linux/types.h>

#define TLD_BROKER_MAGIC    0x424c4454u /* "TLDB" in memory order */
#define TLD_BROKER_VERSION  2           /* 2: one block a page, at TLD_DATA_START */
#define TLD_BROKER_MSG_SIZE 32

enum tld_broker_type {
	TLD_BROKER_HELLO = 1,
	TLD_BROKER_REGISTER = 2,
	TLD_BROKER_UNREGISTER = 3,
	TLD_BROKER_SYNC = 4,
	TLD_BROKER_QUERY = 5,
	TLD_BROKER_SET = 6,
	TLD_BROKER_DUMP = 7,
	TLD_BROKER_BOARD = 8,
	TLD_BROKER_DOORBELL = 9,
	TLD_BROKER_ERROR = 0x81,
	TLD_BROKER_ACK = 0x82,
};

/* hdr.flags */
#define TLD_BROKER_F_ACK   0x1u /* request: reply with an ACK once handled (or an ERROR) */
#define TLD_BROKER_F_PIDFD 0x2u /* REGISTER: the thread is the pidfd passed with SCM_RIGHTS */
#define TLD_BROKER_F_KNOWN (TLD_BROKER_F_ACK | TLD_BROKER_F_PIDFD)

struct tld_broker_hdr {
	__u32 magic;   /* TLD_BROKER_MAGIC */
	__u16 version; /* TLD_BROKER_VERSION */
	__u16 type;    /* enum tld_broker_type */
	__u32 seq;     /* chosen by the client, echoed in ERROR and ACK */
	__u32 flags;   /* TLD_BROKER_F_*; unknown bits are an error */
};

/* Client to tldd. Fields a type does not use must be zero. */
struct tld_broker_req {
	struct tld_broker_hdr hdr;
	__s32 tid;   /* REGISTER without F_PIDFD, UNREGISTER: the thread id (> 0) */
	__u32 page;  /* REGISTER: index of the data page in the memfd, >= 1 (page 0 is meta) */
	__u16 start; /* REGISTER: TLD_DATA_START, which the page's start word must also hold */
	__u16 size;  /* REGISTER: block size; start + size must not cross the page */
	__u32 reserved;
};

/*
 * DUMP's request: the same 32 bytes as struct tld_broker_req, with the process to read where
 * REGISTER has its page. A client that is not root gets only processes it owns: its effective
 * uid is their real, effective and saved uid.
 */
struct tld_broker_dump_req {
	struct tld_broker_hdr hdr;
	__s32 tid;         /* the client's getpid(), as in every control request */
	__s32 pid;         /* 0: every process the client may read; > 0: this process only */
	__u32 reserved[2]; /* zero */
};

/* tldd to client. */
struct tld_broker_event {
	struct tld_broker_hdr hdr; /* type ERROR or ACK; seq and the request's type below */
	__s32 error;               /* ERROR: -errno (see docs/broker.md), ACK: 0 */
	__u16 req_type;            /* type of the request this answers */
	__u16 reserved0;
	__s32 tid;     /* the request's tid, or the pidfd's thread id when tldd learned it */
	__u32 dropped; /* events tldd could not deliver before this one (client not reading) */
};

/*
 * QUERY's answer: the memfd that comes with the ACK holds this. Which threads are brokered
 * tldd's pinned tld_broker_map says, so no thread list follows.
 */
struct tld_broker_report {
	__u32 magic;   /* TLD_BROKER_MAGIC */
	__u32 version; /* TLD_BROKER_VERSION */
	__u32 tldd_pid;
	__u32 clients; /* connections with a HELLO (control connections are not counted) */
	__u32 max_clients;
	__u32 max_threads_per_client;
	__u64 max_memfd_bytes;
	__u64 mapped_bytes;    /* clients' memfds mapped into tldd */
	__u32 threads;         /* registrations tldd made that it still tracks, all clients */
	__u32 at_thread_limit; /* clients refused a registration by max_threads_per_client */
};

/*
 * The board: a memfd (sealed with F_SEAL_SHRINK) the client shares with tldd after HELLO, so
 * that a new thread registers with plain stores instead of a message. Slot i (a __u64) holds
 * the tid of the thread that owns block i of the arena in its low 32 bits (0: nobody) and a
 * generation in its high 32 bits, raised each time the slot gets a new owner, so tldd tells a
 * new owner from one it already registered even if a tid comes back. Block i is data page 1 + i,
 * at offset TLD_DATA_START (one block a page, abi.h).
 *
 * Client, when a thread takes block i: store block_size (once), store slot[i] = (generation + 1,
 * tid) in one store, raise high_water to i + 1, then exchange(armed, 0): if it was 1, send a
 * DOORBELL; if it was 0 for well over delay_ms since the last DOORBELL, send one too (and so
 * learn whether tldd is still there). When the thread exits or frees its block: slot[i] =
 * (generation, 0). tldd, on DOORBELL (and on BOARD), waits its registration delay, stores armed = 1
 * and then reads the slots: a thread that came and went in between costs the kernel nothing. Every
 * field is the client's to scribble on: tldd checks each tid and block exactly as a REGISTER's, and
 * scans at most the board it mapped.
 */
#define TLD_BROKER_BOARD_MAGIC 0x62444c54u /* "TLDb" in memory order */
struct tld_broker_board {
	__u32 magic;      /* TLD_BROKER_BOARD_MAGIC */
	__u32 armed;      /* 1: tldd has scanned and wants a DOORBELL for the next change */
	__u32 block_size; /* the arena's block size: a multiple of 8, at most 4088; 0 until known */
	__u32 high_water; /* slots at and past this index are all 0 */
	__u32 delay_ms;   /* tldd: its registration delay; armed staying 0 much longer means
	                     the tldd that owed a scan is gone, and the client rings anyway */
	__u32 reserved[3];
	/* then __u64 slots, as many as fit the memfd, from TLD_BROKER_BOARD_SLOTS on */
};
#define TLD_BROKER_BOARD_SLOTS 32

/* SET's request, at offset 0 of the memfd sent with it. */
#define TLD_BROKER_SET_MAX_VALUE 4000
struct tld_broker_set {
	__u32 magic;      /* TLD_BROKER_MAGIC */
	__s32 pid;        /* the target process */
	__s32 tid;        /* 0: every registered thread of @pid; else one of its threads */
	__u16 value_size; /* 1..TLD_BROKER_SET_MAX_VALUE: must be the key's published size */
	__u16 reserved;
	char key[64]; /* 1..61 characters, NUL-terminated */
	__u8 value[TLD_BROKER_SET_MAX_VALUE];
};

#if defined(__cplusplus)
#define TLD_BROKER_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define TLD_BROKER_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#define TLD_BROKER_OFF(type, member) __builtin_offsetof(type, member)

TLD_BROKER_ASSERT(sizeof(struct tld_broker_hdr) == 16, "header is 16 bytes");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_hdr, magic) == 0, "magic first");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_hdr, version) == 4, "version at 4");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_hdr, type) == 6, "type at 6");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_hdr, seq) == 8, "seq at 8");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_hdr, flags) == 12, "flags at 12");
TLD_BROKER_ASSERT(sizeof(struct tld_broker_req) == TLD_BROKER_MSG_SIZE, "request size");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_req, tid) == 16, "tid at 16");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_req, page) == 20, "page at 20");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_req, start) == 24, "start at 24");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_req, size) == 26, "size at 26");
TLD_BROKER_ASSERT(sizeof(struct tld_broker_dump_req) == TLD_BROKER_MSG_SIZE, "dump size");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_dump_req, tid) ==
                          TLD_BROKER_OFF(struct tld_broker_req, tid),
                  "dump tid where every request has it");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_dump_req, pid) ==
                          TLD_BROKER_OFF(struct tld_broker_req, page),
                  "dump pid where REGISTER has its page");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_dump_req, reserved) ==
                          TLD_BROKER_OFF(struct tld_broker_req, start),
                  "dump reserved over start, size and reserved");
TLD_BROKER_ASSERT(sizeof(struct tld_broker_event) == TLD_BROKER_MSG_SIZE, "event size");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_event, error) == 16, "error at 16");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_event, req_type) == 20, "req_type at 20");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_event, tid) == 24, "tid at 24");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_event, dropped) == 28, "dropped at 28");

TLD_BROKER_ASSERT(sizeof(struct tld_broker_report) == 48, "report header size");
TLD_BROKER_ASSERT(sizeof(struct tld_broker_board) == 32, "board header size");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_board, armed) == 4, "armed at 4");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_board, block_size) == 8, "block_size at 8");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_board, high_water) == 12, "high_water at 12");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_board, delay_ms) == 16, "delay_ms at 16");
TLD_BROKER_ASSERT(sizeof(struct tld_broker_board) == TLD_BROKER_BOARD_SLOTS, "slots after it");
TLD_BROKER_ASSERT(sizeof(struct tld_broker_set) == 80 + TLD_BROKER_SET_MAX_VALUE, "set size");

#endif /* TLD_BROKER_PROTOCOL_H */
