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
 * PeerSystemMeta: the facts about this system that NetBird's Linux
 * client reports at login and in Sync, gathered once before the chroot
 * (hostname, uname, os-release, DMI, the addresses of the interfaces
 * that have a MAC address).  Kept stable across reconnects, as the
 * server's login filter hashes some of them.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netbirdd.h"
#include "mgmt.h"

#define OSRELEASE_MAX	(16 * 1024)
#define DMI_DIR		"/sys/class/dmi/id/"
#define MAC_MAX		8	/* bytes of a hardware address we show */

struct ifmac {
	char		 name[IFNAMSIZ];
	char		 mac[24];
};

static int	 file_read(const char *, char *, size_t);
static void	 ascii_only(char *);
static void	 dmi_read(const char *, char *, size_t);
static void	 meta_osrelease(struct mgmt_meta *);
static void	 meta_dmi(struct mgmt_meta *);
static void	 meta_addrs(struct mgmt_meta *);
static size_t	 meta_macs(struct ifaddrs *, struct ifmac *, size_t);
static int	 addr_usable(const struct sockaddr *);
static int	 mask_len(const struct sockaddr *);

void
mgmt_meta_gather(struct mgmt_meta *m)
{
	struct utsname	u;

	memset(m, 0, sizeof(*m));
	if (gethostname(m->hostname, sizeof(m->hostname)) == -1)
		log_warn("gethostname");
	m->hostname[sizeof(m->hostname) - 1] = '\0';
	if (uname(&u) == 0) {
		strlcpy(m->kernel, u.sysname, sizeof(m->kernel));
		strlcpy(m->kernel_version, u.release,
		    sizeof(m->kernel_version));
		strlcpy(m->platform, u.machine, sizeof(m->platform));
	} else
		log_warn("uname");
	meta_osrelease(m);
	if (m->os[0] == '\0')
		strlcpy(m->os, m->kernel, sizeof(m->os));
	meta_dmi(m);
	meta_addrs(m);

	/* Protobuf strings must be UTF-8: keep plain ASCII only. */
	ascii_only(m->hostname);
	ascii_only(m->kernel);
	ascii_only(m->kernel_version);
	ascii_only(m->platform);
	ascii_only(m->os);
	ascii_only(m->os_version);
	log_debug("system: %s, %s %s %s, %s %s, %zu addresses", m->hostname,
	    m->kernel, m->kernel_version, m->platform, m->os, m->os_version,
	    m->naddrs);
}

/* A string that is not printable ASCII is not reported at all. */
static void
ascii_only(char *s)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e) {
			s[0] = '\0';
			return;
		}
	}
}

