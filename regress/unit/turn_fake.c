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

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event.h>
#include <stun/stunagent.h>

#include "compat.h"
#include "netbirdd.h"
#include "turn_fake.h"

static void	fake_ready(void *, const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static void	fake_failed(void *, const char *);
static void	fake_data(void *, const struct sockaddr_storage *,
		    const uint8_t *, size_t);
static long	fake_ms(void);

const struct turn_cb fake_cb = { fake_ready, fake_failed, fake_data };

static const uint16_t fake_known[] = {
	STUN_ATTRIBUTE_USERNAME,
	STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
	STUN_ATTRIBUTE_CHANNEL_NUMBER,
	STUN_ATTRIBUTE_LIFETIME,
	STUN_ATTRIBUTE_XOR_PEER_ADDRESS,
	STUN_ATTRIBUTE_DATA,
	STUN_ATTRIBUTE_REALM,
	STUN_ATTRIBUTE_NONCE,
	STUN_ATTRIBUTE_REQUESTED_TRANSPORT,
	0
};

static uint8_t	fake_out[4096];

void
fake_init(struct fake *f)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&f->addr;
	socklen_t		 len = sizeof(f->addr);

	memset(f, 0, sizeof(*f));
	fake_sin(&f->addr, "127.0.0.1", 0);
	if ((f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(f->fd, (struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    getsockname(f->fd, (struct sockaddr *)&f->addr, &len) == -1)
		err(1, "%s", __func__);
	stun_agent_init(&f->agent, fake_known, STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS |
	    STUN_AGENT_USAGE_USE_FINGERPRINT);
	f->creds[0].username = (uint8_t *)(uintptr_t)FAKE_USER;
	f->creds[0].username_len = strlen(FAKE_USER);
	f->creds[0].password = (uint8_t *)(uintptr_t)FAKE_PASS;
	f->creds[0].password_len = strlen(FAKE_PASS);
}

void
fake_close(struct fake *f)
{
	close(f->fd);
	f->fd = -1;
}

void
fake_pump(void)
{
	event_base_loop(penv.evbase, EVLOOP_NONBLOCK);
}

static long
fake_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
fake_wait(int ms)
{
	long	 end = fake_ms() + ms;

	while (fake_ms() < end) {
		fake_pump();
		poll(NULL, 0, 1);
	}
}

int
fake_recv(struct fake *f, int ms)
{
	socklen_t	 len;
	ssize_t		 n;
	long		 end = fake_ms() + ms;

	for (;;) {
		fake_pump();
		len = sizeof(f->client);
		n = recvfrom(f->fd, f->in, sizeof(f->in), 0,
		    (struct sockaddr *)&f->client, &len);
		if (n >= 0)
			break;
		if (fake_ms() >= end)
			return 0;
		poll(NULL, 0, 1);
	}
	f->inlen = n;
	memset(&f->req, 0, sizeof(f->req));
	f->status = stun_agent_validate(&f->agent, &f->req, f->in, n,
	    stun_agent_default_validater, f->creds);
	f->is_stun = f->status != STUN_VALIDATION_NOT_STUN &&
	    f->status != STUN_VALIDATION_INCOMPLETE_STUN;
	return 1;
}

void
fake_drain(struct fake *f)
{
	while (recv(f->fd, f->in, sizeof(f->in), 0) >= 0)
		;
	f->inlen = 0;
	f->is_stun = 0;
}

void
fake_send(struct fake *f, const void *p, size_t len)
{
	if (sendto(f->fd, p, len, 0, (struct sockaddr *)&f->client,
	    sizeof(struct sockaddr_in)) == -1)
		err(1, "%s", __func__);
}

struct turn_client *
fake_client(struct fake *f, const char *user, const char *pass)
{
	f->c = turn_client_new(&f->addr, user, pass, &fake_cb, f);
	return f->c;
}

void
fake_answer(struct fake *f, StunMessage *msg, uint8_t *buf, size_t size,
    int cls, int code)
{
	StunTransactionId	 id;

	memset(msg, 0, sizeof(*msg));
	msg->agent = &f->agent;
	msg->buffer = buf;
	msg->buffer_len = size;
	msg->key = f->req.key;
	msg->key_len = f->req.key_len;
	memcpy(msg->long_term_key, f->req.long_term_key,
	    sizeof(msg->long_term_key));
	msg->long_term_valid = f->req.long_term_valid;
	stun_message_id(&f->req, id);
	if (!stun_message_init(msg, cls, stun_message_get_method(&f->req), id))
		errx(1, "%s: stun_message_init", __func__);
	if (cls == STUN_ERROR && stun_message_append_error(msg, code) !=
	    STUN_MESSAGE_RETURN_SUCCESS)
		errx(1, "%s: append_error", __func__);
}

size_t
fake_finish(struct fake *f, StunMessage *msg, int sign)
{
	if (!sign) {
		msg->key = NULL;
		msg->key_len = 0;
		msg->long_term_valid = false;
	}
	return stun_agent_finish_message(&f->agent, msg, NULL, 0);
}

size_t
fake_auth_error(struct fake *f, uint8_t *buf, size_t size, int code,
    const char *nonce)
{
	StunMessage	 msg;

	fake_answer(f, &msg, buf, size, STUN_ERROR, code);
	if (stun_message_append_string(&msg, STUN_ATTRIBUTE_REALM,
	    FAKE_REALM) != STUN_MESSAGE_RETURN_SUCCESS ||
	    stun_message_append_string(&msg, STUN_ATTRIBUTE_NONCE, nonce) !=
	    STUN_MESSAGE_RETURN_SUCCESS)
		errx(1, "%s", __func__);
	return fake_finish(f, &msg, 0);
}

size_t
fake_allocated(struct fake *f, uint8_t *buf, size_t size,
    const struct sockaddr_storage *relayed,
    const struct sockaddr_storage *mapped, uint32_t lifetime)
{
	StunMessage	 msg;

	fake_answer(f, &msg, buf, size, STUN_RESPONSE, 0);
	if (stun_message_append_xor_addr(&msg,
	    STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS, relayed,
	    sizeof(struct sockaddr_in)) != STUN_MESSAGE_RETURN_SUCCESS ||
	    (mapped->ss_family == AF_INET && stun_message_append_xor_addr(&msg,
	    STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, mapped,
	    sizeof(struct sockaddr_in)) != STUN_MESSAGE_RETURN_SUCCESS) ||
	    stun_message_append32(&msg, STUN_ATTRIBUTE_LIFETIME, lifetime) !=
	    STUN_MESSAGE_RETURN_SUCCESS)
		errx(1, "%s", __func__);
	return fake_finish(f, &msg, 1);
}

size_t
fake_ok(struct fake *f, uint8_t *buf, size_t size)
{
	StunMessage	 msg;

	fake_answer(f, &msg, buf, size, STUN_RESPONSE, 0);
	return fake_finish(f, &msg, 1);
}

int
fake_method(const struct fake *f)
{
	if (!f->is_stun || stun_message_get_class(&f->req) != STUN_REQUEST)
		return -1;
	return stun_message_get_method(&f->req);
}

int
fake_allocate(struct fake *f, const struct sockaddr_storage *relayed)
{
	size_t	 n;

	if (!fake_recv(f, 1000) || fake_method(f) != STUN_ALLOCATE)
		return -1;
	n = fake_auth_error(f, fake_out, sizeof(fake_out), 401, "nonce-1");
	fake_send(f, fake_out, n);
	if (!fake_recv(f, 1000) || fake_method(f) != STUN_ALLOCATE ||
	    f->status != STUN_VALIDATION_SUCCESS)
		return -1;
	n = fake_allocated(f, fake_out, sizeof(fake_out), relayed, &f->client,
	    600);
	fake_send(f, fake_out, n);
	fake_pump();
	return f->nready == 1 ? 0 : -1;
}

int
fake_permit(struct fake *f, const struct sockaddr_storage *peer, int answer)
{
	int	 want[] = { STUN_CREATEPERMISSION, STUN_CHANNELBIND };
	size_t	 i, n;

	if (turn_client_permit(f->c, peer) == -1)
		return -1;
	for (i = 0; i < nitems(want); i++) {
		if (!fake_recv(f, 1000) || fake_method(f) != want[i])
			return -1;
		if (answer) {
			n = fake_ok(f, fake_out, sizeof(fake_out));
			fake_send(f, fake_out, n);
		}
	}
	fake_pump();
	return 0;
}

void
fake_sin(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1)
		errx(1, "%s: %s", __func__, ip);
}

static void
fake_ready(void *arg, const struct sockaddr_storage *relayed,
    const struct sockaddr_storage *mapped)
{
	struct fake	*f = arg;

	f->nready++;
	f->relayed = *relayed;
	f->mapped = *mapped;
}

static void
fake_failed(void *arg, const char *why)
{
	struct fake	*f = arg;

	f->nfailed++;
	strlcpy(f->why, why, sizeof(f->why));
	if (f->free_on_fail) {
		turn_client_free(f->c);
		f->c = NULL;
	}
}

static void
fake_data(void *arg, const struct sockaddr_storage *from, const uint8_t *p,
    size_t len)
{
	struct fake	*f = arg;

	f->nrecv++;
	f->from = *from;
	f->datalen = MINIMUM(len, sizeof(f->data));
	memcpy(f->data, p, f->datalen);
}
