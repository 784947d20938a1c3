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
 * The modules of the ice process, from the bottom up:
 *
 *   ice_cand.c   candidates and their string form (protocol.md 4.6)
 *   ice_stun.c   STUN messages for checks and binding, on libnice's
 *                STUN library (protocol.md 4.8)
 *   ice_raw.c    UDP datagrams on the raw socket of the WireGuard port
 *   ice_turn.c   a TURN client: allocation, permissions, channels
 *   ice_proxy.c  the local UDP proxy that is WireGuard's endpoint for a
 *                relayed path
 *   ice_uri.c    STUN and TURN server URIs
 *   ice_net.c    the raw socket, host addresses, STUN and TURN servers
 *                and their names, server-reflexive gathering, and the
 *                demultiplexing of STUN to agents
 *   ice_agent.c  one ICE agent per peer connection attempt
 *   ice_relay.c  NetBird relay servers and logical connections through
 *                them (relay.h has the layers below)
 *   ice.c        the process: peer connections (offers, guard, handshake
 *                watcher, WireGuard endpoints) and the peer view
 *
 * Everything runs on the process's libevent base (penv.evbase).
 */

#ifndef NBD_ICE_H
#define NBD_ICE_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct nbd_netbird_config;
struct nbd_host_addrs;
struct nbd_raw_socket;
struct nbd_turn;
struct imsg;
struct ctl_relay;

/* ---- ice_cand.c ---------------------------------------------------- */

enum ice_cand_type {
	ICE_CAND_HOST,
	ICE_CAND_SRFLX,
	ICE_CAND_PRFLX,
	ICE_CAND_RELAY
};

#define ICE_UFRAG_LEN		16	/* what we generate, as Go does */
#define ICE_PWD_LEN		32
#define ICE_UFRAG_MAX		257	/* what we accept, NUL included */
#define ICE_PWD_MAX		257
#define ICE_FOUNDATION_MAX	33
#define ICE_CID_MAX		65
#define ICE_CAND_STR_MAX	512	/* = NBD_SIG_PAYLOAD_MAX */

struct ice_cand {
	int		type;			/* enum ice_cand_type */
	char		foundation[ICE_FOUNDATION_MAX];
	uint16_t	component;
	uint32_t	priority;
	struct sockaddr_storage addr;
	struct sockaddr_storage raddr;		/* AF_UNSPEC: none */
	char		ufrag[ICE_UFRAG_MAX];	/* extension; "": none */
	char		cid[ICE_CID_MAX];	/* extension; "": none */
};

/*
 * Parse one candidate as Go peers send it (an optional "candidate:"
 * prefix, UDP only, IPv4 or IPv6 literals, unknown extensions skipped).
 * Returns 0, or -1 with the reason in *why.
 */
int		 ice_cand_parse(const char *, struct ice_cand *, const char **);
/* Print as pion does; the length, or -1 if the buffer is too small. */
int		 ice_cand_print(const struct ice_cand *, char *, size_t);
/*
 * A local candidate: foundation (CRC-32 of type, address and network),
 * priority of its type, component 1, the ufrag extension and a fresh
 * random cid.  raddr may be NULL.
 */
void		 ice_cand_make(struct ice_cand *, int,
		    const struct sockaddr_storage *,
		    const struct sockaddr_storage *, const char *);
