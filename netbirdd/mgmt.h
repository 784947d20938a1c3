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
 * The pieces of the mgmt process that tests reach: what a LoginResponse
 * or SyncResponse becomes (mgmt_map.c), and the system facts reported
 * to management (mgmt_meta.c).
 */

#ifndef NBD_MGMT_H
#define NBD_MGMT_H

#include <stddef.h>
#include <stdint.h>

#include "management.pb-c.h"

/*
 * The version reported as netbirdVersion: the NetBird release whose
 * protocol netbirdd speaks.  A plain semver: the server sends the
 * deprecated duplicate peer list to versions below 0.29.3 or that do
 * not parse, and go-version refuses a pre-release suffix against its
 * ">= 0.29.3" constraint.
 */
#define MGMT_NETBIRD_VERSION	NBD_NB_VERSION

/* Our own peer as management last described it. */
struct mgmt_self {
	int			 have;
	struct nbd_prefix	 address;
	char			 fqdn[CTL_NAME_LEN];
	uint16_t		 mtu;
};

/* What mgmt keeps between updates. */
struct mgmt_sync {
	uint8_t			 ourkey[32];
	struct nbd_netbird_config config;
	struct mgmt_self	 self;
	int			 have_serial;
	uint64_t		 serial;
	/* the last refusal logged: each Sync repeats it */
	int			 have_refused;
	uint64_t		 refused_serial;
	char			 refused_why[128];
};

enum mgmt_apply {
	MGMT_APPLY_OK,		/* applied, or nothing to apply */
	MGMT_APPLY_STALE,	/* network map older than the last: ignored */
	MGMT_APPLY_REFUSED	/* refused; logged when serial or reason
				   differ from the last refusal */
};

/* Where converted messages go: an imsg type and its payload. */
typedef void	(*mgmt_emit)(void *, uint32_t, const void *, size_t);

/* mgmt_map.c */
void	 mgmt_sync_init(struct mgmt_sync *, const uint8_t *);
int	 mgmt_login_apply(struct mgmt_sync *,
	    const Management__LoginResponse *, mgmt_emit, void *);
int	 mgmt_sync_apply(struct mgmt_sync *,
	    const Management__SyncResponse *, mgmt_emit, void *);
int	 mgmt_prefix_parse(const char *, struct nbd_prefix *);

/* mgmt_meta.c */
#define MGMT_META_STR		128
#define MGMT_META_ADDRS		32

struct mgmt_netaddr {
	char			 netip[CTL_ADDR_LEN];
	char			 mac[24];
};

struct mgmt_meta {
	char			 hostname[MGMT_META_STR];
	char			 kernel[MGMT_META_STR];
	char			 kernel_version[MGMT_META_STR];
	char			 platform[MGMT_META_STR];
	char			 os[MGMT_META_STR];
	char			 os_version[MGMT_META_STR];
	char			 serial[MGMT_META_STR];
	char			 product[MGMT_META_STR];
	char			 manufacturer[MGMT_META_STR];
	size_t			 naddrs;
	struct mgmt_netaddr	 addrs[MGMT_META_ADDRS];
};

void	 mgmt_meta_gather(struct mgmt_meta *);
int	 mgmt_osrelease_get(const char *, const char *, char *, size_t);

/* The protobuf view of a gathered mgmt_meta; pointers into it. */
struct mgmt_meta_pb {
	Management__PeerSystemMeta	 meta;
	Management__Flags		 flags;
	Management__NetworkAddress	 addr[MGMT_META_ADDRS];
	Management__NetworkAddress	*addrp[MGMT_META_ADDRS];
};

void	 mgmt_meta_pb(struct mgmt_meta_pb *, struct mgmt_meta *);

#endif
