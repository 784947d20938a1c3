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
 * Unit tests for the parent's side of the network map (netmap.c): the
 * checks on every message mgmt sends, the BEGIN/PEER/END sequence with
 * hostile orders and counts, the difference between an applied map and
 * a new one (peers to add, remove, set again, tell ice about; routes to
 * add and remove), and the check of IMSG_MGMT_CONFIG.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netbirdd.h"
#include "netmap.h"
#include "wg.h"

static int	 failed;
static uint8_t	 ourkey[WG_KEY_LEN];

static void	 check(int, const char *);
static void	 check_why(const char *, const char *, const char *);
static struct nbd_prefix pfx(const char *);
static struct wg_prefix wpfx(const char *);
static void	 begin(struct nbd_netmap_begin *, uint64_t, const char *,
		    uint32_t);
static void	 peer(struct nbd_netmap_peer *, int, const char *, ...);
static struct netmap *map_build(uint64_t, const char *, int, ...);
static int	 has_peer(struct nm_peer **, size_t, int);
static int	 has_route(const struct wg_prefix *, size_t, const char *);
static void	 test_begin_checks(void);
static void	 test_peer_checks(void);
static void	 test_sequences(void);
static void	 test_peer_import(void);
static void	 test_diff(void);
static void	 test_diff_address(void);
static void	 test_diff_first_and_same(void);
static void	 test_diff_full(void);
static void	 test_routes(void);
static void	 peer_n(struct nbd_netmap_peer *, uint32_t, int);
static void	 test_large(void);
static void	 test_netbird_config(void);
static void	 test_endpoint_import(void);
static void	 test_endpoint_apply(void);

static void
check(int ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failed = 1;
}

/* The check refuses (or accepts, want NULL) with that reason. */
static void
check_why(const char *got, const char *want, const char *what)
{
	char	buf[256];

	if (want == NULL) {
		snprintf(buf, sizeof(buf), "%s: accepted%s%s", what,
		    got ? ", but: " : "", got ? got : "");
		check(got == NULL, buf);
		return;
	}
	snprintf(buf, sizeof(buf), "%s: refused, \"%s\"", what,
	    got ? got : "(accepted)");
	check(got != NULL && strcmp(got, want) == 0, buf);
}

static struct nbd_prefix
pfx(const char *s)
{
	struct wg_prefix	w;
	struct nbd_prefix	p;

	if (wg_prefix_pton(s, &w) == -1) {
		fprintf(stderr, "bad prefix in test: %s\n", s);
		exit(1);
	}
	memset(&p, 0, sizeof(p));
	p.af = w.af;
	p.plen = w.plen;
	memcpy(p.addr, &w.addr, w.af == AF_INET ? 4 : 16);
	return p;
}

static struct wg_prefix
wpfx(const char *s)
{
	struct wg_prefix	w;

	if (wg_prefix_pton(s, &w) == -1) {
		fprintf(stderr, "bad prefix in test: %s\n", s);
		exit(1);
	}
	return w;
}

static void
begin(struct nbd_netmap_begin *b, uint64_t serial, const char *addr,
    uint32_t npeers)
{
	memset(b, 0, sizeof(*b));
	b->serial = serial;
	b->address = pfx(addr);
	strlcpy(b->fqdn, "self.netbird.selfhosted", sizeof(b->fqdn));
	b->npeers = npeers;
}

/* Peer number n (its key is n in every byte), allowed IPs, NULL. */
static void
peer(struct nbd_netmap_peer *p, int n, const char *fqdn, ...)
{
	va_list		 ap;
	const char	*a;

	memset(p, 0, sizeof(*p));
	memset(p->key.key, n, sizeof(p->key.key));
	strlcpy(p->fqdn, fqdn, sizeof(p->fqdn));
	va_start(ap, fqdn);
	while ((a = va_arg(ap, const char *)) != NULL)
		p->allowed[p->nallowed++] = pfx(a);
	va_end(ap);
}

/*
 * A map through the real receiving path: npeers peers, each given as
 * a number, a name and one allowed IP.
 */
static struct netmap *
map_build(uint64_t serial, const char *addr, int npeers, ...)
{
	struct netmap_rx	 rx = { NULL, 0 };
	struct nbd_netmap_begin	 b;
	struct nbd_netmap_peer	 p;
	struct nbd_netmap_end	 e;
	struct netmap		*m = NULL;
	const char		*why, *name, *ip;
	va_list			 ap;
	int			 i, n;

	begin(&b, serial, addr, npeers);
	if ((why = netmap_rx_begin(&rx, &b)) != NULL)
		goto bad;
	va_start(ap, npeers);
	for (i = 0; i < npeers; i++) {
		n = va_arg(ap, int);
		name = va_arg(ap, const char *);
		ip = va_arg(ap, const char *);
		peer(&p, n, name, ip, NULL);
		if ((why = netmap_rx_peer(&rx, &p, ourkey)) != NULL) {
			va_end(ap);
			goto bad;
		}
	}
	va_end(ap);
	e.serial = serial;
	e.npeers = npeers;
	if ((why = netmap_rx_end(&rx, &e, &m)) != NULL)
		goto bad;
	return m;
 bad:
	fprintf(stderr, "map_build: %s\n", why);
	exit(1);
}

