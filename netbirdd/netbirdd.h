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

#ifndef NETBIRDD_H
#define NETBIRDD_H

#include <sys/types.h>
#include <sys/socket.h>
#include <net/if.h>
#include <netinet/in.h>
#include <limits.h>
#include <stdint.h>

#include <event.h>

#include "clock.h"
#include "compat.h"
#include "imsg.h"
#include "nbd_ctl.h"

#define NBD_VERSION		"0.1.0"
/* The NetBird version we report: a plain semver management accepts. */
#define NBD_NB_VERSION		"0.77.1"
#define NBD_CONFFILE		"/etc/netbirdd.conf"
#define NBD_STATEDIR		"/var/lib/netbirdd"
#define NBD_KEYFILE		"private.key"	/* in the state directory */
#define NBD_CHROOT		"/run/netbirdd/empty"
#define NBD_USER		"_netbird"
#define NBD_USER_FALLBACK	"nobody"
#define NBD_MGMT_URL		"https://api.netbird.io:443"
#define NBD_IFNAME		"wt0"
#define NBD_WG_PORT		51820
#define NBD_MTU			1280
#define NBD_MTU_MIN		576
#define NBD_MTU_MAX		8192
#define NBD_WG_USERSPACE	"/usr/bin/wireguard-go"

/* Largest message between processes, header included. */
#define NBD_MAX_IMSGSIZE	(256 * 1024)

/* Processes.  The order is the order in which they are started. */
enum nbd_proc {
	PROC_PARENT,
	PROC_MGMT,	/* management gRPC: login, sync */
	PROC_SIGNAL,	/* signal gRPC: offers, answers, candidates */
	PROC_ICE,	/* per-peer connections: ICE, TURN, relay, proxies */
	PROC_METRICS,	/* connection and sync timings, push, export */
	PROC_CONTROL,	/* serves netbirdctl on the socket the parent bound */
	PROC_DNS,	/* name resolution for the chrooted children */
	PROC_MAX
};

/*
 * Every message between processes.  Sender -> receiver in the comments;
 * payload structs sit beside the type that carries them.
 */
enum imsg_type {
	IMSG_NONE,		/* never sent */

	/* lifecycle */
	IMSG_SOCKET_CONN,	/* parent -> child: fd to a sibling, enum nbd_proc */
	IMSG_SOCKET_CONTROL,	/* parent -> control: listening fd */
	IMSG_SOCKET_METRICS,	/* parent -> metrics: Prometheus listener */
	IMSG_RECONF_CONF,	/* parent -> child: struct nbd_config */
	IMSG_RECONF_DONE,	/* parent -> child: configuration complete */

	/* key service: the private key never leaves the parent */
	IMSG_KEY_PUBLIC,	/* parent -> child: struct nbd_key */
	IMSG_KEY_SHARED_REQ,	/* mgmt|signal|ice -> parent: struct nbd_key */
	IMSG_KEY_SHARED,	/* parent -> requester: struct nbd_shared_key */

	/* name resolution */
	IMSG_DNS_QUERY,		/* child -> dns */
	IMSG_DNS_ANSWER,	/* dns -> child */

	/* management: mgmt -> parent, validated, then fanned out */
	IMSG_MGMT_STATE,	/* struct nbd_mgmt_state */
	IMSG_MGMT_CONFIG,	/* struct nbd_netbird_config; also parent ->
				   signal, ice, metrics */
	IMSG_MGMT_NETMAP_BEGIN,	/* struct nbd_netmap_begin */
	IMSG_MGMT_NETMAP_PEER,	/* struct nbd_netmap_peer, one per peer */
	IMSG_MGMT_NETMAP_END,	/* struct nbd_netmap_end */

	/* peers: parent -> ice */
	IMSG_PEER_ADD,		/* struct nbd_peer */
	IMSG_PEER_UPDATE,	/* struct nbd_peer */
	IMSG_PEER_DEL,		/* struct nbd_key */

	/* signal <-> ice; the parent also sends the peers to signal */
	IMSG_SIGNAL_SEND,	/* ice -> signal: struct nbd_signal_msg */
	IMSG_SIGNAL_RECV,	/* signal -> ice: struct nbd_signal_msg */
	IMSG_SIGNAL_STATE,	/* signal -> parent, ice: nbd_signal_state */

