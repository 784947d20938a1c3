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
 * What a decrypted message from management becomes, on hostile bytes:
 * protobuf-c's unpack of LoginResponse and SyncResponse, then
 * netbirdd/mgmt_map.c.  Input: byte 0 says what to do (bit 0: the bytes
 * are a LoginResponse first; bit 1: apply the SyncResponse twice; bit 2:
 * a known address before the first map); the rest is the message.
 * Every payload that would go to the parent is checked as the parent
 * checks it; a violation aborts.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netbirdd.h"
#include "mgmt.h"

struct seen {
	int		 in_map;
	uint32_t	 npeers;
	uint32_t	 got;
	uint64_t	 serial;
};

static const uint8_t	ourkey[32] = {
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
};

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
str_check(const char *s, size_t size)
{
	size_t	i;

	if (memchr(s, '\0', size) == NULL)
		abort();
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

static void
prefix_check(const struct nbd_prefix *p)
{
	if (!((p->af == AF_INET && p->plen <= 32) ||
	    (p->af == AF_INET6 && p->plen <= 128)))
		abort();
}

static void
config_check(const struct nbd_netbird_config *c)
{
	uint32_t	i;

	if (c->nstun > NBD_SERVERS_MAX || c->nturn > NBD_SERVERS_MAX ||
	    c->nrelay > NBD_SERVERS_MAX || c->metrics_enabled < -1 ||
	    c->metrics_enabled > 1)
		abort();
	str_check(c->signal_uri, sizeof(c->signal_uri));
	str_check(c->relay_token_payload, sizeof(c->relay_token_payload));
	str_check(c->relay_token_signature, sizeof(c->relay_token_signature));
	for (i = 0; i < c->nstun; i++)
		str_check(c->stun[i], sizeof(c->stun[i]));
	for (i = 0; i < c->nrelay; i++)
		str_check(c->relay[i], sizeof(c->relay[i]));
	for (i = 0; i < c->nturn; i++) {
		str_check(c->turn[i].uri, sizeof(c->turn[i].uri));
		str_check(c->turn[i].user, sizeof(c->turn[i].user));
		str_check(c->turn[i].password, sizeof(c->turn[i].password));
	}
}

static void
emit(void *arg, uint32_t type, const void *data, size_t len)
{
	const struct nbd_netmap_begin	*b = data;
	const struct nbd_netmap_peer	*p = data;
	const struct nbd_netmap_end	*e = data;
	struct seen			*s = arg;
	uint32_t			 i;

	switch (type) {
	case IMSG_MGMT_CONFIG:
		if (len != sizeof(struct nbd_netbird_config) || s->in_map)
			abort();
		config_check(data);
		break;
	case IMSG_MGMT_NETMAP_BEGIN:
		if (len != sizeof(*b) || s->in_map ||
		    b->npeers > NBD_PEERS_MAX)
			abort();
		prefix_check(&b->address);
		str_check(b->fqdn, sizeof(b->fqdn));
		if (b->mtu != 0 && (b->mtu < NBD_MTU_MIN ||
		    b->mtu > NBD_MTU_MAX))
			abort();
		s->in_map = 1;
		s->npeers = b->npeers;
		s->got = 0;
		s->serial = b->serial;
		break;
	case IMSG_MGMT_NETMAP_PEER:
		if (len != sizeof(*p) || !s->in_map || s->got == s->npeers ||
		    p->nallowed == 0 || p->nallowed > NBD_ALLOWED_MAX ||
		    memcmp(p->key.key, ourkey, sizeof(ourkey)) == 0)
			abort();
		for (i = 0; i < p->nallowed; i++)
			prefix_check(&p->allowed[i]);
		str_check(p->fqdn, sizeof(p->fqdn));
		s->got++;
		break;
	case IMSG_MGMT_NETMAP_END:
		if (len != sizeof(*e) || !s->in_map || e->npeers != s->npeers ||
		    s->got != s->npeers || e->serial != s->serial)
			abort();
		s->in_map = 0;
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int			 init;
	Management__LoginResponse	*lr;
	Management__SyncResponse	*sr;
	struct mgmt_sync		 st;
	struct seen			 s;
	uint8_t				 mode;
	int				 rv;

	if (!init) {
		log_init(1, 0);
		log_setverbose(0);
		init = 1;
	}
	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	memset(&s, 0, sizeof(s));
	mgmt_sync_init(&st, ourkey);
	if (mode & 4) {
		st.self.have = 1;
		st.self.address.af = AF_INET;
		st.self.address.plen = 16;
	}
	if (mode & 1) {
		lr = management__login_response__unpack(NULL, size, data);
		if (lr != NULL) {
			rv = mgmt_login_apply(&st, lr, emit, &s);
			if (rv != MGMT_APPLY_OK && rv != MGMT_APPLY_REFUSED)
				abort();
			management__login_response__free_unpacked(lr, NULL);
		}
	}
	sr = management__sync_response__unpack(NULL, size, data);
	if (sr == NULL)
		return 0;
	rv = mgmt_sync_apply(&st, sr, emit, &s);
	if (mode & 2) {
		/* The same serial again is applied again, or refused again. */
		if (mgmt_sync_apply(&st, sr, emit, &s) != rv)
			abort();
	}
	management__sync_response__free_unpacked(sr, NULL);
	if (s.in_map)
		abort();
	return 0;
}