static int
has_peer(struct nm_peer **list, size_t n, int num)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (list[i]->key[0] == num)
			return 1;
	return 0;
}

static int
has_route(const struct wg_prefix *r, size_t n, const char *s)
{
	struct wg_prefix	w = wpfx(s);
	size_t			i;

	for (i = 0; i < n; i++)
		if (r[i].af == w.af && r[i].plen == w.plen &&
		    memcmp(&r[i].addr, &w.addr, w.af == AF_INET ? 4 : 16) == 0)
			return 1;
	return 0;
}

static void
test_begin_checks(void)
{
	struct nbd_netmap_begin	b;

	begin(&b, 1, "100.64.0.5/16", 3);
	check_why(netmap_begin_invalid(&b), NULL, "BEGIN: a good one");
	b.mtu = 1280;
	check_why(netmap_begin_invalid(&b), NULL, "BEGIN: MTU 1280");
	b.mtu = 100;
	check_why(netmap_begin_invalid(&b), "MTU out of range",
	    "BEGIN: MTU 100");
	b.mtu = 9000;
	check_why(netmap_begin_invalid(&b), "MTU out of range",
	    "BEGIN: MTU 9000");
	begin(&b, 1, "100.64.0.5/16", 3);
	memset(b.fqdn, 'a', sizeof(b.fqdn));
	check_why(netmap_begin_invalid(&b), "unterminated FQDN",
	    "BEGIN: FQDN without its NUL");
	begin(&b, 1, "100.64.0.5/16", NBD_PEERS_MAX);
	check_why(netmap_begin_invalid(&b), NULL, "BEGIN: NBD_PEERS_MAX peers");
	b.npeers = NBD_PEERS_MAX + 1;
	check_why(netmap_begin_invalid(&b), "too many peers",
	    "BEGIN: NBD_PEERS_MAX + 1 peers");
	b.npeers = UINT32_MAX;
	check_why(netmap_begin_invalid(&b), "too many peers",
	    "BEGIN: 2^32 - 1 peers");
	begin(&b, 1, "100.64.0.5/16", 0);
	b.address.af = 0;
	check_why(netmap_begin_invalid(&b), "bad address family",
	    "BEGIN: address family 0");
	b.address.af = AF_UNIX;
	check_why(netmap_begin_invalid(&b), "bad address family",
	    "BEGIN: address family AF_UNIX");
	begin(&b, 1, "fd00::5/64", 0);
	check_why(netmap_begin_invalid(&b), "our address is not IPv4",
	    "BEGIN: an IPv6 address");
	begin(&b, 1, "100.64.0.5/16", 0);
	b.address.plen = 33;
	check_why(netmap_begin_invalid(&b), "IPv4 prefix length over 32",
	    "BEGIN: prefix length 33");
	b.address.plen = 255;
	check_why(netmap_begin_invalid(&b), "IPv4 prefix length over 32",
	    "BEGIN: prefix length 255");
	b.address.plen = 0;
	check_why(netmap_begin_invalid(&b), "our address has prefix length 0",
	    "BEGIN: prefix length 0");
	begin(&b, 1, "0.0.0.0/16", 0);
	check_why(netmap_begin_invalid(&b), "our address is 0.0.0.0",
	    "BEGIN: address 0.0.0.0");
	begin(&b, 1, "100.64.0.5/32", 0);
	check_why(netmap_begin_invalid(&b), NULL, "BEGIN: a /32 address");
}

