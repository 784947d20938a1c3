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
 * What the parent gives ice of the host's network for peer-to-peer
 * paths (protocol.md 4.8, ARCHITECTURE.md "The data path and ICE"):
 *
 *  - rawsock.c: the raw socket on the WireGuard port.  It receives a
 *    copy of every STUN message to that port (WireGuard, kernel or
 *    wireguard-go, owns the port itself and ignores them), and ice
 *    sends STUN from that port on it (ice_raw.c).  IPv4 only.
 *  - hostaddr.c: the addresses ice offers host candidates on.
 */

#ifndef NBD_HOSTNET_H
#define NBD_HOSTNET_H

#include <stdint.h>

struct ifaddrs;
struct nbd_host_addrs;
struct wg_prefix;

/*
 * A raw UDP socket, non-blocking and close-on-exec, whose locked filter
 * passes only unfragmented IPv4 UDP to port with the STUN magic cookie
 * at payload offset 4, addressed to this host.  af must be AF_INET.
 * Logs and returns -1 on failure.
 */
int	 rawsock_open(int, uint16_t);

/*
 * The IPv4 addresses of interfaces that are up, but not loopback,
 * link-local, on our WireGuard interface (the name), in our overlay
 * prefix (NULL: none yet) or on an interface NetBird leaves out by the
 * start of its name (tunnels, containers, other VPNs).  At most
 * NBD_HOST_ADDRS_MAX, each once; returns how many it found (more than
 * NBD_HOST_ADDRS_MAX: some were left out).
 */
size_t	 hostaddr_filter(const struct ifaddrs *, const char *,
	    const struct wg_prefix *, struct nbd_host_addrs *);
/* The same from getifaddrs(3); -1 if it fails (logged). */
int	 hostaddr_collect(const char *, const struct wg_prefix *,
	    struct nbd_host_addrs *);

#endif
