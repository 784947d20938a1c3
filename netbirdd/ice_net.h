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
 * Between ice_net.c and ice_agent.c only.
 *
 * Every agent registers with the network layer under its local ufrag
 * and a 32-bit id that is unique among the agents alive.  The id is the
 * first four bytes of the transaction id of every request the agent
 * sends (the other eight are random), so that a response on the raw
 * socket finds its agent without a table of transactions; id 0 is the
 * network layer's own Binding requests to STUN servers.  A request
 * finds its agent by the first half of its USERNAME.
 */

#ifndef NBD_ICE_NET_H
#define NBD_ICE_NET_H

#include <sys/tree.h>

#include "ice.h"

#define ICE_NET_HOSTS_MAX	32	/* = NBD_HOST_ADDRS_MAX */
#define ICE_NET_SRFLX_MAX	8	/* = NBD_SERVERS_MAX */

struct ice_net_agent {
	RB_ENTRY(ice_net_agent)	 by_id;
	RB_ENTRY(ice_net_agent)	 by_ufrag;
	uint32_t		 id;
	const char		*ufrag;
	struct ice_agent	*agent;
};

/* ice_net.c, for the agents */
void	 ice_net_agent_add(struct ice_net_agent *, struct ice_agent *,
	    const char *);
void	 ice_net_agent_del(struct ice_net_agent *);
void	 ice_net_tid(const struct ice_net_agent *,
	    uint8_t [ICE_STUN_TID_LEN]);
uint32_t ice_net_tid_owner(const uint8_t [ICE_STUN_TID_LEN]);
/* From our WireGuard port; src NULL: any local address. */
int	 ice_net_send(const struct sockaddr_storage *,
	    const struct sockaddr_storage *, const void *, size_t);
/* Host addresses with the WireGuard port, and our mapped addresses. */
size_t	 ice_net_hosts(struct sockaddr_storage *, size_t);
size_t	 ice_net_srflx(struct sockaddr_storage *, size_t);
/* The TURN server agents use; -1 when there is none. */
int	 ice_net_turn(struct sockaddr_storage *, const char **,
	    const char **);

/* ice_agent.c, for the network layer */
/* A STUN message for the agent: src sent it to our dst. */
void	 ice_agent_stun_in(struct ice_agent *, const struct ice_stun *,
	    const uint8_t *, size_t, const struct sockaddr_storage *,
	    const struct sockaddr_storage *);
/* Local addresses or TURN credentials changed. */
void	 ice_agent_net_update(struct ice_agent *);

#endif