static void
test_peer_checks(void)
{
	struct nbd_netmap_peer	p;
	int			i;

	peer(&p, 2, "a.netbird.selfhosted", "100.64.0.2/32", NULL);
	check_why(netmap_peer_invalid(&p, ourkey), NULL, "PEER: a good one");
	peer(&p, 2, "", "100.64.0.2/32", "fd00::2/128", "10.1.0.0/16", NULL);
	check_why(netmap_peer_invalid(&p, ourkey), NULL,
	    "PEER: no name, IPv6 and a network");
	memset(p.fqdn, 'x', sizeof(p.fqdn));
	check_why(netmap_peer_invalid(&p, ourkey), "unterminated FQDN",
	    "PEER: FQDN without its NUL");
	peer(&p, 0, "a", "100.64.0.2/32", NULL);
	check_why(netmap_peer_invalid(&p, ourkey), "all-zero key",
	    "PEER: all-zero key");
	peer(&p, 0x77, "a", "100.64.0.2/32", NULL);
	check_why(netmap_peer_invalid(&p, ourkey), "our own key",
	    "PEER: our own key");
	peer(&p, 2, "a", NULL);
	check_why(netmap_peer_invalid(&p, ourkey), "no allowed IPs",
	    "PEER: no allowed IPs");
	peer(&p, 2, "a", NULL);
	for (i = 0; i < NBD_ALLOWED_MAX; i++)
		p.allowed[p.nallowed++] = pfx("100.64.0.2/32");
	check_why(netmap_peer_invalid(&p, ourkey), NULL,
	    "PEER: NBD_ALLOWED_MAX allowed IPs");
	p.nallowed = NBD_ALLOWED_MAX + 1;
	check_why(netmap_peer_invalid(&p, ourkey), "too many allowed IPs",
	    "PEER: NBD_ALLOWED_MAX + 1 allowed IPs");
	p.nallowed = UINT32_MAX;
	check_why(netmap_peer_invalid(&p, ourkey), "too many allowed IPs",
	    "PEER: 2^32 - 1 allowed IPs");
	peer(&p, 2, "a", "100.64.0.2/32", "100.64.0.3/32", NULL);
	p.allowed[1].af = 99;
	check_why(netmap_peer_invalid(&p, ourkey), "bad address family",
	    "PEER: second allowed IP of family 99");
	peer(&p, 2, "a", "100.64.0.2/32", NULL);
	p.allowed[0].plen = 33;
	check_why(netmap_peer_invalid(&p, ourkey), "IPv4 prefix length over 32",
	    "PEER: allowed IP /33");
	peer(&p, 2, "a", "fd00::2/128", NULL);
	p.allowed[0].plen = 129;
	check_why(netmap_peer_invalid(&p, ourkey),
	    "IPv6 prefix length over 128", "PEER: allowed IP /129");
	peer(&p, 2, "a", "10.1.2.3/24", NULL);
	check_why(netmap_peer_invalid(&p, ourkey), "host bits set in network",
	    "PEER: allowed IP 10.1.2.3/24");
	peer(&p, 2, "a", "fd00::1/64", NULL);
	check_why(netmap_peer_invalid(&p, ourkey), "host bits set in network",
	    "PEER: allowed IP fd00::1/64");
	peer(&p, 2, "a", "0.0.0.0/0", NULL);
	check_why(netmap_peer_invalid(&p, ourkey),
	    "allowed IP with prefix length 0", "PEER: allowed IP 0.0.0.0/0");
	peer(&p, 2, "a", "::/0", NULL);
	check_why(netmap_peer_invalid(&p, ourkey),
	    "allowed IP with prefix length 0", "PEER: allowed IP ::/0");
}

static void
test_sequences(void)
{
	struct netmap_rx	 rx = { NULL, 0 };
	struct nbd_netmap_begin	 b;
	struct nbd_netmap_peer	 p;
	struct nbd_netmap_end	 e = { 7, 2 };
	struct netmap		*m = NULL;

	peer(&p, 2, "a", "100.64.0.2/32", NULL);
	check_why(netmap_rx_peer(&rx, &p, ourkey), "PEER outside a map",
	    "sequence: PEER without BEGIN");
	check_why(netmap_rx_end(&rx, &e, &m), "END outside a map",
	    "sequence: END without BEGIN");

	begin(&b, 7, "100.64.0.5/16", 2);
	check_why(netmap_rx_begin(&rx, &b), NULL, "sequence: BEGIN");
	check_why(netmap_rx_begin(&rx, &b), "BEGIN inside a map",
	    "sequence: a second BEGIN");
	check_why(netmap_rx_peer(&rx, &p, ourkey), NULL, "sequence: PEER 1");
	check_why(netmap_rx_peer(&rx, &p, ourkey), "duplicate peer",
	    "sequence: the same key again");
	check_why(netmap_rx_end(&rx, &e, &m),
	    "fewer peers than BEGIN announced",
	    "sequence: END after 1 of 2 peers");
	peer(&p, 3, "b", "100.64.0.3/32", NULL);
	check_why(netmap_rx_peer(&rx, &p, ourkey), NULL, "sequence: PEER 2");
	peer(&p, 4, "c", "100.64.0.4/32", NULL);
	check_why(netmap_rx_peer(&rx, &p, ourkey),
	    "more peers than BEGIN announced", "sequence: a third PEER of 2");
	e.serial = 8;
	check_why(netmap_rx_end(&rx, &e, &m), "serial differs from BEGIN",
	    "sequence: END with serial 8 after BEGIN 7");
	e.serial = 7;
	e.npeers = 3;
	check_why(netmap_rx_end(&rx, &e, &m), "peer count differs from BEGIN",
	    "sequence: END with 3 peers after BEGIN 2");
	e.npeers = 2;
	check_why(netmap_rx_end(&rx, &e, &m), NULL, "sequence: END");
	check(m != NULL && m->npeers == 2 && m->serial == 7,
	    "sequence: the map has serial 7 and 2 peers");
	check(rx.map == NULL, "sequence: nothing left under way");
	netmap_free(m);

	/* Zero peers is a map too: everyone left. */
	begin(&b, 9, "100.64.0.5/16", 0);
	e.serial = 9;
	e.npeers = 0;
	m = NULL;
	check(netmap_rx_begin(&rx, &b) == NULL &&
	    netmap_rx_end(&rx, &e, &m) == NULL && m != NULL && m->npeers == 0,
	    "sequence: a map of no peers");
	netmap_free(m);

	/* A refused PEER leaves the map under way: the parent dies then. */
	begin(&b, 10, "100.64.0.5/16", 1);
	peer(&p, 0x77, "me", "100.64.0.5/32", NULL);
	check(netmap_rx_begin(&rx, &b) == NULL &&
	    netmap_rx_peer(&rx, &p, ourkey) != NULL && rx.map != NULL &&
	    rx.map->npeers == 0, "sequence: a refused PEER is not counted");
	netmap_rx_clear(&rx);
	check(rx.map == NULL, "sequence: cleared");
}

