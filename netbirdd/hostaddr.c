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
 * The addresses ice offers host candidates on, read by the parent (ice
 * cannot: no netlink in its sandbox).  As NetBird's agent gathers them:
 * interfaces that are up and not loopback, and not those whose name
 * starts as one of NetBird's default interface blacklist (its own
 * "wt", other WireGuard and VPN tunnels, containers and bridges, "lo").
 * Of their addresses, IPv4 only (the raw socket is IPv4), not link-local
 * (169.254/16) or loopback, not on our WireGuard interface and not in
 * our overlay prefix: a path through the tunnel for the tunnel is none.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <net/if.h>

#include <ifaddrs.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "netbirdd.h"
#include "hostnet.h"
#include "wg.h"

static int	hostaddr_name_ok(const char *, const char *);
static int	hostaddr_addr_ok(const struct wg_prefix *,
		    const struct wg_prefix *);
static uint8_t	hostaddr_plen(const struct sockaddr *);
static int	hostaddr_seen(const struct nbd_host_addrs *,
		    const struct wg_prefix *);

/* NetBird's defaultInterfaceBlacklist, matched at the start of a name. */
static const char *const hostaddr_blacklist[] = {
	"wt", "utun", "tun0", "zt", "ZeroTier", "wg", "ts", "Tailscale",
	"tailscale", "docker", "veth", "br-", "lo"
};

static int
hostaddr_name_ok(const char *name, const char *wgname)
{
	size_t	i;

	if (strcmp(name, wgname) == 0)
		return 0;
	for (i = 0; i < nitems(hostaddr_blacklist); i++)
		if (strncmp(name, hostaddr_blacklist[i],
		    strlen(hostaddr_blacklist[i])) == 0)
			return 0;
	return 1;
}

static int
hostaddr_addr_ok(const struct wg_prefix *a, const struct wg_prefix *overlay)
{
	uint32_t	v = ntohl(a->addr.v4.s_addr);

	if ((v >> 24) == 0 || (v >> 24) == 127 || (v >> 16) == 0xa9fe ||
	    IN_MULTICAST(v) || IN_EXPERIMENTAL(v))
		return 0;
	return overlay == NULL || overlay->af != AF_INET ||
	    !wg_prefix_contains(overlay, a);
}

/* The length of an IPv4 netmask; 32 without one. */
static uint8_t
hostaddr_plen(const struct sockaddr *mask)
{
	struct sockaddr_in	sin;
	uint32_t		m;
	uint8_t			n = 0;

	if (mask == NULL || mask->sa_family != AF_INET)
		return 32;
	memcpy(&sin, mask, sizeof(sin));
	for (m = ntohl(sin.sin_addr.s_addr); m & 0x80000000U; m <<= 1)
		n++;
	return n;
}

static int
hostaddr_seen(const struct nbd_host_addrs *out, const struct wg_prefix *a)
{
	uint32_t	i;

	for (i = 0; i < out->n; i++)
		if (memcmp(out->addr[i].addr, &a->addr.v4, 4) == 0)
			return 1;
	return 0;
}

size_t
hostaddr_filter(const struct ifaddrs *list, const char *wgname,
    const struct wg_prefix *overlay, struct nbd_host_addrs *out)
{
	const struct ifaddrs	*ifa;
	struct sockaddr_in	 sin;
	struct wg_prefix	 a;
	size_t			 total = 0;

	memset(out, 0, sizeof(*out));
	for (ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL ||
		    ifa->ifa_addr->sa_family != AF_INET ||
		    ifa->ifa_name == NULL ||
		    (ifa->ifa_flags & IFF_UP) == 0 ||
		    (ifa->ifa_flags & IFF_LOOPBACK) != 0 ||
		    !hostaddr_name_ok(ifa->ifa_name, wgname))
			continue;
		memcpy(&sin, ifa->ifa_addr, sizeof(sin));
		memset(&a, 0, sizeof(a));
		a.af = AF_INET;
		a.plen = 32;
		a.addr.v4 = sin.sin_addr;
		if (!hostaddr_addr_ok(&a, overlay) || hostaddr_seen(out, &a))
			continue;
		total++;
		if (out->n == NBD_HOST_ADDRS_MAX)
			continue;
		out->addr[out->n].af = AF_INET;
		out->addr[out->n].plen = hostaddr_plen(ifa->ifa_netmask);
		memcpy(out->addr[out->n].addr, &a.addr.v4, 4);
		out->n++;
	}
	return total;
}

int
hostaddr_collect(const char *wgname, const struct wg_prefix *overlay,
    struct nbd_host_addrs *out)
{
	static int	 warned;
	struct ifaddrs	*list;
	size_t		 total;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&list) == -1) {
		log_warn("%s: getifaddrs", __func__);
		return -1;
	}
	total = hostaddr_filter(list, wgname, overlay, out);
	freeifaddrs(list);
	if (total > out->n && !warned) {
		log_warnx("%zu host addresses: candidates on the first %d "
		    "only", total, NBD_HOST_ADDRS_MAX);
		warned = 1;
	}
	return 0;
}
