/* azflow capture decoders: pcap (µs/ns, both byte orders), pcapng (several
 * interfaces with different link types, per-interface time resolution) and
 * Microsoft Network Monitor 2.x files, sniffed by magic; VPN Gateway packet
 * classification; Network Watcher capture paths.  Host-neutral, like
 * flowlog.h: no Suricata header. */
#ifndef AZF_CAPTURE_H
#define AZF_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "flowlog.h" /* AZF_ERRBUF_SIZE, struct azf_addr */

#ifdef __cplusplus
extern "C" {
#endif

/* --- capture files --------------------------------------------------------- */
enum azf_capfmt {
    AZF_CAP_UNKNOWN = 0,
    AZF_CAP_PCAP = 1,   /* classic libpcap, µs or ns, either byte order */
    AZF_CAP_PCAPNG = 2,
    AZF_CAP_NETMON = 3, /* Network Monitor 2.x ("GMBU") */
};

/* Link types are given as pcap LINKTYPE_* numbers whatever the file format
 * (NetMon media types are mapped), so one switch serves every format.  A
 * pcap or pcapng file's value is passed on as it is (FCS bits dropped),
 * including numbers not listed here: the caller decides. */
#define AZF_LINKTYPE_NULL 0
#define AZF_LINKTYPE_ETHERNET 1
#define AZF_LINKTYPE_PPP 9
#define AZF_LINKTYPE_C_HDLC 104
#define AZF_LINKTYPE_RAW 101     /* also 12 and 14 on some platforms */
#define AZF_LINKTYPE_LOOP 108
#define AZF_LINKTYPE_LINUX_SLL 113
#define AZF_LINKTYPE_IPV4 228
#define AZF_LINKTYPE_IPV6 229
#define AZF_LINKTYPE_LINUX_SLL2 276

struct azf_cappkt {
    int64_t ts_us;        /* µs since the epoch (ns files are truncated);
                           * 0 for a pcapng simple packet block (it has none) */
    uint32_t ts_ns_rem;   /* the nanoseconds below ts_us (0-999), when known */
    uint32_t caplen;      /* bytes in data */
    uint32_t len;         /* bytes on the wire (caplen < len: truncated) */
    uint32_t linktype;    /* LINKTYPE_* of this packet's interface */
    uint32_t interface;   /* pcapng interface index in its section; 0 otherwise */
    uint64_t offset;      /* file offset of the packet's record (pcap record
                           * header, pcapng block, NetMon frame) */
    const uint8_t *data;  /* valid until the next call */
};

struct azf_capfile;

/* Which format do these first bytes announce?  Needs >= 4 bytes; given 12
 * it also checks the pcap major version (2), the pcapng byte-order magic
 * and the NetMon major version (2), as azf_capfile_open does. */
enum azf_capfmt azf_capfile_sniff(const uint8_t *buf, size_t len);

/* Opens and sniffs `path` and reads its file header (NetMon: its frame
 * table).  NULL with errbuf naming the file on failure.  Memory is bounded by
 * the largest record; no record may exceed 256 MiB. */
struct azf_capfile *azf_capfile_open(const char *path, char errbuf[AZF_ERRBUF_SIZE]);
/* 1: a packet in *pkt; 0: end of file; -1: the rest of the file cannot be
 * read (errbuf: "file:offset: reason") — packets returned before stay good,
 * and every later call returns -1 with the same message.
 * Records that are not packets (pcapng name resolution, statistics, custom
 * and unknown blocks; NetMon event/filter/adapter frames) are passed over
 * and not counted.  A packet that cannot be returned is skipped and counted
 * in azf_capfile_skipped, not returned as -1, wherever the records after it
 * can still be found: a pcapng packet block whose fields contradict its
 * (trailer-checked) length, one on an interface not declared in its section
 * or whose description cannot be read (an option overrunning the block, an
 * if_tsresol past 2^-63 or 10^-19: its times would be guessed); a NetMon
 * frame the frame table points past the file; a NetMon media type with no
 * LINKTYPE (e.g. Wi-Fi).  A pcap record over the file's snaplen is cut to
 * the snaplen, as libpcap cuts it.  -1 is left for what loses the framing:
 * a bad block or record length, a truncated record, a read error.
 * NetMon 2.0-2.2 times are the header's start time, read as UTC (NetMon
 * writes the capturing host's local time without a zone), plus the frame's
 * offset; 2.3 frames carry their own UTC time. */
int azf_capfile_next(struct azf_capfile *f, struct azf_cappkt *pkt, char errbuf[AZF_ERRBUF_SIZE]);
/* Look ahead, then read again from the first packet: after
 * azf_capfile_lookahead (called right after azf_capfile_open), packets are
 * read as usual, and azf_capfile_rewind returns the reader to its first
 * packet as if the file had just been opened (its counters, warnings and
 * failure start over too).  A pipe or FIFO, which can be read only once,
 * works as a file does: the reader keeps every byte it reads until the
 * rewind, so the caller bounds the look-ahead (a packet's offset says how
 * far it went); a regular file is rewound by seeking and keeps nothing.
 * Both 0, or -1 with errbuf filled: lookahead on a stream whose start was
 * passed already (a Network Monitor file on a pipe), rewind when the seek
 * or the header's second reading fails (then every azf_capfile_next
 * returns -1 with the same message). */
int azf_capfile_lookahead(struct azf_capfile *f, char errbuf[AZF_ERRBUF_SIZE]);
int azf_capfile_rewind(struct azf_capfile *f, char errbuf[AZF_ERRBUF_SIZE]);
enum azf_capfmt azf_capfile_format(const struct azf_capfile *f);
/* Problems the reader worked around rather than stopped at: a time fraction
 * of a second or more (kept in its second: the fraction is clamped to the
 * second's last tick), a pcapng section of minor version other than 0 and 2
 * (read as 1.0: every 1.x shares the block structure; libpcap refuses 1.1),
 * a pcap record cut to the snaplen, and each kind of skip above.
 * 1 and a "file:offset: what was done" in errbuf for each kind the first
 * time it occurs in the file, oldest first; 0 when nothing new is to be
 * said.  Call it until it returns 0 after each azf_capfile_next. */
int azf_capfile_warning(struct azf_capfile *f, char errbuf[AZF_ERRBUF_SIZE]);
/* Packets whose time fraction was clamped so far. */
uint64_t azf_capfile_bad_times(const struct azf_capfile *f);
/* Packets skipped so far (see azf_capfile_next). */
uint64_t azf_capfile_skipped(const struct azf_capfile *f);
/* Packets returned with caplen < len so far. */
uint64_t azf_capfile_truncated(const struct azf_capfile *f);
void azf_capfile_close(struct azf_capfile *f);

/* --- the receive path ------------------------------------------------------
 * What a packet engine is handed for each record.  Link types go on as the
 * LINKTYPE_* its decoders take: Ethernet, Linux SLL/SLL2, PPP, Cisco HDLC,
 * raw IP (12, 14, 228 and 229 as 101) and NULL (LOOP as NULL, the 4-byte
 * family rewritten to host order, as the engine reads it, so the header
 * is counted as stock Suricata counts it).  Anything else is refused. */
enum azf_rx_verdict {
    AZF_RX_OK = 0,
    AZF_RX_LINKTYPE = 1,  /* no decoder for this link type: skip and say so */
    AZF_RX_OVERSIZED = 2, /* caplen over the engine's max_len: skip and say so */
};

struct azf_rx {
    uint32_t linktype;    /* LINKTYPE_* to hand on */
    int32_t ip_off;       /* IP header offset in the data; -1: none (ARP, an
                           * unknown NULL family, a frame too short, PPP) */
    uint32_t null_family; /* NULL/LOOP: the address family; 0 otherwise */
    uint8_t fix;          /* azf_rx_fixup has something to change */
};

/* Decides what `pkt` becomes; max_len is the most bytes the engine takes in
 * one packet (Suricata: MAX_PAYLOAD_SIZE).  rx is filled for every verdict
 * but AZF_RX_LINKTYPE. */
int azf_rx_prepare(const struct azf_cappkt *pkt, uint32_t max_len, struct azf_rx *rx);
/* Applies rx's fix-ups to buf, the engine's copy of pkt->data (caplen
 * bytes): the NULL family in host order; for a truncated packet the
 * outermost IPv4/IPv6 and UDP lengths cut to what was captured (and the
 * IPv4 header checksum redone), so the packet is inspected as far as it
 * goes.  Never reads or writes past caplen. */
void azf_rx_fixup(const struct azf_cappkt *pkt, const struct azf_rx *rx, uint8_t *buf);

/* --- VPN Gateway packet captures --------------------------------------------
 * A capture holds outer packets (IKE on UDP 500/4500, ESP, NAT-T ESP,
 * OpenVPN) and the decrypted inner packets.  The classifier learns the
 * tunnel endpoints from the outer packets and attributes an inner packet to
 * a tunnel only by pairing it with the ESP packet it came out of or went
 * into: within AZF_VPN_PAIR_US in time, and of exactly the length an ESP
 * suite makes of it (vpn.c lists the suites; a fragmented ESP packet pairs
 * once its last fragment tells its whole length).  A flow with no paired packet
 * stays unattributed (layer inner, no tunnel, no SPI), one tunnel or many.
 *
 * Outer: IP protocol 50; UDP 500; UDP 4500 (non-ESP marker: IKE, else
 * NAT-T ESP, 0xff: NAT-keepalive); UDP/TCP 1194 (OpenVPN); later IP
 * fragments between known tunnel endpoints.  Inner: anything else.
 * Gateway vs peer, strongest evidence first: an address shared by two
 * tunnels; the IKE_SA_INIT (IKEv1: first Main/Aggressive Mode) responder or
 * the OpenVPN port's side; the IKEv2 non-initiator.  Without such evidence
 * (ESP only) gateway and peer stay unknown.  Memory is bounded (32 tunnels,
 * 256 recent ESP packets, 1024 inner flows); see vpn.c for the pairing. */
enum azf_vpn_layer { AZF_VPN_NONE = 0, AZF_VPN_INNER = 1, AZF_VPN_OUTER = 2 };

/* What an outer packet is (AZF_VPN_KIND_NONE for inner ones). */
enum azf_vpn_kind {
    AZF_VPN_KIND_NONE = 0,
    AZF_VPN_KIND_IKE = 1,       /* UDP 500, or 4500 after the non-ESP marker */
    AZF_VPN_KIND_ESP = 2,       /* IP protocol 50 */
    AZF_VPN_KIND_NATT_ESP = 3,  /* UDP 4500, ESP (RFC 3948) */
    AZF_VPN_KIND_KEEPALIVE = 4, /* UDP 4500, the one-byte NAT-keepalive */
    AZF_VPN_KIND_OPENVPN = 5,   /* UDP/TCP 1194 */
    AZF_VPN_KIND_OTHER = 6,     /* a tunnel packet the capture cut too short to tell, or a fragment */
};

struct azf_vpn_info {
    uint8_t layer;            /* enum azf_vpn_layer */
    uint8_t have_gateway, have_peer, have_spi;
    struct azf_addr gateway;  /* the Azure side of the tunnel */
    struct azf_addr peer;     /* the on-premises side */
    uint32_t spi;             /* ESP SPI (network order value) */
    uint8_t kind;             /* enum azf_vpn_kind */
};

struct azf_vpn;
/* NULL when out of memory. */
struct azf_vpn *azf_vpn_new(void);
void azf_vpn_free(struct azf_vpn *v);
/* Classifies one packet (starting at its IP header: the caller strips the
 * link layer) of length caplen (wire length len), at time ts_us.  Never
 * reads past caplen; a packet too short to judge (no IP addresses, or TCP/UDP
 * without its ports) is AZF_VPN_NONE.  Packets are expected in capture
 * order; an inner packet pairs only with an ESP packet at most
 * AZF_VPN_PAIR_US away from it in time. */
#define AZF_VPN_PAIR_US 2000
void azf_vpn_classify(struct azf_vpn *v, const uint8_t *ip, uint32_t caplen, uint32_t len, int64_t ts_us,
                      struct azf_vpn_info *out);

/* --- Network Watcher packet captures ------------------------------------------
 * …/virtualmachines/{vm}/{yyyy}/{MM}/{dd}/packetcapture_HH_mm_ss_fff.cap →
 * the VM name and the capture's start time (UTC).  Returns 0 when the path
 * has that shape (matched case-insensitively; the name must end the path;
 * dates and times are range-checked), else -1 with *out zeroed.  A VM name
 * longer than vm[] is truncated, always NUL-terminated. */
struct azf_nwcapture {
    char vm[128];
    int64_t started_us;
};
int azf_nwcapture_parse_path(const char *path, struct azf_nwcapture *out);

#ifdef __cplusplus
}
#endif
#endif /* AZF_CAPTURE_H */