static void
test_peer_import(void)
{
	struct netmap_rx	 rx = { NULL, 0 };
	struct nbd_netmap_begin	 b;
	struct nbd_netmap_peer	 p;
	struct nm_peer		*np;
	uint8_t			 key[WG_KEY_LEN];
	char			 buf[WG_PREFIX_STRLEN];

	begin(&b, 1, "100.64.0.5/16", 2);
	netmap_rx_begin(&rx, &b);
	peer(&p, 2, "a", "fd00::2/128", "10.0.0.0/8", "100.64.0.2/32",
	    "100.64.0.9/32", "10.0.0.0/8", NULL);
	check(netmap_rx_peer(&rx, &p, ourkey) == NULL, "import: accepted");
	memset(key, 2, sizeof(key));
	np = netmap_find(rx.map, key);
	check(np != NULL && np->nallowed == 4,
	    "import: a repeated allowed IP is kept once");
	check(np != NULL && wg_prefix_ntop(&np->address, buf,
	    sizeof(buf)) == 0 && strcmp(buf, "100.64.0.2/32") == 0,
	    "import: the address is the first IPv4 host");
	peer(&p, 3, "b", "fd00::3/128", "10.3.0.0/16", NULL);
	netmap_rx_peer(&rx, &p, ourkey);
	memset(key, 3, sizeof(key));
	np = netmap_find(rx.map, key);
	check(np != NULL && np->address.af == 0,
	    "import: no IPv4 host, no address");
	netmap_rx_clear(&rx);
}

static void
test_diff(void)
{
	struct netmap		*old, *new;
	struct netmap_diff	 d;

	old = map_build(5, "100.64.0.5/16", 4,
	    1, "one", "100.64.0.1/32",
	    2, "two", "100.64.0.2/32",
	    3, "three", "10.9.0.0/24",
	    5, "five", "100.64.0.6/32");
	new = map_build(6, "100.64.0.5/16", 4,
	    1, "one", "100.64.0.1/32",
	    2, "two-renamed", "100.64.0.2/32",
	    3, "three", "10.8.0.0/24",
	    4, "four", "100.65.0.1/32");
	netmap_diff(old, new, 0, &d);
	check(d.nadd == 1 && has_peer(d.add, d.nadd, 4), "diff: peer 4 added");
	check(d.ndel == 1 && has_peer(d.del, d.ndel, 5),
	    "diff: peer 5 removed");
	check(d.nwgset == 1 && has_peer(d.wgset, d.nwgset, 3),
	    "diff: peer 3 gets its new allowed IPs, no one else");
	check(d.niceupd == 1 && has_peer(d.iceupd, d.niceupd, 2),
	    "diff: ice hears of peer 2's new name, of no one else");
	check(d.nupdated == 2, "diff: 2 peers updated");
	check(!d.address_changed && !d.full, "diff: address unchanged");
	check(d.nroute_del == 1 && has_route(d.route_del, d.nroute_del,
	    "10.9.0.0/24"), "diff: the route to 10.9.0.0/24 goes");
	check(d.nroute_add == 2 && has_route(d.route_add, d.nroute_add,
	    "10.8.0.0/24") && has_route(d.route_add, d.nroute_add,
	    "100.65.0.1/32"),
	    "diff: routes to 10.8.0.0/24 and 100.65.0.1/32 come");
	netmap_diff_free(&d);
	netmap_free(old);
	netmap_free(new);
}

