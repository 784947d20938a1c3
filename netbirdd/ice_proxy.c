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
 * The local end of a relayed path: WireGuard's endpoint for the peer is
 * this socket's address on 127.0.0.1.  The socket is connected to
 * WireGuard's port, so the kernel hands us only what WireGuard sends;
 * it goes to the callback.  What comes from the remote is sent to
 * WireGuard at once or dropped (and counted): no queue, no blocking.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event.h>

#include "log.h"
#include "netbirdd.h"
#include "ice.h"

#define PROXY_BURST	64		/* datagrams read per event */

struct ice_proxy {
	int			 fd;
	int			 busy;		/* in proxy_read */
	int			 dead;		/* freed meanwhile */
	struct event		 ev;
	struct sockaddr_storage	 addr;
	void			(*cb)(void *, const uint8_t *, size_t);
	void			*arg;
	struct ice_proxy_stats	 stats;
};

static int	proxy_socket(uint16_t, struct sockaddr_storage *);
static void	proxy_read(int, short, void *);

/* One process, one thread: the largest UDP datagram fits. */
static uint8_t	proxy_buf[65536];

struct ice_proxy *
ice_proxy_new(uint16_t wg_port, void (*cb)(void *, const uint8_t *, size_t),
    void *arg)
{
	struct ice_proxy	*p;

	if (wg_port == 0) {
		log_warnx("%s: no WireGuard port", __func__);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		log_warn("%s: calloc", __func__);
		return NULL;
	}
	if ((p->fd = proxy_socket(wg_port, &p->addr)) == -1) {
		free(p);
		return NULL;
	}
	p->cb = cb;
	p->arg = arg;
	event_assign(&p->ev, penv.evbase, p->fd, EV_READ | EV_PERSIST,
	    proxy_read, p);
	if (event_add(&p->ev, NULL) == -1)
		fatalx("%s: event_add", __func__);
	return p;
}

void
ice_proxy_addr(const struct ice_proxy *p, struct sockaddr_storage *ss)
{
	*ss = p->addr;
}

/* 0: WireGuard has it; -1: dropped (would block, or nobody listens). */
int
ice_proxy_deliver(struct ice_proxy *p, const uint8_t *data, size_t len)
{
	if (p->dead || send(p->fd, data, len, 0) == -1) {
		p->stats.drops++;
		return -1;
	}
	p->stats.to_wg++;
	p->stats.to_wg_bytes += len;
	return 0;
}

void
ice_proxy_stats(const struct ice_proxy *p, struct ice_proxy_stats *st)
{
	*st = p->stats;
}

void
ice_proxy_free(struct ice_proxy *p)
{
	if (p == NULL || p->dead)
		return;
	event_del(&p->ev);
	close(p->fd);
	p->fd = -1;
	if (p->busy) {
		p->dead = 1;
		return;
	}
	free(p);
}

/* Bound to 127.0.0.1, any port; connected to 127.0.0.1:wg_port. */
static int
proxy_socket(uint16_t wg_port, struct sockaddr_storage *addr)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(*addr);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		log_warn("%s: socket", __func__);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		goto fail;
	sin.sin_port = htons(wg_port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)addr, &len) == -1)
		goto fail;
	return fd;
 fail:
	log_warn("%s: to WireGuard port %u", __func__, wg_port);
	close(fd);
	return -1;
}

static void
proxy_read(int fd, short ev, void *arg)
{
	struct ice_proxy	*p = arg;
	ssize_t			 n;
	int			 i;

	(void)ev;
	p->busy = 1;
	for (i = 0; i < PROXY_BURST && !p->dead; i++) {
		if ((n = recv(fd, proxy_buf, sizeof(proxy_buf), 0)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			/* What we sent found no WireGuard: ICMP. */
			if (errno == ECONNREFUSED)
				continue;
			log_warn("%s: recv", __func__);
			break;
		}
		p->stats.from_wg++;
		p->stats.from_wg_bytes += n;
		p->cb(p->arg, proxy_buf, n);
	}
	p->busy = 0;
	if (p->dead)
		free(p);
}