	/* WireGuard intents ice -> parent; statistics parent -> ice */
	IMSG_WG_ENDPOINT,	/* struct nbd_wg_endpoint */
	IMSG_WG_STATS_REQ,	/* ice -> parent; the peerid comes back */
	IMSG_WG_STATS,		/* parent -> ice: struct nbd_wg_stats each */
	IMSG_WG_STATS_END,	/* parent -> ice */
	IMSG_SOCKET_RAW,	/* parent -> ice: struct nbd_raw_socket + fd */
	IMSG_HOST_ADDRS_REQ,	/* ice -> parent, empty */
	IMSG_HOST_ADDRS,	/* parent -> ice: struct nbd_host_addrs */
	IMSG_PEERS_CONNECTED,	/* ice -> parent: struct nbd_peers_connected */

	/* samples and gauges for the metrics process */
	IMSG_MGMT_SYNC_DONE,	/* mgmt -> parent: struct nbd_sync_done */
	IMSG_METRIC_SELF,	/* parent -> metrics: struct nbd_metric_self */
	IMSG_METRIC_CONN,	/* ice -> metrics: struct nbd_metric_conn */
	IMSG_METRIC_PEER,	/* ice -> metrics: struct nbd_metric_peer */
	IMSG_METRIC_PEER_DEL,	/* ice -> metrics: struct nbd_key */
	IMSG_METRIC_SYNC,	/* parent -> metrics: struct nbd_metric_sync */
	IMSG_METRIC_LOGIN,	/* mgmt -> metrics: struct nbd_metric_login */
	IMSG_METRIC_RSS,	/* parent -> metrics: struct nbd_metric_rss */

	/*
	 * Control.  netbirdctl -> control -> owner and back; the imsg
	 * peerid is the control connection.  Payloads in nbd_ctl.h.
	 */
	IMSG_CTL_SHOW_STATUS,	/* owner: parent */
	IMSG_CTL_SHOW_PEERS,	/* owner: ice; replies IMSG_CTL_SHOW_PEER */
	IMSG_CTL_SHOW_PEER,
	IMSG_CTL_LOG_VERBOSE,	/* owner: parent, which tells every child */
	IMSG_CTL_RELOAD,	/* owner: parent */
	IMSG_CTL_SHOW_RELAYS,	/* owner: ice; replies IMSG_CTL_SHOW_RELAY */
	IMSG_CTL_SHOW_RELAY,
	IMSG_CTL_SHOW_METRICS,	/* owner: metrics; struct ctl_metrics_req;
				   replies IMSG_CTL_TEXT */
	IMSG_CTL_SHOW_CONFIG,	/* owner: parent; secrets removed; TEXT */
	IMSG_CTL_SHOW_NETMAP,	/* owner: parent; anonymised JSON; TEXT */
	IMSG_CTL_TEXT,		/* 1..CTL_TEXT_MAX bytes of text */
	IMSG_CTL_RESULT,	/* struct ctl_result; ends a reply */
	IMSG_CTL_END,		/* ends a reply stream */

	IMSG_MAX
};

enum wg_backend {
	WG_BACKEND_AUTO,
	WG_BACKEND_KERNEL,
	WG_BACKEND_USERSPACE
};

enum metrics_push {
	METRICS_PUSH_AUTO,	/* as management says */
	METRICS_PUSH_YES,
	METRICS_PUSH_NO
};

/* Log levels; the value is what log_setverbose() takes. */
enum nbd_log_level {
	NBD_LOG_WARNING = -1,
	NBD_LOG_INFO = 0,
	NBD_LOG_DEBUG = 1
};

#define NBD_URL_MAX		256
#define NBD_METRICS_CONFIG_URL	"https://ingest.netbird.io/config"
#define NBD_METRICS_INTERVAL_MIN 10
#define NBD_METRICS_INTERVAL_MAX 86400
#define NBD_SETUPKEY_MAX	128

/*
 * The parsed configuration.  Fixed size and pointer free: it crosses
 * socketpairs as it is.  Only mgmt receives the setup key.
 */