static void
test_diff_address(void)
{
	struct netmap		*old, *new;
	struct netmap_diff	 d;

	old = map_build(5, "100.64.0.5/16", 2,
	    1, "one", "100.64.0.1/32",
	    2, "two", "10.9.0.0/24");
	new = map_build(5, "100.66.0.5/16", 2,
	    1, "one", "100.64.0.1/32",
	    2, "two", "10.9.0.0/24");
	netmap_diff(old, new, 0, &d);
	check(d.address_changed, "new address: noticed");
	check(d.nadd == 0 && d.ndel == 0 && d.nwgset == 0 && d.niceupd == 0,
	    "new address: peers as they were");
	check(d.nroute_del == 1 && has_route(d.route_del, d.nroute_del,
	    "10.9.0.0/24"), "new address: every old route removed");
	check(d.nroute_add == 2 && has_route(d.route_add, d.nroute_add,
	    "10.9.0.0/24") && has_route(d.route_add, d.nroute_add,
	    "100.64.0.1/32"),
	    "new address: every route added, 100.64.0.1 now outside");
	netmap_diff_free(&d);

	/* A longer prefix: same address, other network. */
	netmap_free(new);
	new = map_build(5, "100.64.0.5/24", 1, 1, "one", "100.64.1.1/32");
	netmap_diff(old, new, 0, &d);
	check(d.address_changed && d.nroute_add == 1 &&
	    has_route(d.route_add, d.nroute_add, "100.64.1.1/32"),
	    "new prefix length: a route for what left the prefix");
	netmap_diff_free(&d);
	netmap_free(old);
	netmap_free(new);
}

static void
test_diff_first_and_same(void)
{
	struct netmap		*empty, *m, *again;
	struct netmap_diff	 d;

	empty = netmap_new();
	m = map_build(1, "100.64.0.5/16", 3,
	    1, "one", "100.64.0.1/32",
	    2, "two", "100.64.0.2/32",
	    3, "three", "192.168.7.0/24");
	netmap_diff(empty, m, 0, &d);
	check(d.address_changed && d.nadd == 3 && d.ndel == 0 &&
	    d.nwgset == 0 && d.nupdated == 0,
	    "first map: address set, every peer added");
	check(d.nroute_add == 1 && d.nroute_del == 0,
	    "first map: one route, for 192.168.7.0/24");
	netmap_diff_free(&d);

	again = map_build(1, "100.64.0.5/16", 3,
	    3, "three", "192.168.7.0/24",
	    2, "two", "100.64.0.2/32",
	    1, "one", "100.64.0.1/32");
	netmap_diff(m, again, 0, &d);
	check(!d.address_changed && d.nadd + d.ndel + d.nwgset + d.niceupd +
	    d.nupdated + d.nroute_add + d.nroute_del == 0,
	    "the same map again, in another order: nothing to do");
	netmap_diff_free(&d);

	netmap_diff(m, empty, 0, &d);
	check(d.ndel == 3 && d.nadd == 0 && d.nroute_del == 1,
	    "no address and no peers after a map: all removed");
	netmap_diff_free(&d);
	netmap_free(empty);
	netmap_free(m);
	netmap_free(again);
}

static void
test_diff_full(void)
{
	struct netmap		*old, *new;
	struct netmap_diff	 d;

	old = map_build(1, "100.64.0.5/16", 2,
	    1, "one", "100.64.0.1/32",
	    2, "two", "10.2.0.0/16");
	new = map_build(2, "100.64.0.5/16", 2,
	    1, "one", "100.64.0.1/32",
	    3, "three", "100.64.0.3/32");
	netmap_diff(old, new, 1, &d);
	check(d.full && !d.address_changed, "after a failure: full");
	check(d.nwgset == 1 && has_peer(d.wgset, d.nwgset, 1) &&
	    d.nadd == 1 && d.ndel == 1 && d.nupdated == 0,
	    "after a failure: unchanged peers set again, not counted");
	check(d.nroute_del == 1 && d.nroute_add == 0,
	    "after a failure: every route done again");
	netmap_diff_free(&d);
	netmap_free(old);
	netmap_free(new);
}

static void
test_routes(void)
{
	struct netmap		*m;
	struct wg_prefix	*r;
	size_t			 n;

	m = map_build(1, "100.64.0.5/16", 5,
	    1, "one", "10.1.0.0/16",
	    2, "two", "10.1.0.0/16",
	    3, "three", "100.64.255.255/32",
	    4, "four", "fd00::4/128",
	    5, "five", "100.63.255.255/32");
	n = netmap_routes(m, &r);
	check(n == 3 && has_route(r, n, "10.1.0.0/16") &&
	    has_route(r, n, "fd00::4/128") &&
	    has_route(r, n, "100.63.255.255/32"),
	    "routes: outside the prefix only, a shared one once");
	free(r);
	netmap_free(m);
}

