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
 * Datagrams from a TURN server into netbirdd/ice_turn.c, in each state
 * of a client.  The server is played by regress/unit/turn_fake.c over
 * 127.0.0.1, as in the unit test.  The input:
 *
 *   byte 0  the client's state (mod 4): 0 the first Allocate under way,
 *           1 the authenticated one, 2 allocated with a peer whose
 *           CreatePermission and ChannelBind are under way, 3 that peer
 *           bound
 *   byte 1  how the rest is sent (mod 4):
 *           0 as it is (ChannelData, STUN, junk)
 *           1 as the attributes of an answer to a request under way,
 *             with MESSAGE-INTEGRITY made with its key and FINGERPRINT
 *           2 the same, unsigned
 *           3 as the attributes of a Data indication
 *   byte 2  for 1 and 2: bit 0 success or error class; the rest picks
 *           the request answered among those read
 *   rest    the payload
 *
 * Then the client must have called each callback at most once, nothing
 * after a failure, and still take a send.  ASan and UBSan watch the
 * rest.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <event.h>
#include <stun/stunagent.h>

#include "log.h"
#include "netbirdd.h"
#include "ice.h"
#include "turn_fake.h"

#define NREQ	4

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct proc_env		 penv;

static struct fake	 f;
static int		 inited;
static uint8_t		 reqs[NREQ][2048];
static size_t		 reqlens[NREQ];
static size_t		 nreq;
static uint8_t		 out[FAKE_DGRAM];

static void	keep_request(void);
static int	setup(int, const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static size_t	answer(uint8_t, const uint8_t *, size_t, int);
static size_t	indication(const uint8_t *, size_t);
static void	splice(StunMessage *, const uint8_t *, size_t);

/* The requests read so far, to answer one of them. */
static void
keep_request(void)
{
	if (fake_method(&f) == -1 || f.inlen > sizeof(reqs[0]))
		return;
	memcpy(reqs[nreq % NREQ], f.in, f.inlen);
	reqlens[nreq % NREQ] = f.inlen;
	nreq++;
}

static int
setup(int state, const struct sockaddr_storage *relayed,
    const struct sockaddr_storage *peer)
{
	size_t	 n;
	int	 i;

	fake_drain(&f);
	f.nready = f.nfailed = f.nrecv = 0;
	nreq = 0;
	if (fake_client(&f, FAKE_USER, FAKE_PASS) == NULL)
		return -1;
	if (!fake_recv(&f, 100))
		return -1;
	keep_request();
	if (state == 0)
		return 0;
	n = fake_auth_error(&f, out, sizeof(out), 401, "nonce-1");
	fake_send(&f, out, n);
	if (!fake_recv(&f, 100))
		return -1;
	keep_request();
	if (state == 1)
		return 0;
	n = fake_allocated(&f, out, sizeof(out), relayed, &f.client, 600);
	fake_send(&f, out, n);
	fake_pump();
	nreq = 0;
	if (turn_client_permit(f.c, peer) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (!fake_recv(&f, 100))
			return -1;
		keep_request();
		if (state == 3)
			fake_send(&f, out, fake_ok(&f, out, sizeof(out)));
	}
	fake_pump();
	return 0;
}

/* A header for the chosen request, then the payload as attributes. */
static size_t
answer(uint8_t sel, const uint8_t *p, size_t len, int sign)
{
	StunMessage	 m;
	size_t		 i;

	if (nreq == 0)
		return 0;
	i = (sel >> 1) % MINIMUM(nreq, NREQ);
	f.inlen = reqlens[i];
	memcpy(f.in, reqs[i], f.inlen);
	memset(&f.req, 0, sizeof(f.req));
	f.status = stun_agent_validate(&f.agent, &f.req, f.in, f.inlen,
	    stun_agent_default_validater, f.creds);
	fake_answer(&f, &m, out, sizeof(out), STUN_RESPONSE, 0);
	if (sel & 1)
		out[1] |= 0x10;	/* error class; ERROR-CODE is ours */
	splice(&m, p, len);
	return fake_finish(&f, &m, sign);
}

static size_t
indication(const uint8_t *p, size_t len)
{
	StunMessage	 m;

	if (!stun_agent_init_indication(&f.agent, &m, out, sizeof(out),
	    STUN_IND_DATA))
		return 0;
	splice(&m, p, len);
	return stun_agent_finish_message(&f.agent, &m, NULL, 0);
}

/* Raw attribute bytes after the header, whole words, length set. */
static void
splice(StunMessage *m, const uint8_t *p, size_t len)
{
	size_t	 at = stun_message_length(m);

	len = MINIMUM(len, 1500) & ~(size_t)3;
	memcpy(m->buffer + at, p, len);
	m->buffer[2] = (at - 20 + len) >> 8;
	m->buffer[3] = (at - 20 + len) & 0xff;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage	 relayed, peer;
	size_t			 n;
	int			 state, mode;

	if (!inited) {
		log_init(1, LOG_DAEMON);
		if ((penv.evbase = event_base_new()) == NULL)
			abort();
		fake_init(&f);
		inited = 1;
	}
	if (size < 3)
		return 0;
	state = data[0] % 4;
	mode = data[1] % 4;
	fake_sin(&relayed, "192.0.2.7", 50000);
	fake_sin(&peer, "198.51.100.9", 40000);
	if (setup(state, &relayed, &peer) == -1)
		abort();
	switch (mode) {
	case 0:
		fake_send(&f, data + 3, size - 3);
		break;
	case 1:
	case 2:
		if ((n = answer(data[2], data + 3, size - 3, mode == 1)) > 0)
			fake_send(&f, out, n);
		break;
	case 3:
		if ((n = indication(data + 3, size - 3)) > 0)
			fake_send(&f, out, n);
		break;
	}
	fake_pump();
	fake_pump();
	if (f.nready > 1 || f.nfailed > 1 || (f.nfailed && f.nrecv))
		abort();
	if (f.nfailed == 0 && state >= 2 &&
	    turn_client_send(f.c, &peer, "x", 1) == -1 && f.nready)
		abort();
	turn_client_free(f.c);
	f.c = NULL;
	return 0;
}