struct nbd_config {
	char		mgmt_url[NBD_URL_MAX];
	char		setup_key[NBD_SETUPKEY_MAX];
	char		setup_key_file[PATH_MAX];
	char		ifname[IFNAMSIZ];
	char		wg_userspace[PATH_MAX];
	char		state_dir[PATH_MAX];
	uint16_t	wg_port;
	uint16_t	mtu;
	int		wg_backend;	/* enum wg_backend */
	int		log_level;	/* enum nbd_log_level */
	int		metrics_push;	/* enum metrics_push */
	char		metrics_url[NBD_URL_MAX];	/* "": remote config */
	char		metrics_config_url[NBD_URL_MAX];
	int32_t		metrics_interval;	/* seconds; 0: remote */
	struct sockaddr_storage metrics_listen;	/* AF_UNSPEC: none */
};

/* IMSG_KEY_PUBLIC, IMSG_KEY_SHARED_REQ */
struct nbd_key {
	uint8_t		key[32];
};

/* IMSG_KEY_SHARED */
struct nbd_shared_key {
	uint8_t		remote[32];
	uint8_t		shared[32];	/* crypto_box_beforenm(remote, ours) */
};

#define NBD_DNS_HOST_MAX	256
#define NBD_DNS_MAX_ADDRS	8

/* IMSG_DNS_QUERY */
struct dns_query {
	uint32_t	qid;
	uint16_t	port;
	char		host[NBD_DNS_HOST_MAX];
};

/* IMSG_DNS_ANSWER */
struct dns_answer {
	uint32_t		qid;
	int32_t			error;		/* 0, or an EAI_* code */
	uint32_t		naddrs;
	struct sockaddr_storage	addrs[NBD_DNS_MAX_ADDRS];
};

/* An address with its prefix length, as it crosses a socketpair. */
struct nbd_prefix {
	uint8_t		af;		/* AF_INET or AF_INET6 */
	uint8_t		plen;
	uint8_t		pad[2];
	uint8_t		addr[16];	/* network byte order */
};

#define NBD_ALLOWED_MAX		64	/* allowed IPs of one peer */
#define NBD_PEERS_MAX		10000	/* peers in one network map */
#define NBD_SERVERS_MAX		8	/* STUN, TURN or relay servers */

/* IMSG_MGMT_STATE */
struct nbd_mgmt_state {
	int32_t		state;		/* enum ctl_mgmt_state */
	char		error[CTL_MSG_LEN];
};

struct nbd_turn {
	char		uri[CTL_URL_LEN];
	char		user[CTL_MSG_LEN];
	char		password[CTL_MSG_LEN];
};

/*
 * IMSG_MGMT_CONFIG: NetbirdConfig as it stands after merging every
 * update (mgmt keeps servers an update leaves out, as NetBird does).
 */
struct nbd_netbird_config {
	char		signal_uri[CTL_URL_LEN];	/* host:port */
	int32_t		signal_tls;
	uint32_t	nstun;
	uint32_t	nturn;
	uint32_t	nrelay;
	char		stun[NBD_SERVERS_MAX][CTL_URL_LEN];
	struct nbd_turn	turn[NBD_SERVERS_MAX];
	char		relay[NBD_SERVERS_MAX][CTL_URL_LEN];
	char		relay_token_payload[1024];
	char		relay_token_signature[1024];
	int32_t		metrics_enabled;	/* -1: not said */
};

/* IMSG_MGMT_NETMAP_BEGIN: the peers that follow replace the current set */
struct nbd_netmap_begin {
	uint64_t	serial;
	struct nbd_prefix address;	/* our overlay address */
	char		fqdn[CTL_NAME_LEN];
	uint32_t	npeers;
	uint16_t	mtu;		/* from management; 0: none */
};

/* IMSG_MGMT_NETMAP_PEER */
struct nbd_netmap_peer {
	struct nbd_key	key;
	char		fqdn[CTL_NAME_LEN];
	uint32_t	nallowed;
	struct nbd_prefix allowed[NBD_ALLOWED_MAX];
};

/* IMSG_MGMT_NETMAP_END */
struct nbd_netmap_end {
	uint64_t	serial;
	uint32_t	npeers;		/* must match BEGIN and what came */
};

/* IMSG_PEER_ADD, IMSG_PEER_UPDATE: what ice needs of a peer */
struct nbd_peer {
	struct nbd_key	key;
	char		fqdn[CTL_NAME_LEN];
	struct nbd_prefix address;	/* its overlay address */
};

/* IMSG_WG_STATS */
struct nbd_wg_stats {
	struct nbd_key	key;
	struct sockaddr_storage endpoint;	/* AF_UNSPEC: none */
	int64_t		last_handshake;		/* unix seconds, 0: never */
	uint64_t	rx_bytes;
	uint64_t	tx_bytes;
};

