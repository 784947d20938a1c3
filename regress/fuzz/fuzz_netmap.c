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
 * Network maps as a buggy or hostile mgmt might send them, in a compact
 * encoding so that mutations reach the checks: BEGIN, PEER and END in
 * any order with any values go through the parent's receiving path
 * (netbirdd/netmap.c); every map that gets through is compared with the
 * one before, and the difference must add up.
 *
 * Records: an opcode byte (mod 3), then
 *   BEGIN  serial, af, plen, 4 address bytes, npeers, mtu (2), named
 *   PEER   key seed, named, nallowed, then nallowed x (af, plen, 4 bytes)
 *   END    serial, npeers
 * A short record is padded with zeros.  IPv6 addresses are fd00::/8
 * with the 4 bytes at the end.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netbirdd.h"
#include "netmap.h"
#include "wg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct input {
	const uint8_t	*p;
	size_t		 left;
};

static const uint8_t	ourkey[WG_KEY_LEN] = { 0x77, 0x77, 0x77 };

static uint8_t
next(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static void
prefix(struct input *in, struct nbd_prefix *p)
{
	size_t	i;

	memset(p, 0, sizeof(*p));
	p->af = next(in);
	p->af = p->af < 0x80 ? AF_INET : p->af < 0xf0 ? AF_INET6 : p->af;
	p->plen = next(in);
	if (p->af == AF_INET6)
		p->addr[0] = 0xfd;
	for (i = 0; i < 4; i++)
		p->addr[(p->af == AF_INET6 ? 12 : 0) + i] = next(in);
}

static void
name(struct input *in, char *s, size_t size)
{
	memset(s, next(in) & 1 ? 'n' : 0, size);
	if (s[0] != 0)
		s[size - 1] = (next(in) & 1) ? 'x' : 0;
}

static void
check_diff(struct netmap *old, struct netmap *new, int full)
{
	struct netmap_diff	d;
	size_t			i, both = 0;
	struct nm_peer		*p;

	netmap_diff(old, new, full, &d);
	RB_FOREACH(p, nm_peers, &new->peers)
		both += netmap_find(old, p->key) != NULL;
	if (d.nadd + both != new->npeers || d.ndel + both != old->npeers ||
	    d.nwgset > both || d.niceupd > both || d.nupdated > both ||
	    (full && d.nwgset != both))
		abort();
	for (i = 0; i < d.nadd; i++)
		if (netmap_find(old, d.add[i]->key) != NULL)
			abort();
	for (i = 0; i < d.ndel; i++)
		if (netmap_find(new, d.del[i]->key) != NULL)
			abort();
	for (i = 0; i < d.nroute_add; i++)
		if (wg_net_invalid(&d.route_add[i]) != NULL ||
		    wg_prefix_contains(&new->address, &d.route_add[i]))
			abort();
	netmap_diff_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input		 in = { data, size };
	struct netmap_rx	 rx = { NULL, 0 };
	struct nbd_netmap_begin	 b;
	struct nbd_netmap_peer	 p;
	struct nbd_netmap_end	 e;
	struct netmap		*prev, *m;
	uint32_t		 i;

	prev = netmap_new();
	while (in.left > 0) {
		switch (next(&in) % 3) {
		case 0:
			memset(&b, 0, sizeof(b));
			b.serial = next(&in);
			prefix(&in, &b.address);
			b.npeers = next(&in);
			b.mtu = next(&in) << 8;
			b.mtu |= next(&in);
			name(&in, b.fqdn, sizeof(b.fqdn));
			if (netmap_rx_begin(&rx, &b) != NULL)
				netmap_rx_clear(&rx);
			break;
		case 1:
			memset(&p, 0, sizeof(p));
			memset(p.key.key, next(&in), sizeof(p.key.key));
			name(&in, p.fqdn, sizeof(p.fqdn));
			p.nallowed = next(&in) % (NBD_ALLOWED_MAX + 2);
			for (i = 0; i < p.nallowed && i < NBD_ALLOWED_MAX; i++)
				prefix(&in, &p.allowed[i]);
			if (netmap_rx_peer(&rx, &p, ourkey) != NULL)
				netmap_rx_clear(&rx);
			break;
		case 2:
			e.serial = next(&in);
			e.npeers = next(&in);
			if (netmap_rx_end(&rx, &e, &m) != NULL) {
				netmap_rx_clear(&rx);
				break;
			}
			check_diff(prev, m, 0);
			check_diff(prev, m, 1);
			netmap_free(prev);
			prev = m;
			break;
		}
	}
	netmap_rx_clear(&rx);
	netmap_free(prev);
	return 0;
}