/* A small file, NUL terminated; its length or -1. */
static int
file_read(const char *path, char *buf, size_t size)
{
	ssize_t	n;
	size_t	got = 0;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (got < size - 1 &&
	    (n = read(fd, buf + got, size - 1 - got)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

/*
 * The value of KEY= in os-release(5) text: the rest of the line, without
 * the quotes around it, backslash escapes inside double quotes undone.
 * Returns 0, or -1 when the key is missing or the value does not fit.
 */
int
mgmt_osrelease_get(const char *text, const char *key, char *out,
    size_t outlen)
{
	const char	*line, *v, *end;
	size_t		 klen = strlen(key), n = 0;
	char		 q = '\0';

	for (line = text; line != NULL && *line != '\0';
	    line = (end = strchr(line, '\n')) ? end + 1 : NULL) {
		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		v = line + klen + 1;
		if ((end = strchr(v, '\n')) == NULL)
			end = v + strlen(v);
		while (end > v && (end[-1] == ' ' || end[-1] == '\t' ||
		    end[-1] == '\r'))
			end--;
		if (end - v >= 2 && (*v == '"' || *v == '\'') &&
		    end[-1] == *v) {
			q = *v++;
			end--;
		}
		for (; v < end; v++) {
			if (q == '"' && *v == '\\' && v + 1 < end)
				v++;
			if (n + 1 >= outlen)
				return -1;
			out[n++] = *v;
		}
		out[n] = '\0';
		return 0;
	}
	return -1;
}

static void
meta_osrelease(struct mgmt_meta *m)
{
	static char	buf[OSRELEASE_MAX];

	if (file_read("/etc/os-release", buf, sizeof(buf)) == -1 &&
	    file_read("/usr/lib/os-release", buf, sizeof(buf)) == -1) {
		log_debug("no os-release");
		return;
	}
	if (mgmt_osrelease_get(buf, "NAME", m->os, sizeof(m->os)) == -1)
		m->os[0] = '\0';
	if (mgmt_osrelease_get(buf, "VERSION_ID", m->os_version,
	    sizeof(m->os_version)) == -1)
		m->os_version[0] = '\0';
}

/* One DMI attribute, trimmed; empty when missing or not ASCII. */
static void
dmi_read(const char *name, char *out, size_t outlen)
{
	char	path[64];
	int	n;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s%s", DMI_DIR, name);
	if ((n = file_read(path, out, outlen)) == -1) {
		out[0] = '\0';
		return;
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	ascii_only(out);
}

/*
 * As NetBird: the chassis serial, else the product serial ("Default
 * string" only when nothing better), else the board's; the product name,
 * else the board's; the vendor.  Serials are readable by root only.
 */
static void
meta_dmi(struct mgmt_meta *m)
{
	char	s[MGMT_META_STR];

	dmi_read("chassis_serial", m->serial, sizeof(m->serial));
	if (m->serial[0] == '\0' ||
	    strcmp(m->serial, "Default string") == 0) {
		dmi_read("product_serial", s, sizeof(s));
		if (s[0] != '\0')
			strlcpy(m->serial, s, sizeof(m->serial));
	}
	if (m->serial[0] == '\0')
		dmi_read("board_serial", m->serial, sizeof(m->serial));
	dmi_read("product_name", m->product, sizeof(m->product));
	if (m->product[0] == '\0')
		dmi_read("board_name", m->product, sizeof(m->product));
	dmi_read("sys_vendor", m->manufacturer, sizeof(m->manufacturer));
}

/* Interfaces that are up and have a non-zero hardware address. */
static size_t
meta_macs(struct ifaddrs *ifap, struct ifmac *macs, size_t max)
{
	struct ifaddrs		*ifa;
	struct sockaddr_ll	*sll;
	size_t			 n = 0, i;
	int			 nonzero;
	char			*p;

	for (ifa = ifap; ifa != NULL && n < max; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL ||
		    ifa->ifa_addr->sa_family != AF_PACKET ||
		    !(ifa->ifa_flags & IFF_UP))
			continue;
		sll = (struct sockaddr_ll *)ifa->ifa_addr;
		if (sll->sll_halen == 0 || sll->sll_halen > MAC_MAX)
			continue;
		for (i = 0, nonzero = 0; i < sll->sll_halen; i++)
			nonzero |= sll->sll_addr[i] != 0;
		if (!nonzero)
			continue;
		strlcpy(macs[n].name, ifa->ifa_name, sizeof(macs[n].name));
		p = macs[n].mac;
		for (i = 0; i < sll->sll_halen; i++, p += 3)
			snprintf(p, 4, "%02x%s", sll->sll_addr[i],
			    i + 1 < sll->sll_halen ? ":" : "");
		n++;
	}
	return n;
}

static int
addr_usable(const struct sockaddr *sa)
{
	const struct in6_addr	*a6;
	uint32_t		 a4;

	if (sa->sa_family == AF_INET) {
		a4 = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
		return (a4 >> 24) != 127 && (a4 >> 16) != 0xa9fe &&
		    (a4 >> 28) != 0xe;
	}
	if (sa->sa_family == AF_INET6) {
		a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return !IN6_IS_ADDR_LOOPBACK(a6) &&
		    !IN6_IS_ADDR_LINKLOCAL(a6) && !IN6_IS_ADDR_MULTICAST(a6);
	}
	return 0;
}

static int
mask_len(const struct sockaddr *sa)
{
	const uint8_t	*b;
	size_t		 len, i;
	int		 n = 0;

	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		b = (const uint8_t *)
		    &((const struct sockaddr_in *)sa)->sin_addr;
		len = 4;
	} else if (sa->sa_family == AF_INET6) {
		b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		len = 16;
	} else
		return -1;
	for (i = 0; i < len; i++)
		n += __builtin_popcount(b[i]);
	return n;
}

/*
 * Every address of an interface that is up and has a MAC, except
 * loopback, link-local and multicast, as "address/length" with the MAC;
 * each address once.
 */
static void
meta_addrs(struct mgmt_meta *m)
{
	struct ifaddrs		*ifap, *ifa;
	struct ifmac		 macs[64];
	struct mgmt_netaddr	*na;
	const void		*a;
	char			 ip[INET6_ADDRSTRLEN];
	size_t			 nmacs, i, j;
	int			 plen;

	if (getifaddrs(&ifap) == -1) {
		log_warn("getifaddrs");
		return;
	}
	nmacs = meta_macs(ifap, macs, nitems(macs));
	for (ifa = ifap; ifa != NULL && m->naddrs < MGMT_META_ADDRS;
	    ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL || !addr_usable(ifa->ifa_addr) ||
		    (plen = mask_len(ifa->ifa_netmask)) == -1)
			continue;
		for (i = 0; i < nmacs; i++)
			if (strcmp(macs[i].name, ifa->ifa_name) == 0)
				break;
		if (i == nmacs)
			continue;
		a = ifa->ifa_addr->sa_family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)
		    ifa->ifa_addr)->sin_addr :
		    (const void *)&((struct sockaddr_in6 *)
		    ifa->ifa_addr)->sin6_addr;
		if (inet_ntop(ifa->ifa_addr->sa_family, a, ip,
		    sizeof(ip)) == NULL)
			continue;
		na = &m->addrs[m->naddrs];
		snprintf(na->netip, sizeof(na->netip), "%s/%d", ip, plen);
		for (j = 0; j < m->naddrs; j++)
			if (strcmp(m->addrs[j].netip, na->netip) == 0)
				break;
		if (j < m->naddrs)
			continue;
		strlcpy(na->mac, macs[i].mac, sizeof(na->mac));
		m->naddrs++;
	}
	freeifaddrs(ifap);
}