uint32_t	 ice_cand_type_priority(int);
const char	*ice_cand_type_name(int);
/* RFC 8445 6.1.2.3: G controlling's, D controlled's priority. */
uint64_t	 ice_pair_priority(uint32_t, uint32_t);
/* len random letters [a-zA-Z] and a NUL: the buffer holds len + 1. */
void		 ice_random_letters(char *, size_t);
/* "ip:port" or "[ip6]:port"; "" for AF_UNSPEC. */
const char	*ice_addr_str(const struct sockaddr_storage *, char *, size_t);
int		 ice_addr_eq(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
int		 ice_host_eq(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);

/* ---- ice_stun.c ---------------------------------------------------- */

#define ICE_STUN_MAX		2048	/* largest we read */
#define ICE_STUN_TID_LEN	12

enum ice_stun_class {
	ICE_STUN_REQUEST,
	ICE_STUN_INDICATION,
	ICE_STUN_SUCCESS,
	ICE_STUN_ERROR
};

enum ice_stun_role {
	ICE_ROLE_NONE,
	ICE_ROLE_CONTROLLING,
	ICE_ROLE_CONTROLLED
};

#define ICE_STUN_BINDING	0x001

/* What an incoming STUN message says; attributes after FINGERPRINT and
 * the FINGERPRINT value itself are not checked (Go's 0x8100). */
struct ice_stun {
	int		cls;			/* enum ice_stun_class */
	uint16_t	method;
	uint8_t		tid[ICE_STUN_TID_LEN];
	char		username[2 * ICE_UFRAG_MAX];	/* "": none */
	int		has_integrity;
	uint32_t	priority;		/* 0: none */
	int		use_candidate;
	int		role;			/* enum ice_stun_role */
	uint64_t	tiebreaker;
	struct sockaddr_storage mapped;		/* XOR-MAPPED-ADDRESS, or
						   MAPPED-ADDRESS; AF_UNSPEC */
	int		error_code;		/* 0, or e.g. 401, 487 */
};

/* Quick test for the demultiplexer: STUN header and magic cookie. */
int		 ice_stun_is_stun(const uint8_t *, size_t);
/* Returns 0, or -1 for a malformed message (then log and drop). */
int		 ice_stun_parse(const uint8_t *, size_t, struct ice_stun *);
/* MESSAGE-INTEGRITY with a short-term key (the password): 1 ok, 0 not. */
int		 ice_stun_integrity_ok(const uint8_t *, size_t, const char *);
void		 ice_stun_tid(uint8_t [ICE_STUN_TID_LEN]);
/*
 * Builders return the length written, or 0 if the buffer is too small.
 * A check (buf, len, tid, username, pwd, priority, controlling,
 * tiebreaker, use_candidate): USERNAME "remote ufrag:local ufrag",
 * PRIORITY, ICE-CONTROLLING or ICE-CONTROLLED with the tie-breaker,
 * USE-CANDIDATE if asked, MESSAGE-INTEGRITY with pwd, the remote
 * password, FINGERPRINT.
 */
size_t		 ice_stun_check_request(uint8_t *, size_t,
		    const uint8_t [ICE_STUN_TID_LEN], const char *,
		    const char *, uint32_t, int, uint64_t, int);
/* Success: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY (local pwd), FINGERPRINT */
size_t		 ice_stun_check_success(uint8_t *, size_t,
		    const uint8_t [ICE_STUN_TID_LEN],
		    const struct sockaddr_storage *, const char *);
/* Error (400, 401, 487): pwd NULL leaves MESSAGE-INTEGRITY out. */
size_t		 ice_stun_check_error(uint8_t *, size_t,
		    const uint8_t [ICE_STUN_TID_LEN], int, const char *);
/* A plain Binding request to a STUN server (FINGERPRINT only). */
size_t		 ice_stun_binding_request(uint8_t *, size_t,
		    const uint8_t [ICE_STUN_TID_LEN]);

/* ---- ice_raw.c ----------------------------------------------------- */

#define ICE_RAW_MAX		(60 + 8 + ICE_STUN_MAX)

/*
 * A packet read from the raw socket (IPv4 header, UDP header, payload).
 * Checks every length; -1 if malformed or not UDP to dport.  payload
 * points into the packet.
 */
int		 ice_raw_decode(const uint8_t *, size_t, uint16_t,
		    struct sockaddr_storage *, struct sockaddr_storage *,
		    const uint8_t **, size_t *);
/*
 * Send payload as UDP from src (may be NULL or port 0: the kernel picks
 * the address) with source port sport to dst on the raw socket fd.
 * Returns what sendmsg(2) returns.
 */
ssize_t		 ice_raw_send(int, uint16_t, const struct sockaddr_storage *,
		    const struct sockaddr_storage *, const void *, size_t);

/* ---- ice_turn.c ---------------------------------------------------- */

struct turn_client;

struct turn_cb {
	/* the allocation stands: our relayed and server-reflexive address */
	void	(*ready)(void *, const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
	/* it failed or was lost; the client does nothing more */
	void	(*failed)(void *, const char *);
	/* a datagram from a peer, through the relay */
	void	(*recv)(void *, const struct sockaddr_storage *,
		    const uint8_t *, size_t);
};

/* UDP to a resolved TURN server with long-term credentials. */
struct turn_client *turn_client_new(const struct sockaddr_storage *,
		    const char *, const char *, const struct turn_cb *,
		    void *);
/* CreatePermission and ChannelBind for a peer, refreshed; idempotent. */
int		 turn_client_permit(struct turn_client *,
		    const struct sockaddr_storage *);
/* ChannelData once the channel is bound, Send indication before. */
int		 turn_client_send(struct turn_client *,
		    const struct sockaddr_storage *, const void *, size_t);
/*
 * New credentials from management, used from the next request on while
 * the allocation is being made; an allocation keeps the username it was
 * made with (the server refuses another), so they change nothing after.
 */
void		 turn_client_credentials(struct turn_client *, const char *,
		    const char *);
void		 turn_client_free(struct turn_client *);

/* Counters of one client, for the peer view and the tests. */
struct turn_stats {
	uint64_t	 refreshes;	/* Refresh answered with success */
	uint64_t	 permissions;	/* CreatePermission, the same */
	uint64_t	 channel_binds;	/* ChannelBind, the same */
	uint64_t	 stale_nonces;	/* 438 answers, retried */
	uint64_t	 retransmits;
	uint64_t	 tx_send;	/* Send indications */
	uint64_t	 tx_chan;	/* ChannelData */
	uint64_t	 tx_drops;	/* the socket would block */
	uint64_t	 rx_data;	/* Data indications delivered */
	uint64_t	 rx_chan;	/* ChannelData delivered */
	uint64_t	 rx_drops;	/* malformed, unknown, forged */
	uint64_t	 tx_bytes;	/* payload sent */
	uint64_t	 rx_bytes;	/* payload delivered */
};
void		 turn_client_stats(const struct turn_client *,
		    struct turn_stats *);
/*
 * How the last allocation of any client at a server went: 1 it stood,
 * 0 it failed (with the reason), -1 none remembered; and when.
 */
int		 turn_server_outcome(const struct sockaddr_storage *,
		    time_t *, char *, size_t);

/* ---- ice_proxy.c --------------------------------------------------- */

struct ice_proxy;

/*
 * A UDP socket on 127.0.0.1, connected to 127.0.0.1:wg_port: its
 * address is WireGuard's endpoint for the peer.  What WireGuard sends
 * there goes to the callback; ice_proxy_deliver() hands WireGuard what
 * came from the remote.
 */
struct ice_proxy *ice_proxy_new(uint16_t,
		    void (*)(void *, const uint8_t *, size_t), void *);
void		 ice_proxy_addr(const struct ice_proxy *,
		    struct sockaddr_storage *);
int		 ice_proxy_deliver(struct ice_proxy *, const uint8_t *,
		    size_t);
void		 ice_proxy_free(struct ice_proxy *);

struct ice_proxy_stats {
	uint64_t	 from_wg;	/* datagrams to the callback */
	uint64_t	 to_wg;		/* datagrams to WireGuard */
	uint64_t	 drops;		/* to it: would block, refused */
	uint64_t	 from_wg_bytes;
	uint64_t	 to_wg_bytes;
};
void		 ice_proxy_stats(const struct ice_proxy *,
		    struct ice_proxy_stats *);

/* ---- ice_uri.c ----------------------------------------------------- */

enum ice_uri_scheme {
	ICE_URI_STUN,
	ICE_URI_TURN
};

#define ICE_URI_HOST_MAX	256	/* = NBD_DNS_HOST_MAX */
#define ICE_URI_PORT		3478	/* when the URI has none */

struct ice_uri {
	int		scheme;			/* enum ice_uri_scheme */
	char		host[ICE_URI_HOST_MAX];	/* a name or an IP literal,
						   without brackets */
	uint16_t	port;
};

/*
 * "stun:host[:port]" (RFC 7064) or "turn:host[:port][?transport=udp]"
 * (RFC 7065).  stuns, turns and TCP are refused: -1 with the reason.
 */
int		 ice_uri_parse(const char *, struct ice_uri *, const char **);

/* ---- ice_net.c ----------------------------------------------------- */

/* From the dispatchers in ice.c. */
void		 ice_net_raw_socket(int, const struct nbd_raw_socket *);
void		 ice_net_host_addrs(const struct nbd_host_addrs *);
void		 ice_net_config(const struct nbd_netbird_config *);
void		 ice_net_dns_answer(struct imsg *);
uint16_t	 ice_net_wg_port(void);		/* 0: no raw socket yet */
/* TURN servers are known and resolved. */
int		 ice_net_have_turn(void);
/* Called when our local candidates changed (the candidate monitor). */
void		 ice_net_on_change(void (*)(void *), void *);

#define ICE_NET_WHY_LEN		160

/* A STUN or TURN server as netbirdctl shows it. */
struct ice_net_server {
	int			 scheme;	/* enum ice_uri_scheme */
	char			 uri[ICE_URI_HOST_MAX + 32];	/* as Go
						   writes it */
	struct sockaddr_storage	 addr;		/* AF_UNSPEC: unresolved */
	int			 available;	/* STUN: the last Binding
						   1 answered, 0 not, -1 not
						   known yet */
	char			 why[ICE_NET_WHY_LEN];	/* the last failure */
	const char		*user;		/* TURN, until the next */
	const char		*pwd;		/* configuration */
};
/* The STUN servers, then the TURN servers; how many. */
size_t		 ice_net_servers(struct ice_net_server *, size_t);
void		 ice_net_stun_probe(time_t);

#define ICE_NET_LOOKUPS_MAX	16	/* names under way for other modules */
typedef void	(*ice_net_resolved_cb)(void *, const struct sockaddr_storage *,
		    size_t);
uint32_t	 ice_net_resolve(const char *, uint16_t, ice_net_resolved_cb,
		    void *);
void		 ice_net_resolve_cancel(uint32_t);

/* ---- ice_agent.c --------------------------------------------------- */

struct ice_agent;

enum ice_agent_state {
	ICE_AGENT_GATHERING,	/* and checking: trickle ICE */
	ICE_AGENT_CONNECTED,	/* a pair is selected */
	ICE_AGENT_FAILED	/* no pair, or the selected one went quiet;
				   the agent does nothing more */
};

struct ice_agent_cb {
	/* a local candidate to trickle to the remote */
	void	(*candidate)(void *, const struct ice_cand *);
	void	(*state)(void *, enum ice_agent_state);
	/* a datagram (WireGuard) that came over a selected TURN pair */
	void	(*data)(void *, const uint8_t *, size_t);
};

struct ice_agent_params {
	int		 controlling;
	int		 use_relay;	/* gather TURN relay candidates */
	char		 local_ufrag[ICE_UFRAG_MAX];
	char		 local_pwd[ICE_PWD_MAX];
	char		 remote_ufrag[ICE_UFRAG_MAX];
	char		 remote_pwd[ICE_PWD_MAX];
	const struct ice_agent_cb *cb;
	void		*arg;
};

struct ice_selected {
	struct ice_cand	 local;
	struct ice_cand	 remote;
	int64_t		 rtt_ns;	/* of the last check; 0: unknown */
};

/* A new agent gathers at once and reports its candidates by callback. */
struct ice_agent *ice_agent_new(const struct ice_agent_params *);
void		 ice_agent_add_remote(struct ice_agent *,
		    const struct ice_cand *);
int		 ice_agent_selected(const struct ice_agent *,
		    struct ice_selected *);
/* Send WireGuard data over a selected pair whose local side is TURN. */
int		 ice_agent_send(struct ice_agent *, const uint8_t *, size_t);
void		 ice_agent_free(struct ice_agent *);

/* ---- ice_relay.c --------------------------------------------------- */

struct relay_peer;

struct relay_peer_cb {
	/* the remote is online on the relay: datagrams may go */
	void	(*up)(void *);
	/* a WireGuard datagram from the remote */
	void	(*recv)(void *, const uint8_t *, size_t);
	/* the logical connection is gone; free it with ice_relay_close() */
	void	(*down)(void *, const char *);
};

void		 ice_relay_init(void);
void		 ice_relay_config(const struct nbd_netbird_config *);
/* Called when the home relay is (re)connected: offers change. */
void		 ice_relay_on_change(void (*)(void *), void *);
const char	*ice_relay_home(struct sockaddr_storage *);
struct relay_peer *ice_relay_open(const char *, const uint8_t *, size_t,
		    const char *, const char *, const struct relay_peer_cb *,
		    void *);
int		 ice_relay_send(struct relay_peer *, const uint8_t *, size_t);
const char	*ice_relay_url(const struct relay_peer *);
void		 ice_relay_close(struct relay_peer *);
/*
 * The relay servers as netbirdctl shows them, one call each: home and
 * foreign ones connected, or with no home the configured ones, down.
 */
void		 ice_relay_show(void (*)(void *, const struct ctl_relay *),
		    void *);

/* ---- ice.c ------------------------------------------------------- */

int		 ice_signal_ready(void);
void		 ice_peers_connected(int);

/* ---- ice_conn.c ---------------------------------------------------- */

struct ice_conn;
struct nbd_peer;
struct nbd_signal_msg;
struct nbd_wg_stats;
struct ctl_peer;

struct ice_conn	*ice_conn_new(const struct nbd_peer *);
void		 ice_conn_update(struct ice_conn *, const struct nbd_peer *);
void		 ice_conn_free(struct ice_conn *);
void		 ice_conn_kick(struct ice_conn *);
void		 ice_conn_relay_home(struct ice_conn *);
void		 ice_conn_signal(struct ice_conn *,
		    const struct nbd_signal_msg *);
void		 ice_conn_stats(struct ice_conn *, const struct nbd_wg_stats *);
int		 ice_conn_connected(const struct ice_conn *);
void		 ice_conn_show(struct ice_conn *, struct ctl_peer *);

#endif
