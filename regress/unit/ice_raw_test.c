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
 * Datagrams on the raw socket of the WireGuard port (netbirdd/ice_raw.c).
 * Decoding: a STUN Binding request as the kernel hands it over, with and
 * without IP options, then every way a hostile or broken packet can lie
 * about itself (lengths, version, protocol, fragments, ports,
 * addresses), every truncation, and random corruption.  Sending: no
 * root is needed to check what ice_raw_send() writes, since a UDP
 * socket carries the UDP header it builds as payload: ports, length, a
 * checksum recomputed here independently, 0 when the source is left to
 * the kernel, and the source address pinned with IP_PKTINFO.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netbirdd.h"
#include "ice.h"

#define WGPORT		51820
#define STUN_LEN	28	/* Binding request with one attribute */

static int	failed;

#define CHECK(cond, ...) do {					\
	if (cond)						\
		printf("ok - ");				\
	else {							\
		printf("not ok - ");				\
		failed = 1;					\
	}							\
	printf(__VA_ARGS__);					\
	printf("\n");						\
} while (0)

/* A Binding request: header, cookie, transaction ID, SOFTWARE "nbd!". */
static const uint8_t stun[STUN_LEN] = {
	0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	0x80, 0x22, 0x00, 0x04, 'n', 'b', 'd', '!'
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/*
 * IPv4 (optlen bytes of options, NOPs) + UDP + payload from src:sport to
 * dst:dport, in buf; returns the length.
 */
static size_t
build(uint8_t *buf, size_t optlen, const char *src, uint16_t sport,
    const char *dst, uint16_t dport, const uint8_t *data, size_t len)
{
	size_t		 ihl = 20 + optlen;
	uint8_t		*udp = buf + ihl;

	memset(buf, 0, ihl + 8);
	buf[0] = 0x40 | (uint8_t)(ihl / 4);
	put16(buf + 2, (uint16_t)(ihl + 8 + len));
	put16(buf + 4, 0x1234);
	put16(buf + 6, 0x4000);			/* DF */
	buf[8] = 64;
	buf[9] = IPPROTO_UDP;
	inet_pton(AF_INET, src, buf + 12);
	inet_pton(AF_INET, dst, buf + 16);
	memset(buf + 20, 1, optlen);		/* NOP */
	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, (uint16_t)(8 + len));
	memcpy(udp + 8, data, len);
	return ihl + 8 + len;
}

static int
decode(const uint8_t *pkt, size_t len, uint16_t dport)
{
	struct sockaddr_storage	 src, dst;
	const uint8_t		*payload;
	size_t			 plen;

	return ice_raw_decode(pkt, len, dport, &src, &dst, &payload, &plen);
}

static int
addr_is(const struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	struct in_addr			 a;

	inet_pton(AF_INET, addr, &a);
	return ss->ss_family == AF_INET && sin->sin_addr.s_addr == a.s_addr &&
	    ntohs(sin->sin_port) == port;
}

static void
test_decode_good(void)
{
	struct sockaddr_storage	 src, dst;
	const uint8_t		*payload;
	uint8_t			 pkt[128];
	size_t			 len, plen, opt;
	int			 rc;

	for (opt = 0; opt <= 40; opt += 20) {
		len = build(pkt, opt, "192.0.2.7", 40000, "198.51.100.1",
		    WGPORT, stun, sizeof(stun));
		rc = ice_raw_decode(pkt, len, WGPORT, &src, &dst, &payload,
		    &plen);
		CHECK(rc == 0, "decode: STUN request, %zu bytes of IP options",
		    opt);
		CHECK(rc == 0 && addr_is(&src, "192.0.2.7", 40000) &&
		    addr_is(&dst, "198.51.100.1", WGPORT),
		    "decode: source 192.0.2.7:40000, destination "
		    "198.51.100.1:%d (IHL %zu)", WGPORT, 5 + opt / 4);
		CHECK(rc == 0 && plen == sizeof(stun) &&
		    payload == pkt + 20 + opt + 8 &&
		    memcmp(payload, stun, plen) == 0,
		    "decode: payload points at the STUN message (IHL %zu)",
		    5 + opt / 4);
	}

	/* Bytes after the IP total length (link padding) are not payload. */
	len = build(pkt, 0, "192.0.2.7", 40000, "198.51.100.1", WGPORT, stun,
	    sizeof(stun));
	memset(pkt + len, 0xee, 6);
	rc = ice_raw_decode(pkt, len + 6, WGPORT, &src, &dst, &payload, &plen);
	CHECK(rc == 0 && plen == sizeof(stun),
	    "decode: bytes past the IP total length are ignored");

	/* A UDP length shorter than the IP payload bounds the payload. */
	len = build(pkt, 0, "192.0.2.7", 40000, "198.51.100.1", WGPORT, stun,
	    sizeof(stun));
	put16(pkt + 24, 8 + 20);
	rc = ice_raw_decode(pkt, len, WGPORT, &src, &dst, &payload, &plen);
	CHECK(rc == 0 && plen == 20, "decode: UDP length bounds the payload");

	/* An empty datagram is a datagram. */
	len = build(pkt, 0, "192.0.2.7", 40000, "198.51.100.1", WGPORT, stun,
	    0);
	rc = ice_raw_decode(pkt, len, WGPORT, &src, &dst, &payload, &plen);
	CHECK(rc == 0 && plen == 0, "decode: empty payload");

	len = build(pkt, 0, "127.0.0.1", 1, "127.0.0.1", WGPORT, stun,
	    sizeof(stun));
	CHECK(decode(pkt, len, WGPORT) == 0, "decode: loopback, port 1");
}

