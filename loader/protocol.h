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
 *                   SYNC       (asks for an ACK; everything sent before it has been handled)
 *   tldd -> client: ERROR      a request failed: .error = -errno, .req_type, .seq, .tid
 *                   ACK        reply to SYNC, or to any request sent with TLD_BROKER_F_ACK
 *
 * Requests are fire-and-forget: tldd answers only failures (and requests that ask for an ACK),
 * so a thread that registers never waits on tldd. Little-endian host order: both ends are on
 * the same machine.
 */
#ifndef TLD_BROKER_PROTOCOL_H
#define TLD_BROKER_PROTOCOL_H

#include <linux/types.h>

#define TLD_BROKER_MAGIC    0x424c4454u /* "TLDB" in memory order */
#define TLD_BROKER_VERSION  1
#define TLD_BROKER_MSG_SIZE 32

enum tld_broker_type {
	TLD_BROKER_HELLO = 1,
	TLD_BROKER_REGISTER = 2,
	TLD_BROKER_UNREGISTER = 3,
	TLD_BROKER_SYNC = 4,
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
	__u16 start; /* REGISTER: offset of the block within that page, multiple of 8 */
	__u16 size;  /* REGISTER: block size; start + size must not cross the page */
	__u32 reserved;
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
TLD_BROKER_ASSERT(sizeof(struct tld_broker_event) == TLD_BROKER_MSG_SIZE, "event size");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_event, error) == 16, "error at 16");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_event, req_type) == 20, "req_type at 20");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_event, tid) == 24, "tid at 24");
TLD_BROKER_ASSERT(TLD_BROKER_OFF(struct tld_broker_event, dropped) == 28, "dropped at 28");

#endif /* TLD_BROKER_PROTOCOL_H */
