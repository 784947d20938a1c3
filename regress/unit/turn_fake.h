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
 * A TURN server played by hand over a UDP socket on 127.0.0.1, for the
 * unit test and the fuzz target of netbirdd/ice_turn.c.  It reads the
 * client's requests (checked with a libnice agent of its own, with the
 * long-term credentials) and answers what the test builds: well-formed
 * or not, signed with the request's key or not.  Everything runs on
 * penv.evbase, which the caller makes.
 */

#ifndef TURN_FAKE_H
#define TURN_FAKE_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <stun/stunagent.h>

#include "ice.h"

#define FAKE_USER	"1700000000"
#define FAKE_PASS	"c2VjcmV0LXBhc3N3b3JkLWJhc2U2NA=="
#define FAKE_REALM	"netbird.test"
#define FAKE_DGRAM	65536

struct fake {
	int			 fd;
	struct sockaddr_storage	 addr;		/* the server's */
	struct sockaddr_storage	 client;	/* its last source */
	StunAgent		 agent;
	StunDefaultValidaterData creds[2];
	/* The client's last datagram, and as a request if it is one. */
	uint8_t			 in[FAKE_DGRAM];
	size_t			 inlen;
	StunMessage		 req;
	StunValidationStatus	 status;
	int			 is_stun;
	/* Its callbacks. */
	int			 nready;
	int			 nfailed;
	int			 nrecv;
	char			 why[256];
	struct sockaddr_storage	 relayed;
	struct sockaddr_storage	 mapped;
	struct sockaddr_storage	 from;
	uint8_t			 data[FAKE_DGRAM];
	size_t			 datalen;
	int			 free_on_fail;	/* failed() frees */
	struct turn_client	*c;
};

extern const struct turn_cb fake_cb;

void	 fake_init(struct fake *);
void	 fake_close(struct fake *);
/* The client's events that are ready, without waiting. */
void	 fake_pump(void);
/* The loop for that long (ms), whatever happens. */
void	 fake_wait(int);
/* Next datagram from the client within ms: 1, or 0 if none. */
int	 fake_recv(struct fake *, int);
/* Throw away what the client has sent so far. */
void	 fake_drain(struct fake *);
void	 fake_send(struct fake *, const void *, size_t);
/* A client of this server, with the fake's callbacks. */
struct turn_client *fake_client(struct fake *, const char *, const char *);

/*
 * Answers to the last request read.  fake_answer() starts one of class
 * cls (STUN_RESPONSE or STUN_ERROR, with that ERROR-CODE) in buf; the
 * caller appends attributes; fake_finish() adds MESSAGE-INTEGRITY with
 * the request's key (if it had one and sign is set) and FINGERPRINT,
 * and returns the length.
 */
void	 fake_answer(struct fake *, StunMessage *, uint8_t *, size_t, int,
	    int);
size_t	 fake_finish(struct fake *, StunMessage *, int);
/* 401 or 438 with REALM and this NONCE. */
size_t	 fake_auth_error(struct fake *, uint8_t *, size_t, int,
	    const char *);
/* Allocate success: relayed, mapped (family 0: left out), lifetime. */
size_t	 fake_allocated(struct fake *, uint8_t *, size_t,
	    const struct sockaddr_storage *, const struct sockaddr_storage *,
	    uint32_t);
/* A success with nothing in it (CreatePermission, ChannelBind). */
size_t	 fake_ok(struct fake *, uint8_t *, size_t);

/* The method of the last request; -1 if it was not a request. */
int	 fake_method(const struct fake *);
/* Steps: answer the unauthenticated Allocate with 401; the next one with
 * success.  0 if the client ends up ready. */
int	 fake_allocate(struct fake *, const struct sockaddr_storage *);
/* The client permits peer; both requests answered if answer is set.
 * 0 if CreatePermission and ChannelBind came. */
int	 fake_permit(struct fake *, const struct sockaddr_storage *, int);

void	 fake_sin(struct sockaddr_storage *, const char *, uint16_t);

#endif