struct lie {
	const char	*what;
	size_t		 off;		/* byte to set */
	int		 width;		/* 1 or 2 */
	unsigned int	 value;
};

static void
test_decode_hostile(void)
{
	static const struct lie	lies[] = {
		{ "IP version 6", 0, 1, 0x65 },
		{ "IP version 0", 0, 1, 0x05 },
		{ "IHL 4 (header shorter than 20)", 0, 1, 0x44 },
		{ "IHL 0", 0, 1, 0x40 },
		{ "IHL 15, past the packet", 0, 1, 0x4f },
		{ "IHL 14, leaves no room for UDP", 0, 1, 0x4e },
		{ "total length 0", 2, 2, 0 },
		{ "total length 27 (no whole UDP header)", 2, 2, 27 },
		{ "total length one more than read", 2, 2, 20 + 8 + 28 + 1 },
		{ "total length 65535", 2, 2, 65535 },
		{ "protocol TCP", 9, 1, IPPROTO_TCP },
		{ "protocol ICMP", 9, 1, IPPROTO_ICMP },
		{ "more fragments", 6, 2, 0x2000 },
		{ "fragment offset 1", 6, 2, 0x0001 },
		{ "last fragment, offset 185", 6, 2, 0x00b9 },
		{ "fragment with DF and MF", 6, 2, 0x6000 },
		{ "UDP length 0", 24, 2, 0 },
		{ "UDP length 7", 24, 2, 7 },
		{ "UDP length one past the IP payload", 24, 2, 8 + 28 + 1 },
		{ "UDP length 65535", 24, 2, 65535 },
		{ "source port 0", 20, 2, 0 },
		{ "destination port 51821", 22, 2, WGPORT + 1 },
		{ "destination port 0", 22, 2, 0 },
		{ "source 0.0.0.0", 12, 1, 0 },
		{ "source multicast 224.x", 12, 1, 224 },
		{ "source 240/4", 12, 1, 240 },
		{ "source 255.x (broadcast)", 12, 1, 255 },
		{ "destination 0.x", 16, 1, 0 },
		{ "destination multicast 239.x", 16, 1, 239 },
		{ "destination 255.x (broadcast)", 16, 1, 255 },
	};
	uint8_t		 pkt[128], bad[128];
	size_t		 len, i, n;

	len = build(pkt, 0, "192.0.2.7", 40000, "198.51.100.1", WGPORT, stun,
	    sizeof(stun));
	for (i = 0; i < nitems(lies); i++) {
		memcpy(bad, pkt, len);
		if (lies[i].width == 1)
			bad[lies[i].off] = lies[i].value;
		else
			put16(bad + lies[i].off, lies[i].value);
		CHECK(decode(bad, len, WGPORT) == -1, "decode refuses: %s",
		    lies[i].what);
	}
	CHECK(decode(pkt, len, 0) == -1, "decode refuses: asked for port 0");
	memcpy(bad, pkt, len);
	memset(bad + 12, 0xff, 4);
	CHECK(decode(bad, len, WGPORT) == -1,
	    "decode refuses: source 255.255.255.255");

	for (n = 0, i = 0; i < len; i++)
		if (decode(pkt, i, WGPORT) == 0)
			n++;
	CHECK(n == 0, "decode refuses every truncation (0..%zu bytes)",
	    len - 1);
	CHECK(decode(pkt, len, WGPORT) == 0, "decode: the packet itself "
	    "still decodes");
}