/* Signal bodies as signal and ice exchange them (protocol.md 4.4). */
enum nbd_sig_type {
	NBD_SIG_OFFER = 0,
	NBD_SIG_ANSWER = 1,
	NBD_SIG_CANDIDATE = 2,
	NBD_SIG_MODE = 4,
	NBD_SIG_GO_IDLE = 5
};

#define NBD_SIG_PAYLOAD_MAX	512	/* "ufrag:pwd" or one candidate */
#define NBD_SIG_VERSION_MAX	64
#define NBD_SESSION_ID_LEN	5

/*
 * IMSG_SIGNAL_SEND (peer: to whom), IMSG_SIGNAL_RECV (peer: from whom).
 * Strings are NUL terminated; the receiver checks that.  HEARTBEAT
 * never leaves the signal process.
 */
struct nbd_signal_msg {
	struct nbd_key	peer;
	int32_t		type;		/* enum nbd_sig_type */
	uint32_t	wg_port;	/* OFFER, ANSWER */
	char		payload[NBD_SIG_PAYLOAD_MAX];
	char		version[NBD_SIG_VERSION_MAX];
	char		relay_addr[CTL_URL_LEN];	/* "": none */
	uint8_t		session_id[NBD_SESSION_ID_LEN];
	uint8_t		has_session_id;
	uint8_t		relay_ip_len;	/* 0, 4 or 16 */
	uint8_t		relay_ip[16];
};

/* IMSG_SIGNAL_STATE */
struct nbd_signal_state {
	int32_t		connected;	/* the stream is up */
	uint32_t	dropped;	/* from keys not in the map, so far */
	char		error[CTL_MSG_LEN];	/* why it is down; "" */
	uint32_t	rejected;	/* from peers, not opened or decoded */
};

/*
 * IMSG_WG_ENDPOINT: set (AF_INET, AF_INET6 with a port) or remove
 * (AF_UNSPEC) the endpoint of a peer in the current map.
 */
struct nbd_wg_endpoint {
	struct nbd_key	key;
	struct sockaddr_storage endpoint;
	int32_t		fresh;		/* no handshake yet: the peer anew */
};

/*
 * IMSG_SOCKET_RAW, with the fd: a raw UDP socket whose filter passes
 * only STUN to the WireGuard port; ice sends STUN from that port on it.
 */
struct nbd_raw_socket {
	int32_t		af;		/* AF_INET */
	uint16_t	port;		/* the WireGuard listen port in use */
	uint16_t	pad;
};

/* IMSG_PEERS_CONNECTED: for show status, sent when it changes */
struct nbd_peers_connected {
	uint32_t	n;
};

/* IMSG_MGMT_SYNC_DONE: all of one SyncResponse has been sent */
struct nbd_sync_done {
	int64_t		received;	/* CLOCK_MONOTONIC ns, when it came */
	int64_t		decoded;	/* CLOCK_MONOTONIC ns, opened, parsed */
};

/* IMSG_METRIC_SELF: what the tags of every sample need */
struct nbd_metric_self {
	char		pubkey[CTL_KEY_LEN];
	char		mgmt_url[CTL_URL_LEN];
	char		version[32];
};

enum nbd_metric_conn_type {
	NBD_METRIC_ICE_P2P,
	NBD_METRIC_ICE_TURN,
	NBD_METRIC_RELAY
};

/*
 * IMSG_METRIC_CONN: one connection attempt that reached a WireGuard
 * handshake.  Stage times are unix ns, 0 when the stage was not seen.
 */
struct nbd_metric_conn {
	struct nbd_key	peer;
	int32_t		conn_type;	/* enum nbd_metric_conn_type */
	int32_t		reconnection;	/* attempt_type */
	int64_t		signaling;	/* first OFFER/ANSWER received */
	int64_t		ready;		/* first transport configured */
	int64_t		handshake;	/* first WireGuard handshake */
};

/* IMSG_METRIC_PEER: a peer's state, when it changes */
struct nbd_metric_peer {
	struct nbd_key	peer;
	int32_t		state;		/* enum ctl_peer_state */
	int32_t		conn_type;	/* enum ctl_conn_type */
	uint64_t	rx_bytes;
	uint64_t	tx_bytes;
};

#define NBD_SYNC_PHASES_MAX	16
#define NBD_PHASE_NAME_LEN	24

