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
 * The host addresses the parent gives ice (netbirdd/hostaddr.c), from
 * made-up interface lists: which interfaces and addresses are left out
 * and why, prefix lengths, duplicates, and the cap.  Then the real list
 * of this host, which must at least not offer loopback.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "netbirdd.h"
#include "hostnet.h"
#include "wg.h"

#define IFS_MAX		64

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

struct fake {
	struct ifaddrs		ifa[IFS_MAX];
	struct sockaddr_in	addr[IFS_MAX];
	struct sockaddr_in	mask[IFS_MAX];
	struct sockaddr_in6	addr6[IFS_MAX];
	char			name[IFS_MAX][IFNAMSIZ];
	size_t			n;
};

static struct fake	fk;

/* An interface address: IPv4 "a.b.c.d/len", or IPv6 "x::y". */
static void
add(const char *name, unsigned int flags, const char *addr)
{
	struct ifaddrs	*ifa = &fk.ifa[fk.n];
	char		 buf[64], *slash;
	uint32_t	 m;
	int		 len = 32;

	if (fk.n == IFS_MAX)
		abort();
	memset(ifa, 0, sizeof(*ifa));
	strlcpy(fk.name[fk.n], name, sizeof(fk.name[fk.n]));
	ifa->ifa_name = fk.name[fk.n];
	ifa->ifa_flags = flags;
	strlcpy(buf, addr, sizeof(buf));
	if (strchr(buf, ':') != NULL) {
		fk.addr6[fk.n].sin6_family = AF_INET6;
		inet_pton(AF_INET6, buf, &fk.addr6[fk.n].sin6_addr);
		ifa->ifa_addr = (struct sockaddr *)&fk.addr6[fk.n];
	} else {
		if ((slash = strchr(buf, '/')) != NULL) {
			*slash = '\0';
			len = atoi(slash + 1);
			m = len == 0 ? 0 : 0xffffffffU << (32 - len);
			fk.mask[fk.n].sin_family = AF_INET;
			fk.mask[fk.n].sin_addr.s_addr = htonl(m);
			ifa->ifa_netmask = (struct sockaddr *)&fk.mask[fk.n];
		}
		fk.addr[fk.n].sin_family = AF_INET;
		inet_pton(AF_INET, buf, &fk.addr[fk.n].sin_addr);
		ifa->ifa_addr = (struct sockaddr *)&fk.addr[fk.n];
	}
	if (fk.n > 0)
		fk.ifa[fk.n - 1].ifa_next = ifa;
	fk.n++;
}

static int
has(const struct nbd_host_addrs *ha, const char *addr, int plen)
{
	struct in_addr	a;
	uint32_t	i;

	inet_pton(AF_INET, addr, &a);
	for (i = 0; i < ha->n; i++)
		if (ha->addr[i].af == AF_INET &&
		    memcmp(ha->addr[i].addr, &a, 4) == 0)
			return plen == -1 || ha->addr[i].plen == plen;
	return 0;
}

#define UP	(IFF_UP | IFF_RUNNING)

