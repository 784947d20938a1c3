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
 * STUN Binding messages for ICE checks and server-reflexive gathering,
 * built and read with libnice's STUN library (protocol.md 4.8).
 *
 * Go peers append attribute 0x8100 after FINGERPRINT and count it in the
 * header length, so their FINGERPRINT never matches.  As pion does, we
 * never check FINGERPRINT, and we read nothing after MESSAGE-INTEGRITY:
 * libnice's stun_message_find() stops there (FINGERPRINT aside) and at
 * FINGERPRINT.  MESSAGE-INTEGRITY is checked as RFC 5389 says, over the
 * message cut after it with the header length saying so: libnice
 * computes it again on that prefix and we compare.
 */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <stun/stunagent.h>
#include <stun/stunmessage.h>

#include "compat.h"
#include "log.h"
#include "ice.h"

#define STUN_HDR_LEN	20
#define STUN_COOKIE	0x2112a442U
#define STUN_MI_LEN	20
/*
 * stun_message_append() checks the room for an attribute without its
 * padding and then pads: keep that many bytes out of its sight.
 */
#define STUN_PAD_SLACK	4

/* A message being read or built, and the libnice agent that does it. */
struct stun_buf {
	StunAgent	 agent;
	StunMessage	 msg;
	uint8_t		 buf[ICE_STUN_MAX];
};

static int	 stun_load(struct stun_buf *, const uint8_t *, size_t);
static int	 stun_parse_role(const StunMessage *, struct ice_stun *);
static int	 stun_parse_mapped(const StunMessage *, struct ice_stun *);
static int	 stun_begin(struct stun_buf *, StunClass,
		    const uint8_t [ICE_STUN_TID_LEN]);
static size_t	 stun_end(struct stun_buf *, const char *, uint8_t *,
		    size_t);

int
ice_stun_is_stun(const uint8_t *p, size_t len)
{
	return len >= STUN_HDR_LEN && (p[0] & 0xc0) == 0 &&
	    p[4] == 0x21 && p[5] == 0x12 && p[6] == 0xa4 && p[7] == 0x42;
}

/*
 * Exactly one well-formed RFC 5389 message: libnice checks the header
 * length against len and that every attribute fits; its finders trust
 * that afterwards.  The copy is what they read.
 */
static int
stun_load(struct stun_buf *in, const uint8_t *p, size_t len)
{
	if (len > sizeof(in->buf) || !ice_stun_is_stun(p, len))
		return -1;
	if (stun_message_validate_buffer_length(p, len, true) != (int)len)
		return -1;
	memcpy(in->buf, p, len);
	stun_agent_init(&in->agent, STUN_ALL_KNOWN_ATTRIBUTES,
	    STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS);
	memset(&in->msg, 0, sizeof(in->msg));
	in->msg.agent = &in->agent;
	in->msg.buffer = in->buf;
	in->msg.buffer_len = sizeof(in->buf);
	return 0;
}

int
ice_stun_parse(const uint8_t *p, size_t len, struct ice_stun *st)
{
	struct stun_buf	 in;
	const uint8_t	*v;
	uint16_t	 alen;
	uint32_t	 prio;
	int		 code;

	memset(st, 0, sizeof(*st));
	if (stun_load(&in, p, len) == -1)
		return -1;
	switch (stun_message_get_class(&in.msg)) {
	case STUN_REQUEST:
		st->cls = ICE_STUN_REQUEST;
		break;
	case STUN_INDICATION:
		st->cls = ICE_STUN_INDICATION;
		break;
	case STUN_RESPONSE:
		st->cls = ICE_STUN_SUCCESS;
		break;
	case STUN_ERROR:
		st->cls = ICE_STUN_ERROR;
		break;
	}
	st->method = stun_message_get_method(&in.msg);
	memcpy(st->tid, in.buf + 8, ICE_STUN_TID_LEN);

	if ((v = stun_message_find(&in.msg, STUN_ATTRIBUTE_USERNAME,
	    &alen)) != NULL) {
		if (alen >= sizeof(st->username) || memchr(v, '\0', alen))
			return -1;
		memcpy(st->username, v, alen);
	}
	if (stun_message_find(&in.msg, STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
	    &alen) != NULL) {
		if (alen != STUN_MI_LEN)
			return -1;
		st->has_integrity = 1;
	}
	switch (stun_message_find32(&in.msg, STUN_ATTRIBUTE_PRIORITY, &prio)) {
	case STUN_MESSAGE_RETURN_SUCCESS:
		st->priority = prio;
		break;
	case STUN_MESSAGE_RETURN_NOT_FOUND:
		break;
	default:
		return -1;
	}
	switch (stun_message_find_flag(&in.msg,
	    STUN_ATTRIBUTE_USE_CANDIDATE)) {
	case STUN_MESSAGE_RETURN_SUCCESS:
		st->use_candidate = 1;
		break;
	case STUN_MESSAGE_RETURN_NOT_FOUND:
		break;
	default:
		return -1;
	}
	if (stun_parse_role(&in.msg, st) == -1 ||
	    stun_parse_mapped(&in.msg, st) == -1)
		return -1;
	switch (stun_message_find_error(&in.msg, &code)) {
	case STUN_MESSAGE_RETURN_SUCCESS:
		st->error_code = code;
		break;
	case STUN_MESSAGE_RETURN_NOT_FOUND:
		if (st->cls == ICE_STUN_ERROR)
			return -1;
		break;
	default:
		return -1;
	}
	return 0;
}