/*
 * Random corruption: whatever decodes must keep its payload inside the
 * packet and agree with its own headers.  Run under ASan by SANITIZE=1.
 */
static void
test_decode_random(void)
{
	struct sockaddr_storage	 src, dst;
	const uint8_t		*payload;
	uint8_t			 pkt[128], *bad;
	size_t			 len, plen, blen, i, j;
	int			 inside = 1, agree = 1, decoded = 0;

	len = build(pkt, 4, "192.0.2.7", 40000, "198.51.100.1", WGPORT, stun,
	    sizeof(stun));
	srandom(4);
	for (i = 0; i < 200000; i++) {
		blen = random() % (len + 1);
		if ((bad = malloc(blen + 1)) == NULL)
			abort();
		memcpy(bad, pkt, blen);
		for (j = 0; j < 1 + (size_t)(random() % 3); j++)
			if (blen > 0)
				bad[random() % blen] ^= 1 << (random() % 8);
		if (ice_raw_decode(bad, blen, WGPORT, &src, &dst, &payload,
		    &plen) == 0) {
			decoded++;
			if (payload < bad || payload + plen > bad + blen)
				inside = 0;
			if ((size_t)(payload - bad) != (size_t)(bad[0] & 15) *
			    4 + 8 || plen + 8 != (size_t)(bad[(bad[0] & 15) *
			    4 + 4] << 8 | bad[(bad[0] & 15) * 4 + 5]))
				agree = 0;
		}
		free(bad);
	}
	CHECK(inside, "random corruption: payload always inside the packet "
	    "(%d of 200000 decoded)", decoded);
	CHECK(agree, "random corruption: payload offset and length agree "
	    "with IHL and UDP length");
}

/* Computed here the long way, apart from ice_raw.c's. */
static uint16_t
ref_checksum(const char *src, const char *dst, const uint8_t *udp,
    size_t len)
{
	uint8_t		 pseudo[12];
	uint32_t	 sum = 0;
	size_t		 i;

	inet_pton(AF_INET, src, pseudo);
	inet_pton(AF_INET, dst, pseudo + 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP;
	put16(pseudo + 10, (uint16_t)len);
	for (i = 0; i < sizeof(pseudo); i += 2)
		sum += (uint32_t)pseudo[i] << 8 | pseudo[i + 1];
	for (i = 0; i < len; i++)
		if (i != 6 && i != 7)
			sum += (i % 2 == 0) ? (uint32_t)udp[i] << 8 : udp[i];
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	return sum == 0 ? 0xffff : (uint16_t)sum;
}

static int
udp_socket(const char *addr, uint16_t *port)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			s;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, addr, &sin.sin_addr);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1) {
		close(s);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return s;
}

static void
sockaddr_make(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	inet_pton(AF_INET, addr, &sin->sin_addr);
}

/* What arrived at s: the datagram and the address it came from. */
static ssize_t
receive(int s, uint8_t *buf, size_t size, char *from, size_t fromlen)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	struct pollfd		pfd = { s, POLLIN, 0 };
	ssize_t			n;

	if (poll(&pfd, 1, 2000) != 1)
		return -1;
	n = recvfrom(s, buf, size, 0, (struct sockaddr *)&sin, &len);
	if (n >= 0)
		inet_ntop(AF_INET, &sin.sin_addr, from, fromlen);
	return n;
}