/* Peer number i: key bytes from i, address 100.64.x.y, one /32. */
static void
peer_n(struct nbd_netmap_peer *p, uint32_t i, int moved)
{
	char	a[32];

	snprintf(a, sizeof(a), "100.%u.%u.%u/32", moved ? 65 : 64,
	    (i >> 8) & 0xff, i & 0xff);
	peer(p, 1, "n", a, NULL);
	memcpy(p->key.key, &i, sizeof(i));
}

static void
test_large(void)
{
	struct netmap_rx	 rx = { NULL, 0 };
	struct nbd_netmap_begin	 b;
	struct nbd_netmap_peer	 p;
	struct nbd_netmap_end	 e;
	struct netmap		*a = NULL, *c = NULL;
	struct netmap_diff	 d;
	struct timespec		 t0, t1;
	uint32_t		 i, n = NBD_PEERS_MAX;
	int			 ok = 1, round;
	char			 buf[128];

	for (round = 0; round < 2; round++) {
		begin(&b, round + 1, "100.64.0.5/16", n);
		ok &= netmap_rx_begin(&rx, &b) == NULL;
		for (i = 0; i < n; i++) {
			/* the second map moves every other peer */
			peer_n(&p, i, round == 1 && i % 2 == 0);
			ok &= netmap_rx_peer(&rx, &p, ourkey) == NULL;
		}
		e.serial = round + 1;
		e.npeers = n;
		ok &= netmap_rx_end(&rx, &e, round == 0 ? &a : &c) == NULL;
	}
	check(ok && a != NULL && c != NULL && a->npeers == n &&
	    c->npeers == n, "large: two maps of NBD_PEERS_MAX peers");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	netmap_diff(a, c, 0, &d);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	snprintf(buf, sizeof(buf), "large: half the peers moved, half the "
	    "routes new (diff in %.1f ms)", (t1.tv_sec - t0.tv_sec) * 1e3 +
	    (t1.tv_nsec - t0.tv_nsec) / 1e6);
	check(d.nwgset == n / 2 && d.nupdated == n / 2 &&
	    d.nroute_add == n / 2 && d.nroute_del == 0, buf);
	netmap_diff_free(&d);
	netmap_free(a);
	netmap_free(c);
}

static void
test_netbird_config(void)
{
	struct nbd_netbird_config	c;

	memset(&c, 0, sizeof(c));
	strlcpy(c.signal_uri, "signal.example:443", sizeof(c.signal_uri));
	c.signal_tls = 1;
	c.nstun = NBD_SERVERS_MAX;
	c.metrics_enabled = -1;
	check_why(netbird_config_invalid(&c), NULL, "config: a good one");
	c.nturn = NBD_SERVERS_MAX + 1;
	check_why(netbird_config_invalid(&c), "too many servers",
	    "config: 9 TURN servers");
	c.nturn = 0;
	c.nrelay = UINT32_MAX;
	check_why(netbird_config_invalid(&c), "too many servers",
	    "config: 2^32 - 1 relays");
	c.nrelay = 0;
	c.signal_tls = 2;
	check_why(netbird_config_invalid(&c), "signal TLS neither 0 nor 1",
	    "config: signal TLS 2");
	c.signal_tls = 0;
	memset(c.signal_uri, 'a', sizeof(c.signal_uri));
	check_why(netbird_config_invalid(&c), "unterminated signal URI",
	    "config: signal URI without its NUL");
	c.signal_uri[0] = '\0';
	memset(c.stun[NBD_SERVERS_MAX - 1], 's', CTL_URL_LEN);
	check_why(netbird_config_invalid(&c), "unterminated server URI",
	    "config: last STUN URI without its NUL");
	memset(c.stun, 0, sizeof(c.stun));
	memset(c.turn[3].password, 'p', sizeof(c.turn[3].password));
	check_why(netbird_config_invalid(&c), "unterminated TURN credentials",
	    "config: a TURN password without its NUL");
	memset(c.turn, 0, sizeof(c.turn));
	memset(c.relay_token_signature, 't', sizeof(c.relay_token_signature));
	check_why(netbird_config_invalid(&c), "unterminated relay token",
	    "config: relay token signature without its NUL");
	c.relay_token_signature[0] = '\0';
	c.metrics_enabled = 2;
	check_why(netbird_config_invalid(&c), "metrics flag out of range",
	    "config: metrics flag 2");
}

