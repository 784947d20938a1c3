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
 * The network map in the parent (netmap.c): mgmt sends it as BEGIN,
 * one PEER per peer and END; the parent checks every message, builds
 * the new map beside the applied one, computes the difference and
 * applies it to the interface in one go, then tells signal and ice.
 *
 * The receiving, the checks and the difference are pure functions, so
 * that the unit test can drive them; netmap_begin(), netmap_peer() and
 * netmap_end() are the parent's entry points and treat a bad message as
 * fatal.
 */

#ifndef NBD_NETMAP_H
#define NBD_NETMAP_H

#include <sys/tree.h>

#include "netbirdd.h"
#include "wg.h"

#define NETMAP_KEY_GRACE	60	/* seconds a removed peer's key
					   may still be asked for */

struct nm_peer {
	RB_ENTRY(nm_peer)	 entry;
	uint8_t			 key[WG_KEY_LEN];
	char			 fqdn[CTL_NAME_LEN];
	struct wg_prefix	 address;	/* first IPv4 /32; af 0: none */
	struct wg_prefix	*allowed;	/* sorted, no duplicates */
	size_t			 nallowed;
	int			 endpoint;	/* ice gave one */
};
RB_HEAD(nm_peers, nm_peer);
RB_PROTOTYPE(nm_peers, nm_peer, entry, nm_peer_cmp)

struct netmap {
	uint64_t		 serial;
	struct wg_prefix	 address;	/* ours; af 0: none yet */
	char			 fqdn[CTL_NAME_LEN];
	uint16_t		 mtu;		/* 0: management said none */
	uint32_t		 npeers;
	struct nm_peers		 peers;
};

/* A map on its way in: between BEGIN and END, map is not NULL. */
struct netmap_rx {
	struct netmap		*map;
	uint32_t		 expect;	/* npeers of BEGIN */
};

/*
 * From an applied map to a new one.  Peers point into the new map,
 * except del, which points into the old one.
 */
struct netmap_diff {
	struct nm_peer		**add;		/* new peers */
	struct nm_peer		**del;		/* peers that left */
	struct nm_peer		**wgset;	/* allowed IPs to replace */
	struct nm_peer		**iceupd;	/* name or address changed */
	size_t			  nadd, ndel, nwgset, niceupd;
	size_t			  nupdated;	/* peers changed in any way */
	struct wg_prefix	 *route_add;
	struct wg_prefix	 *route_del;
	size_t			  nroute_add, nroute_del;
	int			  address_changed;
	int			  full;		/* everything set again */
};

/* Pure parts: no system, no imsg.  A reason, or NULL when fine. */
struct netmap	*netmap_new(void);
void		 netmap_free(struct netmap *);
struct nm_peer	*netmap_find(struct netmap *, const uint8_t *);
const char	*netmap_prefix_import(const struct nbd_prefix *,
		    struct wg_prefix *);
const char	*netmap_begin_invalid(const struct nbd_netmap_begin *);
const char	*netmap_peer_invalid(const struct nbd_netmap_peer *,
		    const uint8_t *);
const char	*netmap_rx_begin(struct netmap_rx *,
		    const struct nbd_netmap_begin *);
const char	*netmap_rx_peer(struct netmap_rx *,
		    const struct nbd_netmap_peer *, const uint8_t *);
const char	*netmap_rx_end(struct netmap_rx *,
		    const struct nbd_netmap_end *, struct netmap **);
void		 netmap_rx_clear(struct netmap_rx *);
size_t		 netmap_routes(struct netmap *, struct wg_prefix **);
void		 netmap_diff(struct netmap *, struct netmap *, int,
		    struct netmap_diff *);
void		 netmap_diff_free(struct netmap_diff *);
const char	*netmap_endpoint_import(const struct nbd_wg_endpoint *,
		    union wg_sockaddr *);
int		 netmap_endpoint_apply(struct netmap *, struct wg_iface *,
		    const uint8_t *, const union wg_sockaddr *, int);

/* The parent's side: fatal on a bad message. */
void		 netmap_begin(const struct nbd_netmap_begin *);
void		 netmap_peer(const struct nbd_netmap_peer *);
const char	*netmap_end(const struct nbd_netmap_end *, struct wg_iface *,
		    struct imsgev *, struct imsgev *);
int		 netmap_key_allowed(const uint8_t *);
void		 netmap_wg_endpoint(struct wg_iface *,
		    const struct nbd_wg_endpoint *);
const struct wg_prefix *netmap_address(void);
void		 netmap_wg_stats(struct wg_iface *, struct imsgev *, uint32_t);
void		 netmap_status(struct ctl_status *);
void		 netmap_peers_connected(uint32_t);
struct netmap	*netmap_current(void);

#endif
