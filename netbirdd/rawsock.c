/*
 * Copyright (c) 2026 The netbirdd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * The raw socket on the WireGuard port (protocol.md 4.8), opened by the
 * parent for ice.  An AF_INET raw socket of protocol UDP gets a copy of
 * every UDP datagram to this host, IPv4 header first; a classic BPF
 * filter keeps only
 *
 *	addressed to this host (not broadcast or multicast),
 *	protocol UDP, not a fragment (no MF, offset 0),
 *	UDP destination port = the WireGuard port (any IHL),
 *	the STUN magic cookie 0x2112A442 at UDP payload offset 4,
 *
 * and SO_LOCK_FILTER keeps ice, which gets the socket, from changing it.
 * What came before the filter was attached is dropped: the socket starts
 * with a filter that passes nothing, is drained, then gets the real one.
 * ice_raw.c decodes and sends.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <linux/if_packet.h>

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "compat.h"
#include "hostnet.h"
#include "log.h"

#define STUN_COOKIE	0x2112A442
#define IP4_FRAGMENT	0x3fff		/* MF and the fragment offset */
#define RAW_SNAPLEN	0xffff		/* a whole IPv4 datagram */
/* Jumps are relative: from instruction i to the last one, which drops. */
#define RAW_DROP	12
#define TO_DROP(i)	(RAW_DROP - (i) - 1)

static int	rawsock_filter(int, struct sock_filter *, unsigned short);
static int	rawsock_drain(int);

static int
rawsock_filter(int fd, struct sock_filter *code, unsigned short len)
{
	struct sock_fprog	prog = { len, code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog));
}

/* Read and drop what is queued; 0 once the socket is empty. */
static int
rawsock_drain(int fd)
{
	uint8_t	buf[1];

	while (recv(fd, buf, sizeof(buf), MSG_TRUNC) != -1)
		;
	return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
}

int
rawsock_open(int af, uint16_t port)
{
	/*
	 * Offsets from the IPv4 header; X holds its length.  A load past
	 * the end of a short packet ends the program: dropped.
	 */
	struct sock_filter stun[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			    SKF_AD_OFF + SKF_AD_PKTTYPE),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_HOST, 0,
			    TO_DROP(1)),
		/* 2 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0,
			    TO_DROP(3)),
		/* 4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, IP4_FRAGMENT,
			    TO_DROP(5), 0),
		/* 6 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		/* 7 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
		/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0,
			    TO_DROP(8)),
		/* 9 */ BPF_STMT(BPF_LD | BPF_W | BPF_IND, 8 + 4),
		/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, STUN_COOKIE, 0,
			    TO_DROP(10)),
		/* 11 */ BPF_STMT(BPF_RET | BPF_K, RAW_SNAPLEN),
		/* 12 */ BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter nothing[] = {
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	int	fd, one = 1;

	_Static_assert(nitems(stun) == RAW_DROP + 1, "drop is not last");
	if (af != AF_INET || port == 0) {
		log_warnx("%s: family %d, port %u: only AF_INET with a port",
		    __func__, af, port);
		return -1;
	}
	if ((fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    IPPROTO_UDP)) == -1) {
		log_warn("%s: raw socket", __func__);
		return -1;
	}
	if (rawsock_filter(fd, nothing, nitems(nothing)) == -1 ||
	    rawsock_drain(fd) == -1 ||
	    rawsock_filter(fd, stun, nitems(stun)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &one,
	    sizeof(one)) == -1) {
		log_warn("%s: filter for port %u", __func__, port);
		close(fd);
		return -1;
	}
	return fd;
}