static struct nbd_wg_endpoint
endpoint(int n, int af, const char *addr, uint16_t port)
{
	struct nbd_wg_endpoint	 e;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&e.endpoint;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&e.endpoint;

	memset(&e, 0, sizeof(e));
	memset(e.key.key, n, sizeof(e.key.key));
	e.endpoint.ss_family = af;
	if (af == AF_INET) {
		sin->sin_port = htons(port);
		inet_pton(AF_INET, addr, &sin->sin_addr);
	} else if (af == AF_INET6) {
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &sin6->sin6_addr);
	}
	return e;
}

/* IMSG_WG_ENDPOINT as a buggy or hostile ice might send it. */
static void
test_endpoint_import(void)
{
	struct nbd_wg_endpoint	 e;
	union wg_sockaddr	 ep;
	char			 s[WG_ENDPOINT_STRLEN];

	e = endpoint(1, AF_INET, "198.51.100.7", 40123);
	/* Garbage after the address: sin_zero and the rest of the storage. */
	memset((uint8_t *)&e.endpoint + 8, 0xee, sizeof(e.endpoint) - 8);
	check_why(netmap_endpoint_import(&e, &ep), NULL, "endpoint: IPv4");
	check(wg_endpoint_ntop(&ep, s, sizeof(s)) == 0 &&
	    strcmp(s, "198.51.100.7:40123") == 0 &&
	    memcmp(ep.sin.sin_zero, "\0\0\0\0\0\0\0\0", 8) == 0,
	    "endpoint: address and port taken, nothing else of the buffer");
	e = endpoint(1, AF_INET, "127.0.0.1", 33000);
	check_why(netmap_endpoint_import(&e, &ep), NULL,
	    "endpoint: 127.0.0.1 (a relay proxy)");
	e = endpoint(1, AF_INET6, "2001:db8::7", 51820);
	((struct sockaddr_in6 *)&e.endpoint)->sin6_flowinfo = 0x12345;
	((struct sockaddr_in6 *)&e.endpoint)->sin6_scope_id = 9;
	check_why(netmap_endpoint_import(&e, &ep), NULL, "endpoint: IPv6");
	check(ep.sin6.sin6_flowinfo == 0 && ep.sin6.sin6_scope_id == 0,
	    "endpoint: global IPv6 keeps neither flow label nor scope");
	e = endpoint(1, AF_INET6, "fe80::1", 51820);
	((struct sockaddr_in6 *)&e.endpoint)->sin6_scope_id = 3;
	check(netmap_endpoint_import(&e, &ep) == NULL &&
	    ep.sin6.sin6_scope_id == 3, "endpoint: link-local keeps its scope");
	e = endpoint(1, AF_UNSPEC, NULL, 0);
	memset((uint8_t *)&e.endpoint + 2, 0xee, sizeof(e.endpoint) - 2);
	check(netmap_endpoint_import(&e, &ep) == NULL &&
	    ep.sa.sa_family == AF_UNSPEC, "endpoint: AF_UNSPEC removes");

	e = endpoint(1, AF_INET, "198.51.100.7", 0);
	check_why(netmap_endpoint_import(&e, &ep), "endpoint port 0",
	    "endpoint: IPv4 port 0");
	e = endpoint(1, AF_INET6, "2001:db8::7", 0);
	check_why(netmap_endpoint_import(&e, &ep), "endpoint port 0",
	    "endpoint: IPv6 port 0");
	e = endpoint(1, AF_INET, "0.0.0.0", 1);
	check_why(netmap_endpoint_import(&e, &ep),
	    "endpoint not a unicast address", "endpoint: 0.0.0.0");
	e = endpoint(1, AF_INET, "255.255.255.255", 1);
	check_why(netmap_endpoint_import(&e, &ep),
	    "endpoint not a unicast address", "endpoint: broadcast");
	e = endpoint(1, AF_INET, "239.1.1.1", 1);
	check_why(netmap_endpoint_import(&e, &ep),
	    "endpoint not a unicast address", "endpoint: IPv4 multicast");
	e = endpoint(1, AF_INET6, "::", 1);
	check_why(netmap_endpoint_import(&e, &ep),
	    "endpoint not a unicast address", "endpoint: IPv6 unspecified");
	e = endpoint(1, AF_INET6, "ff02::1", 1);
	check_why(netmap_endpoint_import(&e, &ep),
	    "endpoint not a unicast address", "endpoint: IPv6 multicast");
	e = endpoint(1, AF_UNIX, NULL, 0);
	check_why(netmap_endpoint_import(&e, &ep),
	    "bad endpoint address family", "endpoint: AF_UNIX");
	e = endpoint(1, AF_INET, "198.51.100.7", 1);
	e.endpoint.ss_family = 0xffff;
	check_why(netmap_endpoint_import(&e, &ep),
	    "bad endpoint address family", "endpoint: family 65535");
	e = endpoint(0, AF_INET, "198.51.100.7", 1);
	check_why(netmap_endpoint_import(&e, &ep), "all-zero key",
	    "endpoint: all-zero key");
}

