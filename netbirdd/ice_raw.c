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
 * UDP datagrams on the raw socket of the WireGuard port (protocol.md
 * 4.8): the parent's filter lets through only STUN to that port, with
 * the IPv4 header in front; STUN goes out on the same socket with the
 * WireGuard port as its source port.
 *
 * Receiving: the filter is not trusted to have checked everything, and
 * the kernel hands a raw socket what it got, so every length is checked
 * here.  The UDP checksum is not: between network namespaces, and from
 * virtual NICs with checksum offload, a datagram still carries the
 * partial sum the sender's stack left for the hardware to finish, and
 * STUN checks its own integrity.
 *
 * Sending: without IP_HDRINCL the kernel writes the IPv4 header and we
 * write the UDP header.  Its checksum covers the source address, which
 * the kernel picks after we have written it; so when the caller names
 * the source address we make the kernel use that one (IP_PKTINFO's
 * ipi_spec_dst, which must be one of our addresses) and fill in the
 * checksum, and when it does not we send checksum 0, "no checksum",
 * which IPv4 allows (RFC 768).
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "compat.h"
#include "netbirdd.h"
#include "ice.h"

#define IP4_HDR_MIN	20
#define IP4_MF		0x2000
#define IP4_OFFMASK	0x1fff
#define UDP_HDR_LEN	8
/* The largest payload of one IPv4 datagram with a 20-byte header. */
#define UDP_PAYLOAD_MAX	(65535 - IP4_HDR_MIN - UDP_HDR_LEN)

static uint16_t	get16(const uint8_t *);
static void	put16(uint8_t *, uint16_t);
static int	unicast4(uint32_t);
static uint32_t	sum16(uint32_t, const uint8_t *, size_t);
static uint16_t	udp_checksum(const struct in_addr *, const struct in_addr *,
		    const uint8_t *, const uint8_t *, size_t);

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* A host address one may answer: not 0/8, multicast, 240/4, broadcast. */
static int
unicast4(uint32_t a)
{
	return (a >> 24) != 0 && !IN_MULTICAST(a) && !IN_EXPERIMENTAL(a);
}

int
ice_raw_decode(const uint8_t *pkt, size_t len, uint16_t dport,
    struct sockaddr_storage *src, struct sockaddr_storage *dst,
    const uint8_t **payload, size_t *plen)
{
	struct sockaddr_in	*sin;
	const uint8_t		*udp;
	size_t			 ihl, total, ulen;
	uint32_t		 saddr, daddr;
	uint16_t		 sport;

	if (len < IP4_HDR_MIN || (pkt[0] >> 4) != 4 || dport == 0)
		return -1;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	total = get16(pkt + 2);
	if (ihl < IP4_HDR_MIN || total > len || total < ihl + UDP_HDR_LEN)
		return -1;
	if (pkt[9] != IPPROTO_UDP ||
	    (get16(pkt + 6) & (IP4_MF | IP4_OFFMASK)) != 0)
		return -1;
	udp = pkt + ihl;
	ulen = get16(udp + 4);
	if (ulen < UDP_HDR_LEN || ulen > total - ihl)
		return -1;
	sport = get16(udp);
	if (sport == 0 || get16(udp + 2) != dport)
		return -1;
	saddr = (uint32_t)pkt[12] << 24 | pkt[13] << 16 | pkt[14] << 8 |
	    pkt[15];
	daddr = (uint32_t)pkt[16] << 24 | pkt[17] << 16 | pkt[18] << 8 |
	    pkt[19];
	if (!unicast4(saddr) || !unicast4(daddr))
		return -1;

	memset(src, 0, sizeof(*src));
	sin = (struct sockaddr_in *)src;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(sport);
	sin->sin_addr.s_addr = htonl(saddr);
	memset(dst, 0, sizeof(*dst));
	sin = (struct sockaddr_in *)dst;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(dport);
	sin->sin_addr.s_addr = htonl(daddr);
	*payload = udp + UDP_HDR_LEN;
	*plen = ulen - UDP_HDR_LEN;
	return 0;
}

/* One's complement sum of 16-bit words, an odd last byte padded. */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len == 1)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* RFC 768: pseudo-header, UDP header (checksum 0), payload. */
static uint16_t
udp_checksum(const struct in_addr *s, const struct in_addr *d,
    const uint8_t *hdr, const uint8_t *data, size_t len)
{
	uint32_t	sum = 0;
	uint16_t	csum;

	sum = sum16(sum, (const uint8_t *)&s->s_addr, 4);
	sum = sum16(sum, (const uint8_t *)&d->s_addr, 4);
	sum += IPPROTO_UDP + UDP_HDR_LEN + len;
	sum = sum16(sum, hdr, UDP_HDR_LEN);
	sum = sum16(sum, data, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	csum = ~sum & 0xffff;
	/* 0 means "no checksum": a sum of 0 is sent as its other form. */
	return csum == 0 ? 0xffff : csum;
}

/*
 * src counts when it is an IPv4 address other than 0.0.0.0 with a port
 * (its port is not used: sport is the source port); else the kernel
 * picks the address and the checksum is 0.
 */
ssize_t
ice_raw_send(int fd, uint16_t sport, const struct sockaddr_storage *src,
    const struct sockaddr_storage *dst, const void *payload, size_t len)
{
	struct sockaddr_in	 to, from;
	struct in_pktinfo	 pi;
	struct msghdr		 msg;
	struct cmsghdr		*cm;
	struct iovec		 iov[2];
	union {
		struct cmsghdr	 hdr;
		uint8_t		 buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	}			 cmsg;
	uint8_t			 udp[UDP_HDR_LEN];
	int			 pinned = 0;

	if (dst == NULL || dst->ss_family != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memcpy(&to, dst, sizeof(to));
	if (sport == 0 || to.sin_port == 0 || (payload == NULL && len > 0)) {
		errno = EINVAL;
		return -1;
	}
	if (len > UDP_PAYLOAD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (src != NULL && src->ss_family == AF_INET) {
		memcpy(&from, src, sizeof(from));
		pinned = from.sin_port != 0 &&
		    from.sin_addr.s_addr != htonl(INADDR_ANY);
	}

	put16(udp, sport);
	put16(udp + 2, ntohs(to.sin_port));
	put16(udp + 4, (uint16_t)(UDP_HDR_LEN + len));
	put16(udp + 6, 0);
	if (pinned)
		put16(udp + 6, udp_checksum(&from.sin_addr, &to.sin_addr, udp,
		    payload, len));

	iov[0].iov_base = udp;
	iov[0].iov_len = sizeof(udp);
	iov[1].iov_base = (void *)(uintptr_t)payload;
	iov[1].iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &to;
	msg.msg_namelen = sizeof(to);
	msg.msg_iov = iov;
	msg.msg_iovlen = nitems(iov);
	if (pinned) {
		memset(&cmsg, 0, sizeof(cmsg));
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = from.sin_addr;
		msg.msg_control = cmsg.buf;
		msg.msg_controllen = sizeof(cmsg.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	return sendmsg(fd, &msg, 0);
}