static void
test_send(void)
{
	struct sockaddr_storage	 src, dst;
	uint8_t			 data[301], buf[512];
	char			 from[INET_ADDRSTRLEN];
	uint16_t		 sport, dport, csum;
	ssize_t			 n;
	size_t			 i;
	int			 s, d;

	if ((s = udp_socket("0.0.0.0", &sport)) == -1 ||
	    (d = udp_socket("127.0.0.1", &dport)) == -1) {
		printf("skip - send: no UDP sockets on 127.0.0.1\n");
		return;
	}
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	sockaddr_make(&dst, "127.0.0.1", dport);

	/* Odd length, pinned to another loopback address. */
	sockaddr_make(&src, "127.0.0.9", WGPORT);
	n = ice_raw_send(s, WGPORT, &src, &dst, data, sizeof(data));
	CHECK(n == 8 + (ssize_t)sizeof(data), "send: %zd bytes written "
	    "(UDP header and 301 bytes)", n);
	n = receive(d, buf, sizeof(buf), from, sizeof(from));
	CHECK(n == 8 + (ssize_t)sizeof(data) &&
	    memcmp(buf + 8, data, sizeof(data)) == 0,
	    "send: UDP header then the payload");
	CHECK(n >= 8 && (buf[0] << 8 | buf[1]) == WGPORT &&
	    (buf[2] << 8 | buf[3]) == dport &&
	    (buf[4] << 8 | buf[5]) == 8 + sizeof(data),
	    "send: source port %d, destination port %u, length %zu", WGPORT,
	    dport, 8 + sizeof(data));
	csum = n >= 8 ? (uint16_t)(buf[6] << 8 | buf[7]) : 0;
	CHECK(n >= 8 && csum != 0 && csum == ref_checksum("127.0.0.9",
	    "127.0.0.1", buf, (size_t)n),
	    "send: checksum 0x%04x over 127.0.0.9 -> 127.0.0.1", csum);
	CHECK(n >= 0 && strcmp(from, "127.0.0.9") == 0,
	    "send: the source address is the one asked for (%s)", from);

	/* No source: the kernel picks, no checksum. */
	n = ice_raw_send(s, WGPORT, NULL, &dst, data, 20);
	CHECK(n == 28, "send without a source: written");
	n = receive(d, buf, sizeof(buf), from, sizeof(from));
	CHECK(n == 28 && buf[6] == 0 && buf[7] == 0,
	    "send without a source: checksum 0 (none)");
	sockaddr_make(&src, "0.0.0.0", WGPORT);
	n = ice_raw_send(s, WGPORT, &src, &dst, data, 20);
	n = receive(d, buf, sizeof(buf), from, sizeof(from));
	CHECK(n == 28 && buf[6] == 0 && buf[7] == 0,
	    "send from 0.0.0.0: the kernel picks, checksum 0");
	sockaddr_make(&src, "127.0.0.9", 0);
	n = ice_raw_send(s, WGPORT, &src, &dst, data, 20);
	n = receive(d, buf, sizeof(buf), from, sizeof(from));
	CHECK(n == 28 && buf[6] == 0 && buf[7] == 0,
	    "send from port 0: the kernel picks, checksum 0");

	/* Empty payload. */
	sockaddr_make(&src, "127.0.0.1", WGPORT);
	n = ice_raw_send(s, WGPORT, &src, &dst, NULL, 0);
	CHECK(n == 8, "send: empty payload, header only");
	n = receive(d, buf, sizeof(buf), from, sizeof(from));
	CHECK(n == 8 && (buf[6] << 8 | buf[7]) == ref_checksum("127.0.0.1",
	    "127.0.0.1", buf, 8), "send: empty payload, checksum right");

	/* Refusals, before any system call. */
	src.ss_family = AF_INET6;
	dst.ss_family = AF_INET6;
	errno = 0;
	CHECK(ice_raw_send(s, WGPORT, NULL, &dst, data, 20) == -1 &&
	    errno == EAFNOSUPPORT, "send refuses an IPv6 destination");
	sockaddr_make(&dst, "127.0.0.1", 0);
	errno = 0;
	CHECK(ice_raw_send(s, WGPORT, NULL, &dst, data, 20) == -1 &&
	    errno == EINVAL, "send refuses destination port 0");
	sockaddr_make(&dst, "127.0.0.1", dport);
	errno = 0;
	CHECK(ice_raw_send(s, 0, NULL, &dst, data, 20) == -1 &&
	    errno == EINVAL, "send refuses source port 0");
	errno = 0;
	CHECK(ice_raw_send(s, WGPORT, NULL, &dst, data, 65535 - 28 + 1) ==
	    -1 && errno == EMSGSIZE, "send refuses more than one datagram");
	errno = 0;
	CHECK(ice_raw_send(s, WGPORT, NULL, &dst, NULL, 4) == -1 &&
	    errno == EINVAL, "send refuses a payload without a buffer");
	sockaddr_make(&src, "192.0.2.99", WGPORT);
	errno = 0;
	CHECK(ice_raw_send(s, WGPORT, &src, &dst, data, 20) == -1,
	    "send from an address not ours fails (%s)", strerror(errno));
	close(s);
	close(d);
}

int
main(void)
{
	test_decode_good();
	test_decode_hostile();
	test_decode_random();
	test_send();
	return failed;
}