/* ICE-CONTROLLING or ICE-CONTROLLED, not both, 8 bytes. */
static int
stun_parse_role(const StunMessage *msg, struct ice_stun *st)
{
	StunMessageReturn	 ing, ed;
	uint64_t		 t1 = 0, t2 = 0;

	ing = stun_message_find64(msg, STUN_ATTRIBUTE_ICE_CONTROLLING, &t1);
	ed = stun_message_find64(msg, STUN_ATTRIBUTE_ICE_CONTROLLED, &t2);
	if ((ing != STUN_MESSAGE_RETURN_SUCCESS &&
	    ing != STUN_MESSAGE_RETURN_NOT_FOUND) ||
	    (ed != STUN_MESSAGE_RETURN_SUCCESS &&
	    ed != STUN_MESSAGE_RETURN_NOT_FOUND))
		return -1;
	if (ing == STUN_MESSAGE_RETURN_SUCCESS &&
	    ed == STUN_MESSAGE_RETURN_SUCCESS)
		return -1;
	if (ing == STUN_MESSAGE_RETURN_SUCCESS) {
		st->role = ICE_ROLE_CONTROLLING;
		st->tiebreaker = t1;
	} else if (ed == STUN_MESSAGE_RETURN_SUCCESS) {
		st->role = ICE_ROLE_CONTROLLED;
		st->tiebreaker = t2;
	}
	return 0;
}

/* XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS (old STUN servers). */
static int
stun_parse_mapped(const StunMessage *msg, struct ice_stun *st)
{
	socklen_t		 sl = sizeof(st->mapped);
	StunMessageReturn	 r;

	r = stun_message_find_xor_addr(msg, STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS,
	    &st->mapped, &sl);
	if (r == STUN_MESSAGE_RETURN_NOT_FOUND) {
		sl = sizeof(st->mapped);
		r = stun_message_find_addr(msg, STUN_ATTRIBUTE_MAPPED_ADDRESS,
		    &st->mapped, &sl);
	}
	if (r == STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	memset(&st->mapped, 0, sizeof(st->mapped));
	return r == STUN_MESSAGE_RETURN_NOT_FOUND ? 0 : -1;
}

int
ice_stun_integrity_ok(const uint8_t *p, size_t len, const char *pwd)
{
	struct stun_buf	 in;
	const uint8_t	*mi;
	uint8_t		 got[STUN_MI_LEN];
	uint16_t	 alen;
	size_t		 off, pwlen;

	if (pwd == NULL || (pwlen = strnlen(pwd, ICE_PWD_MAX)) == 0 ||
	    pwlen == ICE_PWD_MAX)
		return 0;
	if (stun_load(&in, p, len) == -1)
		return 0;
	mi = stun_message_find(&in.msg, STUN_ATTRIBUTE_MESSAGE_INTEGRITY,
	    &alen);
	if (mi == NULL || alen != STUN_MI_LEN)
		return 0;
	memcpy(got, mi, sizeof(got));
	/* Cut before MESSAGE-INTEGRITY; libnice appends it anew. */
	off = (size_t)(mi - in.buf) - 4;
	in.buf[2] = (off - STUN_HDR_LEN) >> 8;
	in.buf[3] = (off - STUN_HDR_LEN) & 0xff;
	if (stun_agent_finish_message(&in.agent, &in.msg, (const uint8_t *)pwd,
	    pwlen) != off + 4 + STUN_MI_LEN)
		return 0;
	return sodium_memcmp(in.buf + off + 4, got, sizeof(got)) == 0;
}

void
ice_stun_tid(uint8_t tid[ICE_STUN_TID_LEN])
{
	arc4random_buf(tid, ICE_STUN_TID_LEN);
}

/* A Binding message with our transaction id, built in out->buf. */
static int
stun_begin(struct stun_buf *out, StunClass cls,
    const uint8_t tid[ICE_STUN_TID_LEN])
{
	StunTransactionId	 id;
	uint32_t		 cookie = htonl(STUN_COOKIE);

	stun_agent_init(&out->agent, STUN_ALL_KNOWN_ATTRIBUTES,
	    STUN_COMPATIBILITY_RFC5389,
	    STUN_AGENT_USAGE_SHORT_TERM_CREDENTIALS |
	    STUN_AGENT_USAGE_USE_FINGERPRINT);
	memset(&out->msg, 0, sizeof(out->msg));
	out->msg.agent = &out->agent;
	out->msg.buffer = out->buf;
	out->msg.buffer_len = sizeof(out->buf) - STUN_PAD_SLACK;
	memcpy(id, &cookie, sizeof(cookie));
	memcpy(id + sizeof(cookie), tid, ICE_STUN_TID_LEN);
	return stun_message_init(&out->msg, cls, STUN_BINDING, id) ? 0 : -1;
}

/* MESSAGE-INTEGRITY if pwd, FINGERPRINT; copied out if it fits. */
static size_t
stun_end(struct stun_buf *out, const char *pwd, uint8_t *buf, size_t len)
{
	size_t	 n;

	if (pwd != NULL)
		n = stun_agent_finish_message(&out->agent, &out->msg,
		    (const uint8_t *)pwd, strlen(pwd));
	else
		n = stun_agent_finish_message(&out->agent, &out->msg, NULL, 0);
	if (n == 0 || n > len)
		return 0;
	memcpy(buf, out->buf, n);
	return n;
}

size_t
ice_stun_check_request(uint8_t *buf, size_t len,
    const uint8_t tid[ICE_STUN_TID_LEN], const char *username,
    const char *pwd, uint32_t priority, int controlling, uint64_t tiebreaker,
    int use_candidate)
{
	struct stun_buf	 out;

	if (stun_begin(&out, STUN_REQUEST, tid) == -1)
		return 0;
	if (stun_message_append_string(&out.msg, STUN_ATTRIBUTE_USERNAME,
	    username) != STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	if (stun_message_append32(&out.msg, STUN_ATTRIBUTE_PRIORITY,
	    priority) != STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	if (stun_message_append64(&out.msg, controlling ?
	    STUN_ATTRIBUTE_ICE_CONTROLLING : STUN_ATTRIBUTE_ICE_CONTROLLED,
	    tiebreaker) != STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	if (use_candidate && stun_message_append_flag(&out.msg,
	    STUN_ATTRIBUTE_USE_CANDIDATE) != STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	return stun_end(&out, pwd, buf, len);
}

size_t
ice_stun_check_success(uint8_t *buf, size_t len,
    const uint8_t tid[ICE_STUN_TID_LEN], const struct sockaddr_storage *mapped,
    const char *pwd)
{
	struct stun_buf	 out;

	if (stun_begin(&out, STUN_RESPONSE, tid) == -1)
		return 0;
	if (stun_message_append_xor_addr(&out.msg,
	    STUN_ATTRIBUTE_XOR_MAPPED_ADDRESS, mapped, sizeof(*mapped)) !=
	    STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	return stun_end(&out, pwd, buf, len);
}

size_t
ice_stun_check_error(uint8_t *buf, size_t len,
    const uint8_t tid[ICE_STUN_TID_LEN], int code, const char *pwd)
{
	struct stun_buf	 out;

	if (code < 300 || code > 699)
		fatalx("%s: error code %d", __func__, code);
	if (stun_begin(&out, STUN_ERROR, tid) == -1)
		return 0;
	if (stun_message_append_error(&out.msg, (StunError)code) !=
	    STUN_MESSAGE_RETURN_SUCCESS)
		return 0;
	return stun_end(&out, pwd, buf, len);
}

size_t
ice_stun_binding_request(uint8_t *buf, size_t len,
    const uint8_t tid[ICE_STUN_TID_LEN])
{
	struct stun_buf	 out;

	if (stun_begin(&out, STUN_REQUEST, tid) == -1)
		return 0;
	return stun_end(&out, NULL, buf, len);
}