/* A WireGuard backend that only writes down what it is asked. */
static struct wg_peer	fake_peers[4];
static size_t		fake_n, fake_calls;
static int		fake_fail;

static int
fake_peers_set(struct wg_iface *wg, const struct wg_peer *p, size_t n)
{
	(void)wg;
	fake_calls++;
	fake_n = MINIMUM(n, nitems(fake_peers));
	memcpy(fake_peers, p, fake_n * sizeof(*p));
	return fake_fail ? -1 : 0;
}

static void
test_endpoint_apply(void)
{
	static const struct wg_ops	 ops = { "fake", WG_BACKEND_USERSPACE,
					    NULL, NULL, fake_peers_set, NULL };
	struct wg_iface			 wg;
	struct netmap			*m;
	struct nbd_wg_endpoint		 e;
	union wg_sockaddr		 ep;
	struct wg_prefix		 w;
	char				 s[WG_ENDPOINT_STRLEN];

	memset(&wg, 0, sizeof(wg));
	wg.ops = &ops;
	strlcpy(wg.ifname, "wt0", sizeof(wg.ifname));
	m = map_build(1, "100.64.0.1/16", 2, 1, "a", "100.64.0.2/32",
	    2, "b", "10.20.0.0/16");

	e = endpoint(1, AF_INET, "198.51.100.7", 40123);
	netmap_endpoint_import(&e, &ep);
	fake_calls = 0;
	check(netmap_endpoint_apply(m, &wg, e.key.key, &ep, 0) == 0 &&
	    fake_calls == 1 && fake_n == 2,
	    "endpoint set: one WireGuard exchange, the peer twice");
	check(fake_n == 2 && fake_peers[0].pubkey[0] == 1 &&
	    fake_peers[0].keepalive == 0 &&
	    fake_peers[0].endpoint.sa.sa_family == AF_UNSPEC,
	    "endpoint set: keepalive off first, so that it turns on");
	check(fake_n == 2 && fake_peers[1].pubkey[0] == 1 &&
	    fake_peers[1].flags == 0 && fake_peers[1].keepalive == 25 &&
	    fake_peers[1].nallowed == 0 &&
	    wg_endpoint_ntop(&fake_peers[1].endpoint, s, sizeof(s)) == 0 &&
	    strcmp(s, "198.51.100.7:40123") == 0,
	    "endpoint set: peer 1, 198.51.100.7:40123, keepalive 25, "
	    "allowed IPs untouched");

	e = endpoint(2, AF_UNSPEC, NULL, 0);
	netmap_endpoint_import(&e, &ep);
	fake_calls = 0;
	w = wpfx("10.20.0.0/16");
	check(netmap_endpoint_apply(m, &wg, e.key.key, &ep, 0) == 0 &&
	    fake_calls == 1 && fake_n == 2,
	    "endpoint removed: one WireGuard exchange, two steps");
	check(fake_n == 2 && fake_peers[0].pubkey[0] == 2 &&
	    fake_peers[0].flags == WG_PEER_REMOVE,
	    "endpoint removed: peer 2 removed");
	check(fake_n == 2 && fake_peers[1].pubkey[0] == 2 &&
	    fake_peers[1].flags == WG_PEER_REPLACE_ALLOWED &&
	    fake_peers[1].keepalive == 0 &&
	    fake_peers[1].endpoint.sa.sa_family == AF_UNSPEC &&
	    fake_peers[1].nallowed == 1 &&
	    memcmp(&fake_peers[1].allowed[0], &w, sizeof(w)) == 0,
	    "endpoint removed: peer 2 added again with 10.20.0.0/16 from the "
	    "map, keepalive off");

	e = endpoint(3, AF_INET, "198.51.100.7", 40123);
	netmap_endpoint_import(&e, &ep);
	fake_calls = 0;
	check(netmap_endpoint_apply(m, &wg, e.key.key, &ep, 0) == 0 &&
	    fake_calls == 0, "endpoint for a peer not in the map: dropped");

	e = endpoint(1, AF_INET, "198.51.100.7", 40123);
	netmap_endpoint_import(&e, &ep);
	fake_fail = 1;
	check(netmap_endpoint_apply(m, &wg, e.key.key, &ep, 0) == -1,
	    "endpoint: WireGuard's refusal is reported");
	fake_fail = 0;
	netmap_free(m);
}

int
main(void)
{
	memset(ourkey, 0x77, sizeof(ourkey));
	test_begin_checks();
	test_peer_checks();
	test_sequences();
	test_peer_import();
	test_diff();
	test_diff_address();
	test_diff_first_and_same();
	test_diff_full();
	test_routes();
	test_large();
	test_netbird_config();
	test_endpoint_import();
	test_endpoint_apply();
	return failed;
}