static void
test_filter(void)
{
	static const char *const left_out[] = {
		"wt0", "wt7", "utun3", "tun0", "zt12", "ZeroTier1", "wg0",
		"tailscale0", "Tailscale", "ts0", "docker0", "veth12ab",
		"br-4f2a", "lo2", "nbwg"
	};
	struct nbd_host_addrs	 ha;
	struct wg_prefix	 overlay;
	char			 a[32];
	size_t			 i, total;

	memset(&fk, 0, sizeof(fk));
	add("eth0", UP, "10.213.0.5/24");
	add("eth0", UP, "10.213.0.6/24");		/* secondary */
	add("eth1", UP, "192.0.2.10");			/* no netmask */
	add("eth2", 0, "198.51.100.2/24");		/* down */
	add("eth3", UP | IFF_LOOPBACK, "203.0.113.1/24");
	add("eth4", UP, "127.0.0.2/8");
	add("eth5", UP, "169.254.10.20/16");
	add("eth6", UP, "100.64.3.4/10");		/* ours */
	add("eth7", UP, "100.127.0.1/16");		/* ours too */
	add("eth8", UP, "100.128.0.1/16");		/* outside it */
	add("eth9", UP, "fd00::5");			/* IPv6: not yet */
	add("eth10", UP, "10.213.0.5/24");		/* a duplicate */
	add("eth11", UP, "0.0.0.0/0");
	add("eth12", UP, "224.0.0.251/32");
	add("bridge0", UP, "172.16.5.1/16");		/* "br-" only */
	add("enp0s3", UP, "192.0.2.77/25");
	for (i = 0; i < nitems(left_out); i++) {
		snprintf(a, sizeof(a), "172.20.%zu.1/24", i);
		add(left_out[i], UP, a);
	}

	wg_prefix_pton("100.64.0.1/10", &overlay);
	total = hostaddr_filter(fk.ifa, "nbwg", &overlay, &ha);
	CHECK(ha.n == 6 && total == 6, "6 addresses offered (%u)", ha.n);
	CHECK(has(&ha, "10.213.0.5", 24) && has(&ha, "10.213.0.6", 24),
	    "eth0: both addresses, /24");
	CHECK(has(&ha, "192.0.2.10", 32), "eth1: no netmask, /32");
	CHECK(has(&ha, "100.128.0.1", 16), "just outside the overlay: kept");
	CHECK(has(&ha, "172.16.5.1", 16), "bridge0 is not br-: kept");
	CHECK(has(&ha, "192.0.2.77", 25), "enp0s3: /25");
	CHECK(!has(&ha, "198.51.100.2", -1), "interface down: left out");
	CHECK(!has(&ha, "203.0.113.1", -1), "loopback interface: left out");
	CHECK(!has(&ha, "127.0.0.2", -1), "127/8 address: left out");
	CHECK(!has(&ha, "169.254.10.20", -1), "link-local: left out");
	CHECK(!has(&ha, "100.64.3.4", -1) && !has(&ha, "100.127.0.1", -1),
	    "inside our overlay prefix 100.64.0.0/10: left out");
	CHECK(!has(&ha, "0.0.0.0", -1) && !has(&ha, "224.0.0.251", -1),
	    "0.0.0.0 and multicast: left out");
	for (i = 0; i < nitems(left_out); i++) {
		snprintf(a, sizeof(a), "172.20.%zu.1", i);
		CHECK(!has(&ha, a, -1), "interface %s: left out",
		    left_out[i]);
	}
	for (i = 0; i < ha.n; i++)
		if (ha.addr[i].af != AF_INET)
			break;
	CHECK(i == ha.n, "IPv4 only");

	total = hostaddr_filter(fk.ifa, "nbwg", NULL, &ha);
	CHECK(ha.n == 8 && has(&ha, "100.64.3.4", 10) &&
	    has(&ha, "100.127.0.1", 16),
	    "before the first map (no overlay): 8 addresses");
	total = hostaddr_filter(NULL, "nbwg", NULL, &ha);
	CHECK(ha.n == 0 && total == 0, "no interfaces: nothing");
}

static void
test_cap(void)
{
	struct nbd_host_addrs	ha;
	char			a[32];
	size_t			i, total;

	memset(&fk, 0, sizeof(fk));
	for (i = 0; i < NBD_HOST_ADDRS_MAX + 5; i++) {
		snprintf(a, sizeof(a), "10.1.%zu.1/24", i);
		add("eth0", UP, a);
	}
	total = hostaddr_filter(fk.ifa, "wt0", NULL, &ha);
	CHECK(ha.n == NBD_HOST_ADDRS_MAX && total == NBD_HOST_ADDRS_MAX + 5,
	    "%d addresses: %u kept, %zu found", NBD_HOST_ADDRS_MAX + 5, ha.n,
	    total);
	CHECK(has(&ha, "10.1.0.1", 24) && has(&ha, "10.1.31.1", 24) &&
	    !has(&ha, "10.1.32.1", -1), "the first %d, in order",
	    NBD_HOST_ADDRS_MAX);
}

static void
test_host(void)
{
	struct nbd_host_addrs	ha;
	uint32_t		i;
	int			loop = 0;

	if (hostaddr_collect("wt0", NULL, &ha) == -1) {
		CHECK(0, "getifaddrs on this host");
		return;
	}
	for (i = 0; i < ha.n; i++)
		if (ha.addr[i].addr[0] == 127)
			loop = 1;
	CHECK(ha.n <= NBD_HOST_ADDRS_MAX && !loop,
	    "this host: %u addresses, no loopback", ha.n);
}

int
main(void)
{
	log_init(1, LOG_DAEMON);
	test_filter();
	test_cap();
	test_host();
	return failed;
}