/* IMSG_METRIC_SYNC: one SyncResponse handled; ns */
struct nbd_metric_sync {
	int64_t		when;		/* unix ns */
	int64_t		duration;
	uint32_t	nphases;
	struct {
		char	name[NBD_PHASE_NAME_LEN];
		int64_t	duration;
	} phase[NBD_SYNC_PHASES_MAX];
};

/* IMSG_METRIC_LOGIN: one Login call, ns */
struct nbd_metric_login {
	int64_t		when;		/* unix ns */
	int64_t		duration;
	int32_t		success;
};

/* IMSG_METRIC_RSS: resident memory of each process, bytes */
struct nbd_metric_rss {
	uint64_t	rss[PROC_MAX];	/* by enum nbd_proc; 0: unknown */
};

#define NBD_HOST_ADDRS_MAX	32

/* IMSG_HOST_ADDRS: addresses to offer host candidates on */
struct nbd_host_addrs {
	uint32_t	n;
	struct nbd_prefix addr[NBD_HOST_ADDRS_MAX];
};

/* An imsgbuf driven by libevent. */
struct imsgev {
	struct imsgbuf	  ibuf;
	struct event	  ev;
	void		(*handler)(int, short, void *);
	void		 *data;
	short		  events;
	enum nbd_proc	  proc;		/* the process at the other end */
};

/* What a child process is: its dispatchers, one per process it talks to. */
struct proc_child {
	enum nbd_proc	  proc;
	void		(*dispatch[PROC_MAX])(struct imsgev *, struct imsg *);
	void		(*preinit)(void);	/* before chroot and filter:
						   files, library set-up */
	void		(*init)(void);		/* after confinement */
	void		(*configured)(void);	/* after each IMSG_RECONF_DONE */
	void		(*shutdown)(void);
};

/* The state every child keeps, filled by the parent's messages. */
struct proc_env {
	enum nbd_proc	  proc;
	struct nbd_config conf;
	struct nbd_key	  pubkey;
	int		  configured;
	struct imsgev	 *iev[PROC_MAX];
	struct event_base *evbase;	/* made before preinit */
};

/*
 * control.c: which process answers a client's request (or -1, with the
 * reason in the buffer), and whether a reply of that size may come from
 * that process.  Apart so that tests can call them.
 */
int	 control_request_owner(uint32_t, const void *, size_t, char *,
	    size_t);
int	 control_reply_valid(uint32_t, enum nbd_proc, size_t);

/* dns.c */
void	 dns_resolve(const struct dns_query *, struct dns_answer *);

/* netbird_config.c: IMSG_MGMT_CONFIG checked by each receiver */
const char *netbird_config_invalid(const struct nbd_netbird_config *);
const char *nbd_peer_invalid(const struct nbd_peer *);

/* keys.c */
int	 keys_load(const char *);
const uint8_t *keys_public(void);
const uint8_t *keys_private(void);
void	 keys_shared_answer(struct imsgev *, struct imsg *);

/* parse.y */
void	 config_defaults(struct nbd_config *);
int	 parse_config(const char *, struct nbd_config *);
const char *config_error(void);
int	 cmdline_symset(char *);

/* printconf.c */
void	 print_config(const struct nbd_config *);

/* proc.c */
extern const char *const proc_names[PROC_MAX];
const char *imsg_type_name(uint32_t);
pid_t	 proc_start(enum nbd_proc, int, int, int);
void	 imsgev_init(struct imsgev *, int, enum nbd_proc,
	    void (*)(int, short, void *), void *);
void	 imsgev_add(struct imsgev *);
void	 imsgev_clear(struct imsgev *);
int	 imsgev_compose(struct imsgev *, uint32_t, uint32_t, pid_t, int,
	    const void *, size_t);
int	 imsgev_dispatch_io(struct imsgev *, short);
__dead void proc_child_run(const struct proc_child *, int, int);
extern struct proc_env penv;
void	 imsg_data_exact(struct imsg *, void *, size_t, const char *);
void	 imsg_empty(struct imsg *, const char *);

/* sandbox.c */
void	 sandbox_apply(enum nbd_proc);

/* children */
__dead void mgmt_main(int, int);
__dead void signal_main(int, int);
__dead void ice_main(int, int);
__dead void metrics_main(int, int);
__dead void control_main(int, int);
__dead void dns_main(int, int);

#endif
