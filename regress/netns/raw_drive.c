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
 * The raw socket of the WireGuard port as the parent opens it
 * (netbirdd/rawsock.c) and ice uses it (netbirdd/ice_raw.c), for
 * rawsock.sh.  usage: raw_drive PORT
 *
 * Prints "locked" if the filter cannot be taken off, then "ready", then
 * for every datagram the socket gives:
 *	got SRC:PORT DST:PORT PAYLOAD-LENGTH	decoded
 *	undecodable LENGTH			not
 * and answers each decoded one from PORT three times: "pinned" with
 * ice_raw_send() from the address it was sent to (checksummed),
 * "any" with ice_raw_send() and no source (checksum 0), and "badsum",
 * written here with a checksum that cannot be right.  Exits 0 when
 * stdin closes.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "netbirdd.h"
#include "hostnet.h"
#include "ice.h"

static const char *
addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)ss;
	char				 a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	return buf;
}

/*
 * From port to dst with a checksum of the right length and position:
 * the sum of a datagram is never 0x0000 on the wire, and 0xffff stands
 * for a sum of 0; any other value is wrong unless it happens to be the
 * sum, which rawsock.sh checks.
 */
static ssize_t
send_badsum(int fd, uint16_t port, const struct sockaddr_storage *dst)
{
	struct sockaddr_in	to;
	uint8_t			pkt[8 + 6];

	memcpy(&to, dst, sizeof(to));
	pkt[0] = port >> 8;
	pkt[1] = port & 0xff;
	memcpy(pkt + 2, &to.sin_port, 2);
	pkt[4] = 0;
	pkt[5] = sizeof(pkt);
	pkt[6] = 0x12;
	pkt[7] = 0x34;
	memcpy(pkt + 8, "badsum", 6);
	to.sin_port = 0;
	return sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to,
	    sizeof(to));
}

static void
answer(int fd, uint16_t port, const uint8_t *pkt, size_t len)
{
	struct sockaddr_storage	 src, dst;
	const uint8_t		*payload;
	char			 s[64], d[64];
	size_t			 plen;

	if (ice_raw_decode(pkt, len, port, &src, &dst, &payload,
	    &plen) == -1) {
		printf("undecodable %zu\n", len);
		return;
	}
	printf("got %s %s %zu\n", addr(&src, s, sizeof(s)),
	    addr(&dst, d, sizeof(d)), plen);
	if (ice_raw_send(fd, port, &dst, &src, "pinned", 6) != 8 + 6)
		log_warn("send pinned");
	if (ice_raw_send(fd, port, NULL, &src, "any", 3) != 8 + 3)
		log_warn("send any");
	if (send_badsum(fd, port, &src) != 14)
		log_warn("send badsum");
}

int
main(int argc, char *argv[])
{
	struct pollfd	 pfd[2];
	uint8_t		 buf[ICE_RAW_MAX], junk[64];
	const char	*errstr;
	ssize_t		 n;
	uint16_t	 port;
	int		 fd, zero = 0;

	log_init(1, LOG_DAEMON);
	log_procinit("raw_drive");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2)
		fatalx("usage: raw_drive port");
	port = strtonum(argv[1], 1, 65535, &errstr);
	if (errstr != NULL)
		fatalx("port %s: %s", argv[1], errstr);
	if ((fd = rawsock_open(AF_INET, port)) == -1)
		return 1;
	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &zero,
	    sizeof(zero)) == -1 && errno == EPERM)
		printf("locked\n");
	else
		log_warn("SO_DETACH_FILTER did not fail with EPERM");
	printf("ready\n");

	pfd[0].fd = fd;
	pfd[1].fd = STDIN_FILENO;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1)
			fatal("poll");
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			if (read(STDIN_FILENO, junk, sizeof(junk)) <= 0)
				break;
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		while ((n = recv(fd, buf, sizeof(buf), 0)) != -1)
			answer(fd, port, buf, n);
		if (errno != EAGAIN)
			fatal("recv");
	}
	close(fd);
	return 0;
}