/*
 * The PeerSystemMeta sent in Login and Sync.  Flags say what netbirdd
 * does not do: no routes (client or server), no DNS, no firewall, no
 * IPv6 overlay, no SSH server.  No capability is advertised: not
 * SourcePrefixes (firewall rules are not applied), not IPv6Overlay, and
 * never ComponentNetworkMap; syncMessageVersion stays 0 so that the
 * server sends the expanded NetworkMap.
 */
void
mgmt_meta_pb(struct mgmt_meta_pb *pb, struct mgmt_meta *m)
{
	Management__PeerSystemMeta	*meta = &pb->meta;
	size_t				 i;

	management__peer_system_meta__init(meta);
	management__flags__init(&pb->flags);
	meta->hostname = m->hostname;
	meta->goos = "linux";
	meta->kernel = m->kernel;
	meta->core = m->os_version;
	meta->platform = m->platform;
	meta->os = m->os;
	meta->netbirdversion = MGMT_NETBIRD_VERSION;
	meta->kernelversion = m->kernel_version;
	meta->osversion = m->os_version;
	meta->sysserialnumber = m->serial;
	meta->sysproductname = m->product;
	meta->sysmanufacturer = m->manufacturer;
	for (i = 0; i < m->naddrs; i++) {
		management__network_address__init(&pb->addr[i]);
		pb->addr[i].netip = m->addrs[i].netip;
		pb->addr[i].mac = m->addrs[i].mac;
		pb->addrp[i] = &pb->addr[i];
	}
	meta->n_networkaddresses = m->naddrs;
	meta->networkaddresses = pb->addrp;
	pb->flags.disableclientroutes = 1;
	pb->flags.disableserverroutes = 1;
	pb->flags.disabledns = 1;
	pb->flags.disablefirewall = 1;
	pb->flags.disableipv6 = 1;
	meta->flags = &pb->flags;
	meta->syncmessageversion = 0;
}
