/* `azflow corpus OUTDIR`: regenerates the synthetic part of pcap-corpus/ byte
 * for byte from the scenario tables below (no clock, no randomness). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "corpus.h"
#include "corpus_flowlog.h"
#include "corpus_netmon.h"
#include "corpus_odd.h"
#include "corpus_pcapng.h"
#include "corpus_pkt.h"

/* 2026-11-28T04:00:00Z: every scenario's times are offsets from here. */
#define CORPUS_BASE_S INT64_C(1795838400)
#define MS_US INT64_C(1000)
#define S_US INT64_C(1000000)

/* --- small helpers shared by the corpus files ---------------------------- */

void corpus_err(char errbuf[CORPUS_ERRBUF_SIZE], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(errbuf, CORPUS_ERRBUF_SIZE, fmt, ap);
    va_end(ap);
}

int corpus_mkdir_parents(const char *path, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char dir[PATH_MAX];
    size_t len = strlen(path);

    if (len >= sizeof(dir)) {
        corpus_err(errbuf, "%s: path too long", path);
        return -1;
    }
    memcpy(dir, path, len + 1);
    for (char *p = dir + 1; *p; p++) {
        struct stat st;
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) < 0 &&
            (errno != EEXIST || stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
            corpus_err(errbuf, "%s: %s", dir,
                       errno == EEXIST ? "not a directory" : strerror(errno));
            return -1;
        }
        *p = '/';
    }
    return 0;
}

int corpus_write_file(const char *path, const void *data, size_t len,
                      char errbuf[CORPUS_ERRBUF_SIZE])
{
    FILE *f;

    if (corpus_mkdir_parents(path, errbuf) < 0)
        return -1;
    if ((f = fopen(path, "wb")) == NULL) {
        corpus_err(errbuf, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fwrite(data, 1, len, f) != len || fflush(f) != 0) {
        corpus_err(errbuf, "%s: write failed: %s", path, strerror(errno));
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        corpus_err(errbuf, "%s: close failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

const char *corpus_time_str(int64_t us, int frac, char *buf, size_t len)
{
    time_t sec = (time_t)(us / S_US);
    long sub = (long)(us % S_US);
    struct tm tm;
    size_t n;

    gmtime_r(&sec, &tm);
    n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac > 0 && n < len) {
        long scaled = sub;
        int digits = frac;
        for (; digits > 6; digits--)
            scaled *= 10;
        for (; digits < 6; digits++)
            scaled /= 10;
        snprintf(buf + n, len - n, ".%0*ldZ", frac, scaled);
    } else if (n < len) {
        snprintf(buf + n, len - n, "Z");
    }
    return buf;
}

static int join_path(char *out, size_t len, const char *dir, const char *rel,
                     char errbuf[CORPUS_ERRBUF_SIZE])
{
    int n = snprintf(out, len, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= len) {
        corpus_err(errbuf, "%s/%s: path too long", dir, rel);
        return -1;
    }
    return 0;
}

static uint32_t ipv4(const char *s)
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1)
        abort(); /* a typo in a table below: a programming error */
    return ntohl(a.s_addr);
}

/* --- the vTAP mirror every scenario shares ----------------------------------
 * Azure virtual network TAP mirroring NIC 000D3AF87856 (10.0.0.4) to a
 * collector; each scenario adds its own flows and their flow logs. */

#define VTAP_NIC_IP "10.0.0.4"
static const uint8_t vtap_nic_mac[6] = {0x00, 0x0d, 0x3a, 0xf8, 0x78, 0x56};
const uint8_t corpus_vtap_gw_mac[6] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};

/* The NIC a capture is taken at: its frames carry its MAC, every other
 * address sits behind the subnet's gateway MAC. */
struct nic {
    const char *ip;
    const uint8_t *mac;
};
static const struct nic vtap_nic = {VTAP_NIC_IP, vtap_nic_mac};

const struct cpkt_vtap corpus_vtap_encap = {
    .outer_src_mac = {0x00, 0x0d, 0x3a, 0x00, 0x00, 0x01},
    .outer_dst_mac = {0x00, 0x0d, 0x3a, 0x00, 0x00, 0x02},
    .outer_src = 0x0a010004, /* 10.1.0.4 */
    .outer_dst = 0x0a01000a, /* 10.1.0.10, the collector */
    .udp_dport = 4789,
    .vni = 4096,
};

#define VTAP_MAC "000D3AF87856"
#define VTAP_SUB "00000000-0000-0000-0000-0000000000aa"
#define VTAP_NSG_ACL \
    "/subscriptions/" VTAP_SUB "/resourceGroups/rg-prod/providers/Microsoft.Network/" \
    "networkSecurityGroups/nsg-app"
#define VTAP_ADMIN_ACL "9f1e0b2c-0000-4000-8000-000000000001"
/* The aclID platform rules are logged under: no security admin rule. */
#define VTAP_ZERO_ACL "00000000-0000-0000-0000-000000000000"

static const struct cflog_vnet_env vtap_vnet_env = {
    .flow_log_guid = "5f0c2a9e-0000-4000-8000-0000000000aa",
    .mac = VTAP_MAC,
    .flow_log_resource_id = "/SUBSCRIPTIONS/00000000-0000-0000-0000-0000000000AA/RESOURCEGROUPS/"
                            "NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/"
                            "NETWORKWATCHER_EASTUS/FLOWLOGS/VNET1-FLOWLOG",
    .target_resource_id = "/subscriptions/" VTAP_SUB "/resourceGroups/rg-prod/providers/"
                          "Microsoft.Network/virtualNetworks/vnet1",
};

static const struct cflog_nsg_env vtap_nsg_env = {
    .system_id = "0c6e8a41-0000-4000-8000-0000000000aa",
    .mac = VTAP_MAC,
    .resource_id = "/SUBSCRIPTIONS/00000000-0000-0000-0000-0000000000AA/RESOURCEGROUPS/RG-PROD/"
                   "PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-APP",
};

/* Blob paths below a scenario's vnet/ and nsg/ folders, as the storage
 * account names them (every scenario lies in hour 04 of 2026-11-28). */
#define VNET_BLOB_PATH_OF(FLOWLOG, MAC)                                              \
    "flowLogResourceID=/00000000-0000-0000-0000-0000000000AA_NETWORKWATCHERRG/"      \
    "NETWORKWATCHER_EASTUS_" FLOWLOG "/y=2026/m=11/d=28/h=04/m=00/macAddress=" MAC \
    "/PT1H.json"
#define VNET_BLOB_PATH VNET_BLOB_PATH_OF("VNET1-FLOWLOG", VTAP_MAC)
#define NSG_BLOB_PATH                                                                \
    "resourceId=/SUBSCRIPTIONS/00000000-0000-0000-0000-0000000000AA/RESOURCEGROUPS/" \
    "RG-PROD/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-APP/y=2026/m=11/" \
    "d=28/h=04/m=00/macAddress=" VTAP_MAC "/PT1H.json"

#define MSGS(a) (a), sizeof(a) / sizeof((a)[0])

static const struct msg http_msgs[] = {
    C2S("GET /index.html HTTP/1.1\r\nHost: app.internal\r\nUser-Agent: azflow-corpus\r\n\r\n"),
    S2C("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello azure\n"),
};

/* X.224 Connection Request / Confirm carrying RDP_NEG_REQ / RDP_NEG_RSP (TLS). */
static const struct msg rdp_msgs[] = {
    C2S("\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00"),
    S2C("\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x01\x00\x00\x00"),
};

const struct msg corpus_ssh_msgs[2] = {
    S2C("SSH-2.0-OpenSSH_9.2\r\n"),
    C2S("SSH-2.0-OpenSSH_9.2\r\n"),
};

/* DNS A app.internal -> 10.0.1.5 (TTL 10). */
const struct msg corpus_dns_msgs[2] = {
    C2S("\x4a\x7c\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        "\x03" "app" "\x08" "internal" "\x00" "\x00\x01\x00\x01"),
    S2C("\x4a\x7c\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
        "\x03" "app" "\x08" "internal" "\x00" "\x00\x01\x00\x01"
        "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x0a\x00\x04\x0a\x00\x01\x05"),
};

/* NetBIOS session + SMB1 NEGOTIATE offering "NT LM 0.12", and the server's
 * NT LM 0.12 response (extended security, no security blob). */
static const struct msg smb_msgs[] = {
    C2S("\x00\x00\x00\x2f"
        "\xff" "SMB" "\x72\x00\x00\x00\x00\x18\x43\xc8\x00\x00"
        "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xfe\x00\x00\x00\x00"
        "\x00\x0c\x00\x02" "NT LM 0.12" "\x00"),
    S2C("\x00\x00\x00\x55"
        "\xff" "SMB" "\x72\x00\x00\x00\x00\x98\x43\xc8\x00\x00"
        "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xfe\x00\x00\x00\x00"
        "\x11\x00\x00\x03\x32\x00\x01\x00\x04\x41\x00\x00\x00\x00\x01\x00"
        "\x00\x00\x00\x00\xfd\xf3\x00\x80"
        "\x00\x45\x1b\x0e\xed\x7e\xdd\x01" /* FILETIME 2026-11-28T04:00:50Z */
        "\x00\x00\x00\x10\x00" "azflow-corpus-01"),
};

/* 100 opaque bytes each way, filled in by fill_opaque(). */
static uint8_t opaque_c2s[100], opaque_s2c[100];
static const struct msg opaque_msgs[] = {
    {CPKT_TOSERVER, opaque_c2s, sizeof(opaque_c2s)},
    {CPKT_TOCLIENT, opaque_s2c, sizeof(opaque_s2c)},
};

static void fill_opaque(void)
{
    uint32_t x = 0x2545f491;
    for (size_t i = 0; i < sizeof(opaque_c2s); i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        opaque_c2s[i] = (uint8_t)x;
        opaque_s2c[i] = (uint8_t)(x >> 8);
    }
}

/* FTP control: banner, USER/PASS login, QUIT. */
static const struct msg ftp_msgs[] = {
    S2C("220 (vsFTPd 3.0.5)\r\n"),
    C2S("USER deploy\r\n"),
    S2C("331 Please specify the password.\r\n"),
    C2S("PASS Winter2026!\r\n"),
    S2C("230 Login successful.\r\n"),
    C2S("QUIT\r\n"),
    S2C("221 Goodbye.\r\n"),
};

/* Telnet option negotiation (TERMINAL-TYPE, NAWS), a login prompt and a name. */
static const struct msg telnet_msgs[] = {
    S2C("\xff\xfd\x18\xff\xfd\x1f"),
    C2S("\xff\xfb\x18\xff\xfb\x1f"),
    S2C("\r\nlogin: "),
    C2S("admin\r\n"),
};

/* LDAPv3 simple bind of cn=admin,dc=corp,dc=example (messageID 1) and its
 * success BindResponse. */
static const struct msg ldap_msgs[] = {
    C2S("\x30\x2d\x02\x01\x01\x60\x28\x02\x01\x03"
        "\x04\x1b" "cn=admin,dc=corp,dc=example"
        "\x80\x06" "Secret"),
    S2C("\x30\x0c\x02\x01\x01\x61\x07\x0a\x01\x00\x04\x00\x04\x00"),
};

/* A WinRM client's first request (NTLM NEGOTIATE) and the listener's 401. */
static const struct msg winrm_msgs[] = {
    C2S("POST /wsman HTTP/1.1\r\n"
        "Connection: Keep-Alive\r\n"
        "Content-Type: application/soap+xml;charset=UTF-8\r\n"
        "Authorization: Negotiate TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==\r\n"
        "User-Agent: Microsoft WinRM Client\r\n"
        "Content-Length: 0\r\n"
        "Host: 10.0.0.4:5985\r\n\r\n"),
    S2C("HTTP/1.1 401 \r\n"
        "Server: Microsoft-HTTPAPI/2.0\r\n"
        "WWW-Authenticate: Negotiate\r\n"
        "Content-Length: 0\r\n\r\n"),
};

/* SNMPv2c GetRequest sysDescr.0 (community "public") and its GetResponse. */
static const struct msg snmp_msgs[] = {
    C2S("\x30\x29\x02\x01\x01\x04\x06" "public"
        "\xa0\x1c\x02\x04\x1a\x2b\x3c\x4d\x02\x01\x00\x02\x01\x00"
        "\x30\x0e\x30\x0c\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00\x05\x00"),
    S2C("\x30\x3f\x02\x01\x01\x04\x06" "public"
        "\xa2\x32\x02\x04\x1a\x2b\x3c\x4d\x02\x01\x00\x02\x01\x00"
        "\x30\x24\x30\x22\x06\x08\x2b\x06\x01\x02\x01\x01\x01\x00"
        "\x04\x16" "Linux azflow-corpus-01"),
};

enum log_kind {
    LOG_NONE,  /* no flow-log record mentions it */
    LOG_ALLOW, /* B at the start, E at the end with the counters */
    LOG_DENY,  /* one D tuple at the start */
};

struct mirror_flow {
    const char *name;
    uint8_t proto;
    const char *src;
    uint16_t sport;
    const char *dst;
    uint16_t dport;
    int64_t start_ms;         /* from the base time */
    const struct msg *msgs;   /* the mirrored packets; NULL: the flow is only logged */
    size_t nmsgs;
    enum log_kind log;
    char direction;           /* 'I' / 'O', relative to the NIC */
    const char *encryption;
    const char *acl;
    const char *rule;
    int nsg_visible;          /* 0 for security-admin rules */
    /* logged-only allowed flows: the E tuple's time */
    int64_t end_ms;
    /* the E tuple's counters (pkts s2d, bytes s2d, pkts d2s, bytes d2s): needed
     * for a logged-only flow; on a mirrored one all zero means the packets' own,
     * anything else is a log that claims more than the mirror saw */
    uint64_t counters[4];
};

#define TCP 6
#define UDP 17

/* --- scenario: vtap ---------------------------------------------------------
 * The mirror plus the VNet v4 and NSG v2 flow logs of the same minutes. */

/* In start-time order: the pcap is written flow after flow. */
static const struct mirror_flow vtap_flows[] = {
    {"http", TCP, "10.0.0.4", 50000, "10.0.1.5", 80, 10000, MSGS(http_msgs),
     LOG_ALLOW, 'O', "NX", VTAP_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}},
    {"rdp", TCP, "203.0.113.50", 51000, "10.0.0.4", 3389, 20000, MSGS(rdp_msgs),
     LOG_ALLOW, 'I', "NX", VTAP_NSG_ACL, "UserRule_AllowRDPFromInternet", 1, 0, {0}},
    /* The mirror shows a session the NSG says it denied. */
    {"denied-ssh", TCP, "198.51.100.7", 40000, "10.0.0.4", 22, 30000, MSGS(corpus_ssh_msgs),
     LOG_DENY, 'I', "NX", VTAP_NSG_ACL, "DefaultRule_DenyAllInBound", 1, 0, {0}},
    {"dns", UDP, "10.0.0.4", 53000, "168.63.129.16", 53, 40000, MSGS(corpus_dns_msgs),
     LOG_ALLOW, 'O', "X", VTAP_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}},
    {"smb-unencrypted", TCP, "10.0.0.4", 50010, "10.0.2.6", 445, 50000, MSGS(smb_msgs),
     LOG_ALLOW, 'O', "NX", VTAP_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}},
    {"mirror-only", TCP, "10.0.0.4", 50020, "10.0.2.9", 443, 60000, MSGS(opaque_msgs),
     LOG_NONE, 'O', NULL, NULL, NULL, 0, 0, {0}},
    {"log-only-rdp", TCP, "192.0.2.77", 52000, "10.0.0.5", 3389, 70000, NULL, 0,
     LOG_ALLOW, 'I', "NX", VTAP_NSG_ACL, "UserRule_AllowRDPFromInternet", 1,
     75000, {20, 2400, 18, 3600}},
    {"log-only-scan", TCP, "192.0.2.99", 61000, "10.0.0.5", 22, 80000, NULL, 0,
     LOG_DENY, 'I', "NX", VTAP_NSG_ACL, "DefaultRule_DenyAllInBound", 1, 0, {0}},
    {"log-only-scan", TCP, "192.0.2.99", 61000, "10.0.0.5", 23, 81000, NULL, 0,
     LOG_DENY, 'I', "NX", VTAP_NSG_ACL, "DefaultRule_DenyAllInBound", 1, 0, {0}},
    {"log-only-scan", TCP, "192.0.2.99", 61000, "10.0.0.5", 445, 82000, NULL, 0,
     LOG_DENY, 'I', "NX", VTAP_NSG_ACL, "DefaultRule_DenyAllInBound", 1, 0, {0}},
    {"log-only-scan", TCP, "192.0.2.99", 61000, "10.0.0.5", 1433, 83000, NULL, 0,
     LOG_DENY, 'I', "NX", VTAP_NSG_ACL, "DefaultRule_DenyAllInBound", 1, 0, {0}},
    {"log-only-scan", TCP, "192.0.2.99", 61000, "10.0.0.5", 3389, 84000, NULL, 0,
     LOG_DENY, 'I', "NX", VTAP_NSG_ACL, "DefaultRule_DenyAllInBound", 1, 0, {0}},
    /* A Virtual Network Manager security admin rule: VNet logs only. */
    {"admin-deny", TCP, "10.0.0.4", 50030, "10.0.9.9", 25, 90000, NULL, 0,
     LOG_DENY, 'O', "NX", VTAP_ADMIN_ACL, "BlockSMTPOutbound", 0, 0, {0}},
};

/* --- scenario: cleartext -----------------------------------------------------
 * The same mirror with one flow per shipped rule that needs a firing (and, next
 * to it, a non-firing) flow: cleartext protocols logged unencrypted or
 * encrypted, management ports from the internet allowed or denied, counters
 * the mirror cannot show, platform rules and an encryption fallback.  VNet
 * flow log only. */

/* A 2 GiB upload as the log counts it; the mirror holds a short session. */
#define BULK_COUNTERS {1572864, UINT64_C(2147483648), 786432, 40894464}

/* In start-time order: the pcap is written flow after flow. */
static const struct mirror_flow cleartext_flows[] = {
    {"ftp-unencrypted", TCP, "10.0.0.4", 50200, "10.0.2.10", 21, 10000, MSGS(ftp_msgs),
     LOG_ALLOW, 'O', "NX", VTAP_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}},
    {"ftp-encrypted", TCP, "10.0.0.4", 50201, "10.0.2.11", 21, 20000, MSGS(ftp_msgs),
     LOG_ALLOW, 'O', "X", VTAP_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}},
    {"telnet-unencrypted", TCP, "10.0.0.4", 50202, "10.0.2.12", 23, 30000, MSGS(telnet_msgs),
     LOG_ALLOW, 'O', "NX", VTAP_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}},
    {"telnet-encrypted", TCP, "10.0.0.4", 50203, "10.0.2.13", 23, 40000, MSGS(telnet_msgs),
     LOG_ALLOW, 'O', "X", VTAP_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}},
    {"ldap-unencrypted", TCP, "10.0.0.4", 50204, "10.0.2.14", 389, 50000, MSGS(ldap_msgs),
     LOG_ALLOW, 'O', "NX", VTAP_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}},
    {"ldap-encrypted", TCP, "10.0.0.4", 50205, "10.0.2.15", 389, 60000, MSGS(ldap_msgs),
     LOG_ALLOW, 'O', "X", VTAP_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}},
    {"winrm-allowed", TCP, "203.0.113.60", 51100, "10.0.0.4", 5985, 70000, MSGS(winrm_msgs),
     LOG_ALLOW, 'I', "NX", VTAP_NSG_ACL, "UserRule_AllowWinRMFromInternet", 1, 0, {0}},
    /* Denied, yet mirrored: not "allowed WinRM", but a denied session. */
    {"winrm-denied", TCP, "203.0.113.61", 51101, "10.0.0.4", 5985, 80000, MSGS(winrm_msgs),
     LOG_DENY, 'I', "NX", VTAP_NSG_ACL, "UserRule_DenyWinRMFromInternet", 1, 0, {0}},
    {"ssh-allowed", TCP, "203.0.113.62", 51102, "10.0.0.4", 22, 90000, MSGS(corpus_ssh_msgs),
     LOG_ALLOW, 'I', "NX", VTAP_NSG_ACL, "UserRule_AllowSSHFromInternet", 1, 0, {0}},
    /* The NIC answered a datagram the log says was denied. */
    {"snmp-denied", UDP, "198.51.100.9", 5353, "10.0.0.4", 161, 100000, MSGS(snmp_msgs),
     LOG_DENY, 'I', "NX", VTAP_NSG_ACL, "DefaultRule_DenyAllInBound", 1, 0, {0}},
    {"bulk-upload", TCP, "10.0.0.4", 50100, "198.51.100.20", 443, 110000, MSGS(opaque_msgs),
     LOG_ALLOW, 'O', "NX", VTAP_NSG_ACL, "DefaultRule_AllowInternetOutBound", 1, 0,
     BULK_COUNTERS},
    {"small-upload", TCP, "10.0.0.4", 50101, "198.51.100.21", 443, 120000, MSGS(opaque_msgs),
     LOG_ALLOW, 'O', "NX", VTAP_NSG_ACL, "DefaultRule_AllowInternetOutBound", 1, 0, {0}},
    /* Virtual Network Manager rules: VNet logs only. */
    {"admin-allow", TCP, "10.0.0.4", 50110, "10.0.3.3", 8080, 130000, MSGS(http_msgs),
     LOG_ALLOW, 'O', "X", VTAP_ADMIN_ACL, "AllowPlatformHTTP", 0, 0, {0}},
    {"platform-allow", TCP, "10.0.0.4", 50111, "10.0.3.5", 8080, 140000, MSGS(http_msgs),
     LOG_ALLOW, 'O', "X", VTAP_ZERO_ACL, "PlatformRule", 0, 0, {0}},
    {"encryption-fallback", TCP, "10.0.0.4", 50120, "10.0.3.4", 8443, 150000, MSGS(opaque_msgs),
     LOG_ALLOW, 'O', "NX_FALLBACK", VTAP_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}},
};

/* --- building a mirror scenario ------------------------------------------- */

struct mirror_scenario {
    const char *summary;      /* the MANIFEST's first line */
    const char *pcap;         /* paths below OUTDIR */
    const char *vnet_blob;
    const char *nsg_blob;     /* NULL: the scenario has no NSG flow log */
    const char *manifest;
    const struct mirror_flow *flows;
    size_t nflows;
};

static const struct mirror_scenario vtap_scenario = {
    .summary = "vtap: Azure virtual network TAP mirror of NIC " VTAP_MAC " (" VTAP_NIC_IP
               ") and its flow logs.",
    .pcap = "vtap/mirror.pcap",
    .vnet_blob = "vtap/vnet/" VNET_BLOB_PATH,
    .nsg_blob = "vtap/nsg/" NSG_BLOB_PATH,
    .manifest = "vtap/MANIFEST",
    .flows = vtap_flows,
    .nflows = sizeof(vtap_flows) / sizeof(vtap_flows[0]),
};

static const struct mirror_scenario cleartext_scenario = {
    .summary = "cleartext: the vTAP mirror of NIC " VTAP_MAC " (" VTAP_NIC_IP
               ") with a firing and a silent flow per rule, and its VNet flow log.",
    .pcap = "cleartext/mirror.pcap",
    .vnet_blob = "cleartext/vnet/" VNET_BLOB_PATH,
    .nsg_blob = NULL,
    .manifest = "cleartext/MANIFEST",
    .flows = cleartext_flows,
    .nflows = sizeof(cleartext_flows) / sizeof(cleartext_flows[0]),
};

/* What a flow became: its packets' span and counters. */
struct mirror_result {
    int64_t first_us, last_us;
    uint64_t counters[4];
};

static struct cpkt_endpoint endpoint(const char *ip, uint16_t port, const struct nic *nic)
{
    struct cpkt_endpoint e = {.ip = ipv4(ip), .port = port};
    memcpy(e.mac, strcmp(ip, nic->ip) == 0 ? nic->mac : corpus_vtap_gw_mac, 6);
    return e;
}

/* Writes one flow's packets (handshake, messages, close) seen at `nic`,
 * starting lead_us after the table's start time. */
static int flow_write(struct cpkt_writer *w, const struct mirror_flow *fl, const struct nic *nic,
                      int64_t lead_us, struct mirror_result *r, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpkt_endpoint c = endpoint(fl->src, fl->sport, nic);
    struct cpkt_endpoint s = endpoint(fl->dst, fl->dport, nic);
    struct cpkt_flow f;
    int64_t start = CORPUS_BASE_S * S_US + fl->start_ms * MS_US + lead_us;

    cpkt_flow_init(&f, w, fl->proto, &c, &s, start, MS_US,
                   cpkt_hash(fl->name, strlen(fl->name), 0));
    if (fl->proto == TCP && cpkt_tcp_open(&f, errbuf) < 0)
        return -1;
    for (size_t i = 0; i < fl->nmsgs; i++) {
        const struct msg *m = &fl->msgs[i];
        int rc = fl->proto == TCP ? cpkt_tcp_send(&f, m->dir, m->data, m->len, errbuf)
                                  : cpkt_udp_send(&f, m->dir, m->data, m->len, errbuf);
        if (rc < 0)
            return -1;
    }
    if (fl->proto == TCP && cpkt_tcp_close(&f, errbuf) < 0)
        return -1;
    r->first_us = f.first_us;
    r->last_us = f.last_us;
    r->counters[0] = f.pkts[CPKT_TOSERVER];
    r->counters[1] = f.bytes[CPKT_TOSERVER];
    r->counters[2] = f.pkts[CPKT_TOCLIENT];
    r->counters[3] = f.bytes[CPKT_TOCLIENT];
    return 0;
}

/* The counters the E tuple claims: the table's when it gives any, else the
 * mirrored packets'. */
static const uint64_t *logged_counters(const struct mirror_flow *fl,
                                       const struct mirror_result *r)
{
    static const uint64_t none[4];
    return memcmp(fl->counters, none, sizeof(none)) != 0 ? fl->counters : r->counters;
}

/* The flow-log tuples one flow contributes (0, 1 or 2). */
static size_t flow_tuples(const struct mirror_flow *fl, const struct mirror_result *r,
                          struct cflog_tuple out[2])
{
    const uint64_t *c = logged_counters(fl, r);
    struct cflog_tuple t = {
        .ts_ms = r->first_us / MS_US,
        .src = ipv4(fl->src), .dst = ipv4(fl->dst),
        .sport = fl->sport, .dport = fl->dport,
        .proto = fl->proto, .direction = fl->direction,
        .encryption = fl->encryption, .acl = fl->acl, .rule = fl->rule,
        .nsg_visible = fl->nsg_visible,
    };

    switch (fl->log) {
    case LOG_NONE:
        return 0;
    case LOG_DENY:
        t.state = 'D';
        out[0] = t;
        return 1;
    case LOG_ALLOW:
        t.state = 'B';
        out[0] = t;
        t.state = 'E';
        t.ts_ms = r->last_us / MS_US;
        t.pkts_s2d = c[0];
        t.bytes_s2d = c[1];
        t.pkts_d2s = c[2];
        t.bytes_d2s = c[3];
        out[1] = t;
        return 2;
    }
    return 0;
}

static const char *log_kind_str(enum log_kind k)
{
    return k == LOG_ALLOW ? "B,E" : k == LOG_DENY ? "D" : "-";
}

/* The lines every MANIFEST starts with. */
static void manifest_head(FILE *m, const char *summary)
{
    char base[40];

    fprintf(m, "# %s\n", summary);
    fprintf(m, "# Generated by `azflow corpus` (tools/azflow/corpus.c); do not edit.\n");
    fprintf(m, "# base %s (%lld); times UTC; bytes are inner IPv4 total lengths;\n",
            corpus_time_str(CORPUS_BASE_S * S_US, 0, base, sizeof(base)),
            (long long)CORPUS_BASE_S);
    fprintf(m, "# toserver = src->dst, toclient = dst->src (packets/bytes).\n");
}

/* "flow NAME proto= src= dst= start= end= toserver= toclient=" (no newline). */
static void manifest_flow(FILE *m, const struct mirror_flow *fl, const struct mirror_result *r)
{
    char t0[40], t1[40];

    fprintf(m, "flow %s proto=%s src=%s:%u dst=%s:%u start=%s end=%s", fl->name,
            fl->proto == TCP ? "tcp" : "udp", fl->src, fl->sport, fl->dst, fl->dport,
            corpus_time_str(r->first_us, 3, t0, sizeof(t0)),
            corpus_time_str(r->last_us, 3, t1, sizeof(t1)));
    fprintf(m, " toserver=%llu/%llu toclient=%llu/%llu",
            (unsigned long long)r->counters[0], (unsigned long long)r->counters[1],
            (unsigned long long)r->counters[2], (unsigned long long)r->counters[3]);
}

/* Closes the MANIFEST's memstream and writes what it held to `path`. */
static int manifest_close(FILE *m, char **text, size_t *len, const char *path,
                          char errbuf[CORPUS_ERRBUF_SIZE])
{
    int rc = -1;

    if (fclose(m) != 0 || *text == NULL)
        corpus_err(errbuf, "%s: out of memory", path);
    else
        rc = corpus_write_file(path, *text, *len, errbuf);
    free(*text);
    *text = NULL;
    return rc;
}

static int mirror_manifest(const struct mirror_scenario *sc, const char *path,
                           const struct mirror_result *res, uint64_t frames, size_t nvnet,
                           size_t nnsg, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);

    if (m == NULL) {
        corpus_err(errbuf, "%s: %s", path, strerror(errno));
        return -1;
    }
    manifest_head(m, sc->summary);
    fprintf(m, "# vTAP outer: 10.1.0.4 -> 10.1.0.10 UDP 4789, VXLAN VNI %u, UDP checksum 0.\n",
            corpus_vtap_encap.vni);
    fprintf(m, "file %s frames=%llu\n", sc->pcap, (unsigned long long)frames);
    fprintf(m, "file %s tuples=%zu\n", sc->vnet_blob, nvnet);
    if (sc->nsg_blob != NULL)
        fprintf(m, "file %s tuples=%zu\n", sc->nsg_blob, nnsg);
    for (size_t i = 0; i < sc->nflows; i++) {
        const struct mirror_flow *fl = &sc->flows[i];
        const struct mirror_result *r = &res[i];
        const uint64_t *c = logged_counters(fl, r);
        manifest_flow(m, fl, r);
        fprintf(m, " mirrored=%s", fl->msgs != NULL ? "yes" : "no");
        if (fl->log == LOG_NONE) {
            fprintf(m, " logged=no\n");
            continue;
        }
        if (fl->msgs != NULL && fl->log == LOG_ALLOW && c != r->counters)
            fprintf(m, " logged-toserver=%llu/%llu logged-toclient=%llu/%llu",
                    (unsigned long long)c[0], (unsigned long long)c[1],
                    (unsigned long long)c[2], (unsigned long long)c[3]);
        fprintf(m, " direction=%s decision=%s encryption=%s vnet=%s",
                fl->direction == 'I' ? "inbound" : "outbound",
                fl->log == LOG_DENY ? "deny" : "allow", fl->encryption, log_kind_str(fl->log));
        if (sc->nsg_blob != NULL)
            fprintf(m, " nsg=%s",
                    fl->nsg_visible ? (fl->log == LOG_DENY ? "B(deny)" : "B,E") : "-");
        fprintf(m, " acl=%s rule=%s\n", fl->acl, fl->rule);
    }
    return manifest_close(m, &text, &len, path, errbuf);
}

/* Writes the pcap flow after flow, collecting each flow's tuples. */
static int mirror_pcap(const struct mirror_scenario *sc, const char *outdir,
                       struct mirror_result *res, struct cflog_tuple *tuples, size_t *ntuples,
                       size_t *nnsg, uint64_t *frames, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char path[PATH_MAX];
    struct cpkt_writer *w;

    if (join_path(path, sizeof(path), outdir, sc->pcap, errbuf) < 0)
        return -1;
    if ((w = cpkt_writer_open(path, &corpus_vtap_encap, errbuf)) == NULL)
        return -1;
    for (size_t i = 0; i < sc->nflows; i++) {
        const struct mirror_flow *fl = &sc->flows[i];
        struct mirror_result *r = &res[i];
        if (fl->msgs != NULL) {
            if (flow_write(w, fl, &vtap_nic, 0, r, errbuf) < 0) {
                char ignored[CORPUS_ERRBUF_SIZE];
                cpkt_writer_close(w, ignored);
                return -1;
            }
            *frames += r->counters[0] + r->counters[2];
        } else {
            r->first_us = CORPUS_BASE_S * S_US + fl->start_ms * MS_US;
            r->last_us = fl->end_ms ? CORPUS_BASE_S * S_US + fl->end_ms * MS_US : r->first_us;
            memcpy(r->counters, fl->counters, sizeof(r->counters));
        }
        size_t k = flow_tuples(fl, r, &tuples[*ntuples]);
        for (size_t j = 0; j < k; j++)
            *nnsg += tuples[*ntuples + j].nsg_visible ? 1 : 0;
        *ntuples += k;
    }
    return cpkt_writer_close(w, errbuf);
}

static int build_mirror(const struct mirror_scenario *sc, const char *outdir,
                        char errbuf[CORPUS_ERRBUF_SIZE])
{
    char path[PATH_MAX];
    struct mirror_result *res = calloc(sc->nflows, sizeof(*res));
    struct cflog_tuple *tuples = calloc(2 * sc->nflows, sizeof(*tuples));
    size_t n = 0, nnsg = 0;
    uint64_t frames = 0;
    int rc = -1;

    if (res == NULL || tuples == NULL) {
        corpus_err(errbuf, "%s: out of memory", sc->pcap);
        goto out;
    }
    fill_opaque();
    if (mirror_pcap(sc, outdir, res, tuples, &n, &nnsg, &frames, errbuf) < 0)
        goto out;
    if (join_path(path, sizeof(path), outdir, sc->vnet_blob, errbuf) < 0 ||
        cflog_write_vnet(path, &vtap_vnet_env, tuples, n, errbuf) < 0)
        goto out;
    if (sc->nsg_blob != NULL &&
        (join_path(path, sizeof(path), outdir, sc->nsg_blob, errbuf) < 0 ||
         cflog_write_nsg(path, &vtap_nsg_env, tuples, n, errbuf) < 0))
        goto out;
    if (join_path(path, sizeof(path), outdir, sc->manifest, errbuf) < 0 ||
        mirror_manifest(sc, path, res, frames, n, nnsg, errbuf) < 0)
        goto out;
    rc = 0;
out:
    free(tuples);
    free(res);
    return rc;
}

static int build_vtap(const char *outdir, char errbuf[CORPUS_ERRBUF_SIZE])
{
    return build_mirror(&vtap_scenario, outdir, errbuf);
}

static int build_cleartext(const char *outdir, char errbuf[CORPUS_ERRBUF_SIZE])
{
    return build_mirror(&cleartext_scenario, outdir, errbuf);
}

/* --- packet notes: what a capture file received, for its MANIFEST ---------- */

#define NOTES_MAX 256

struct pkt_note {
    int64_t ts_us;
    uint32_t iface, len, caplen;
    char what[64];   /* "outer esp spi=0xc0ffee01 seq=1", "inner smb", ... */
    char tuple[80];  /* "udp 203.0.113.10:500 -> 20.1.1.4:500" */
};

struct pkt_log {
    struct pkt_note v[NOTES_MAX];
    size_t n;
};

/* A writer observer that notes each frame under the current label. */
struct noter {
    struct pkt_log *log;
    uint32_t iface;
    int ethernet;      /* frames start with an Ethernet header */
    char what[64];
};

static void note_tuple(const uint8_t *ip, uint32_t caplen, char *out, size_t outlen)
{
    char src[16], dst[16];
    const char *proto;

    if (caplen < 24) {
        snprintf(out, outlen, "-");
        return;
    }
    snprintf(src, sizeof(src), "%u.%u.%u.%u", ip[12], ip[13], ip[14], ip[15]);
    snprintf(dst, sizeof(dst), "%u.%u.%u.%u", ip[16], ip[17], ip[18], ip[19]);
    proto = ip[9] == TCP ? "tcp" : ip[9] == UDP ? "udp" : ip[9] == 50 ? "esp" : "ip";
    if (ip[9] == TCP || ip[9] == UDP)
        snprintf(out, outlen, "%s %s:%u -> %s:%u", proto, src, ip[20] << 8 | ip[21], dst,
                 ip[22] << 8 | ip[23]);
    else
        snprintf(out, outlen, "%s %s -> %s", proto, src, dst);
}

static int note_frame(void *ctx, int64_t ts_us, const uint8_t *frame, uint32_t caplen,
                      uint32_t len, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct noter *nt = ctx;
    uint32_t l2 = nt->ethernet ? 14 : 0;
    struct pkt_note *n;

    if (nt->log->n == NOTES_MAX) {
        corpus_err(errbuf, "interface %u: more than %d packets to note", nt->iface, NOTES_MAX);
        return -1;
    }
    n = &nt->log->v[nt->log->n++];
    n->ts_us = ts_us;
    n->iface = nt->iface;
    n->len = len;
    n->caplen = caplen;
    snprintf(n->what, sizeof(n->what), "%s", nt->what);
    note_tuple(frame + l2, caplen > l2 ? caplen - l2 : 0, n->tuple, sizeof(n->tuple));
    return 0;
}

static void manifest_notes(FILE *m, const char *file, const struct pkt_log *log)
{
    char t[40];

    for (size_t i = 0; i < log->n; i++) {
        const struct pkt_note *n = &log->v[i];
        fprintf(m, "pkt %s#%zu if=%u time=%s len=%u caplen=%u%s %s %s\n", file, i + 1, n->iface,
                corpus_time_str(n->ts_us, 6, t, sizeof(t)), n->len, n->caplen,
                n->caplen < n->len ? " truncated" : "", n->tuple, n->what);
    }
}

static uint64_t notes_truncated(const struct pkt_log *log, uint32_t iface)
{
    uint64_t k = 0;
    for (size_t i = 0; i < log->n; i++)
        k += log->v[i].iface == iface && log->v[i].caplen < log->v[i].len;
    return k;
}

static uint64_t notes_on(const struct pkt_log *log, uint32_t iface)
{
    uint64_t k = 0;
    for (size_t i = 0; i < log->n; i++)
        k += log->v[i].iface == iface;
    return k;
}

/* --- scenario: vpngw -------------------------------------------------------------
 * An Azure VPN Gateway packet capture (TracingFlags 11, MaxPacketBufferSize
 * 120): the outer IKE/ESP/NAT-T packets between gateway 20.1.1.4 and the
 * on-premises device 203.0.113.10 on an Ethernet interface, the decrypted
 * inner packets on a raw-IP interface of the same pcapng; a second capture
 * with ESP in one direction only; the VNet flow log of the inner flows. */

#define VPN_GW "20.1.1.4"
#define VPN_PEER "203.0.113.10"
#define VPN_SNAPLEN 120
#define VPN_SPI_IN 0xc0ffee01u  /* peer -> gateway */
#define VPN_SPI_OUT 0xc0ffee02u /* gateway -> peer */
#define VPN_ESP_LEAD_US 100     /* an inner packet follows its ESP packet by this */
#define VPN_NIC_IP "10.1.0.5"
#define VPN_NIC_MAC "000D3AF8A005"
#define VPN_NSG_ACL \
    "/subscriptions/" VTAP_SUB "/resourceGroups/rg-hub/providers/Microsoft.Network/" \
    "networkSecurityGroups/nsg-hub"
#define IKE_HLEN 28
#define IKE_SPI_I UINT64_C(0x5a3c9e1f00c0ffee)
#define IKE_SPI_R UINT64_C(0xa17e0b22d4f0aced)

static const uint8_t vpn_gw_mac[6] = {0x00, 0x0d, 0x3a, 0x20, 0x01, 0x04};
static const struct nic vpn_gw_nic = {VPN_GW, vpn_gw_mac};

static const struct cflog_vnet_env vpngw_vnet_env = {
    .flow_log_guid = "5f0c2a9e-0000-4000-8000-0000000000ab",
    .mac = VPN_NIC_MAC,
    .flow_log_resource_id = "/SUBSCRIPTIONS/00000000-0000-0000-0000-0000000000AA/RESOURCEGROUPS/"
                            "NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/"
                            "NETWORKWATCHER_EASTUS/FLOWLOGS/VNET-HUB-FLOWLOG",
    .target_resource_id = "/subscriptions/" VTAP_SUB "/resourceGroups/rg-hub/providers/"
                          "Microsoft.Network/virtualNetworks/vnet-hub",
};

/* DNS A fs01.corp.example -> 192.168.10.20 (TTL 300), from the on-premises server. */
static const struct msg corp_dns_msgs[] = {
    C2S("\x5b\x1e\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        "\x04" "fs01" "\x04" "corp" "\x07" "example" "\x00" "\x00\x01\x00\x01"),
    S2C("\x5b\x1e\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
        "\x04" "fs01" "\x04" "corp" "\x07" "example" "\x00" "\x00\x01\x00\x01"
        "\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\xa8\x0a\x14"),
};

/* Inner flows, in time order, and how their ESP travels. */
struct vpn_flow {
    struct mirror_flow f;
    int natt; /* 1: UDP-encapsulated ESP on 4500, 0: IP protocol 50 */
};

static const struct vpn_flow vpn_flows[] = {
    {{"smb", TCP, VPN_NIC_IP, 50500, "192.168.10.20", 445, 12000, MSGS(smb_msgs),
      LOG_ALLOW, 'O', "NX", VPN_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}}, 0},
    {{"dns", UDP, VPN_NIC_IP, 53001, "192.168.10.53", 53, 14000, MSGS(corp_dns_msgs),
      LOG_ALLOW, 'O', "NX", VPN_NSG_ACL, "DefaultRule_AllowVnetOutBound", 1, 0, {0}}, 1},
};
#define VPN_NFLOWS (sizeof(vpn_flows) / sizeof(vpn_flows[0]))

/* Inner packet lengths inside the one-direction capture's ESP packets. */
static const uint32_t onedir_inner_lens[] = {60, 1350, 52, 1350, 40, 576, 1350, 40};

/* Deterministic "ciphertext", key material and nonces. */
static void fill_bytes(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed ? seed : 0x9e3779b9u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

/* ESP as AES-256-CBC with HMAC-SHA1-96 makes it: SPI, sequence number,
 * 16-byte IV, the inner packet plus its 2-byte trailer padded to 16, a
 * 12-byte ICV; everything after the sequence number opaque here. */
static size_t esp_payload(uint8_t *b, uint32_t spi, uint32_t seq, uint32_t inner_len)
{
    size_t n = 8 + 16 + ((inner_len + 2 + 15) & ~15u) + 12;
    corpus_be32(b, spi);
    corpus_be32(b + 4, seq);
    fill_bytes(b + 8, n - 8, spi ^ (seq * 2654435761u));
    return n;
}

static void ike_header(uint8_t *b, int response, uint8_t next, uint8_t exch, uint32_t msgid,
                       size_t len)
{
    corpus_be32(b, (uint32_t)(IKE_SPI_I >> 32));
    corpus_be32(b + 4, (uint32_t)IKE_SPI_I);
    corpus_be32(b + 8, response || exch != 34 ? (uint32_t)(IKE_SPI_R >> 32) : 0);
    corpus_be32(b + 12, response || exch != 34 ? (uint32_t)IKE_SPI_R : 0);
    b[16] = next;
    b[17] = 0x20;                    /* IKEv2 */
    b[18] = exch;
    b[19] = response ? 0x20 : 0x08;  /* Response from the responder / Initiator */
    corpus_be32(b + 20, msgid);
    corpus_be32(b + 24, (uint32_t)len);
}

/* A generic payload header (next payload, length) at b[*off]. */
static uint8_t *ike_payload(uint8_t *b, size_t *off, uint8_t next, size_t len)
{
    uint8_t *p = b + *off;
    p[0] = next;
    p[1] = 0;
    corpus_be16(p + 2, (uint32_t)len);
    *off += len;
    return p;
}

/* IKE_SA_INIT (RFC 7296 §1.2): SA (AES-CBC-256, HMAC-SHA2-256, SHA2-256-128,
 * MODP 2048), KE, Nonce, NAT detection notifies.  The peer asks, the
 * gateway answers. */
static size_t ike_sa_init(uint8_t *b, int response)
{
    static const uint8_t transforms[] = {
        3, 0, 0, 12, 1, 0, 0, 12, 0x80, 0x0e, 0x01, 0x00, /* ENCR AES-CBC, key 256 */
        3, 0, 0, 8, 2, 0, 0, 5,                           /* PRF HMAC-SHA2-256 */
        3, 0, 0, 8, 3, 0, 0, 12,                          /* INTEG SHA2-256-128 */
        0, 0, 0, 8, 4, 0, 0, 14,                          /* D-H 2048-bit MODP */
    };
    size_t off = IKE_HLEN;
    uint8_t *p = ike_payload(b, &off, 34, 4 + 8 + sizeof(transforms));        /* SA */
    p[4] = 0;                                                                  /* last proposal */
    p[5] = 0;
    corpus_be16(p + 6, 8 + sizeof(transforms));
    p[8] = 1;                                                                  /* proposal 1 */
    p[9] = 1;                                                                  /* IKE */
    p[10] = 0;
    p[11] = 4;
    memcpy(p + 12, transforms, sizeof(transforms));
    p = ike_payload(b, &off, 40, 8 + 256);                                     /* KE */
    corpus_be16(p + 4, 14);
    corpus_be16(p + 6, 0);
    fill_bytes(p + 8, 256, response ? 0x6b650002u : 0x6b650001u);
    p = ike_payload(b, &off, 41, 4 + 32);                                      /* Nonce */
    fill_bytes(p + 4, 32, response ? 0x6e6f0002u : 0x6e6f0001u);
    for (int i = 0; i < 2; i++) {                                              /* NAT_DETECTION_* */
        p = ike_payload(b, &off, i == 0 ? 41 : 0, 8 + 20);
        p[4] = 0;
        p[5] = 0;
        corpus_be16(p + 6, 16388 + (uint32_t)i);
        fill_bytes(p + 8, 20, (response ? 0x6e610010u : 0x6e610000u) + (uint32_t)i);
    }
    ike_header(b, response, 33, 34, 0, off);
    return off;
}

/* IKE_AUTH on UDP 4500: the non-ESP marker, then the header and one
 * Encrypted (SK) payload: IV, ciphertext, ICV. */
static size_t ike_auth(uint8_t *b, int response)
{
    size_t off = 4 + IKE_HLEN;
    uint8_t *p;

    memset(b, 0, 4);
    p = ike_payload(b, &off, response ? 36 : 35, 4 + 16 + 304 + 16); /* SK, first IDi / IDr */
    fill_bytes(p + 4, 16 + 304 + 16, response ? 0x736b0002u : 0x736b0001u);
    ike_header(b + 4, response, 46, 35, 1, off - 4);
    return off;
}

/* The tunnel the inner packets travel in, for the writer hook. */
struct vpn_tunnel {
    struct cpkt_flow esp, natt;  /* client side: the peer, server side: the gateway */
    struct noter *outer;
    int use_natt;
    uint32_t seq[2];             /* next ESP sequence number per direction */
};

/* Writes one ESP packet (IP protocol 50 or NAT-T) from side `dir` of the
 * tunnel at `ts_us`, carrying `inner_len` bytes. */
static int vpn_esp(struct vpn_tunnel *t, int natt, int dir, int64_t ts_us, uint32_t inner_len,
                   char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint8_t esp[1500];
    uint32_t spi = dir == CPKT_TOSERVER ? VPN_SPI_IN : VPN_SPI_OUT;
    uint32_t seq = ++t->seq[dir];
    size_t n = esp_payload(esp, spi, seq, inner_len);
    struct cpkt_flow *f = natt ? &t->natt : &t->esp;

    snprintf(t->outer->what, sizeof(t->outer->what), "outer %s spi=0x%08x seq=%u inner=%u",
             natt ? "natt-esp" : "esp", spi, seq, inner_len);
    f->now_us = ts_us;
    return natt ? cpkt_udp_send(f, dir, esp, n, errbuf) : cpkt_ip_send(f, dir, esp, n, errbuf);
}

/* Before each inner packet: the ESP packet it was decrypted from, or
 * encrypted into, VPN_ESP_LEAD_US earlier.  Inner client -> server is
 * Azure -> on-premises, i.e. gateway -> peer. */
static int vpn_hook(void *user, const struct cpkt_flow *f, int dir, int64_t ts_us, uint32_t iplen,
                    char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct vpn_tunnel *t = user;
    (void)f;
    return vpn_esp(t, t->use_natt, dir == CPKT_TOSERVER ? CPKT_TOCLIENT : CPKT_TOSERVER,
                   ts_us - VPN_ESP_LEAD_US, iplen, errbuf);
}

static int vpn_ike(struct vpn_tunnel *t, struct cpkt_flow *f, int response, int auth, int64_t ms,
                   char errbuf[CORPUS_ERRBUF_SIZE])
{
    uint8_t b[1024];
    size_t n = auth ? ike_auth(b, response) : ike_sa_init(b, response);

    snprintf(t->outer->what, sizeof(t->outer->what), "outer ike %s %s",
             auth ? "IKE_AUTH" : "IKE_SA_INIT", response ? "response" : "request");
    f->now_us = CORPUS_BASE_S * S_US + ms * MS_US;
    return cpkt_udp_send(f, response ? CPKT_TOCLIENT : CPKT_TOSERVER, b, n, errbuf);
}

/* The outer flows of the tunnel on writer `wo`, starting at t0. */
static void vpn_tunnel_init(struct vpn_tunnel *t, struct cpkt_flow *ike500, struct cpkt_writer *wo,
                            struct noter *outer)
{
    struct cpkt_endpoint peer = endpoint(VPN_PEER, 500, &vpn_gw_nic);
    struct cpkt_endpoint gw = endpoint(VPN_GW, 500, &vpn_gw_nic);
    int64_t t0 = CORPUS_BASE_S * S_US;

    memset(t, 0, sizeof(*t));
    t->outer = outer;
    cpkt_flow_init(ike500, wo, UDP, &peer, &gw, t0, 0, cpkt_hash("ike500", 6, 0));
    peer.port = gw.port = 4500;
    cpkt_flow_init(&t->natt, wo, UDP, &peer, &gw, t0, 0, cpkt_hash("natt", 4, 0));
    peer.port = gw.port = 0;
    cpkt_flow_init(&t->esp, wo, 50, &peer, &gw, t0, 0, cpkt_hash("esp", 3, 0));
}

/* Closes the writers of a shared capture's interfaces, then the capture:
 * written when rc is 0 and every close succeeds, else dropped, errbuf
 * keeping the first error.  Returns 0 or -1. */
static int close_shared_capture(struct cpng_file *png, struct cpkt_writer *const *w, size_t n,
                                int rc, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char ignored[CORPUS_ERRBUF_SIZE];

    for (size_t i = 0; i < n; i++)
        if (cpkt_writer_close(w[i], rc < 0 ? ignored : errbuf) < 0)
            rc = -1;
    if (rc < 0) {
        cpng_close(png, ignored);
        return -1;
    }
    return cpng_close(png, errbuf);
}

/* vpngw/gateway.pcapng: IKE, then the inner flows each behind its ESP. */
static int vpngw_pcapng(const char *path, struct pkt_log *log, struct mirror_result *res,
                        char errbuf[CORPUS_ERRBUF_SIZE])
{
    const struct cpkt_writer_opts oo = {.snaplen = VPN_SNAPLEN};
    const struct cpkt_writer_opts io = {.raw_ip = 1, .snaplen = VPN_SNAPLEN};
    struct cpng_file *png = cpng_open(path, "azflow corpus", errbuf);
    struct cpng_iface *if0, *if1;
    struct noter outer = {.log = log, .iface = 0, .ethernet = 1};
    struct noter in = {.log = log, .iface = 1, .ethernet = 0};
    struct cpkt_writer *wo = NULL, *wi = NULL;
    struct vpn_tunnel t;
    struct cpkt_flow ike500;
    int rc = -1;

    if (png == NULL)
        return -1;
    if ((if0 = cpng_add_interface(png, 1, VPN_SNAPLEN, "vpngw-outer", 6, errbuf)) == NULL ||
        (if1 = cpng_add_interface(png, 101, VPN_SNAPLEN, "vpngw-inner", 9, errbuf)) == NULL ||
        (wo = cpkt_writer_open_sink(path, &oo, cpng_sink, if0, errbuf)) == NULL ||
        (wi = cpkt_writer_open_sink(path, &io, cpng_sink, if1, errbuf)) == NULL)
        goto out;
    cpkt_writer_set_observer(wo, note_frame, &outer);
    cpkt_writer_set_observer(wi, note_frame, &in);
    vpn_tunnel_init(&t, &ike500, wo, &outer);
    if (vpn_ike(&t, &ike500, 0, 0, 10000, errbuf) < 0 ||
        vpn_ike(&t, &ike500, 1, 0, 10012, errbuf) < 0 ||
        vpn_ike(&t, &t.natt, 0, 1, 10030, errbuf) < 0 ||
        vpn_ike(&t, &t.natt, 1, 1, 10045, errbuf) < 0)
        goto out;

    cpkt_writer_set_hook(wi, vpn_hook, &t);
    for (size_t i = 0; i < VPN_NFLOWS; i++) {
        const struct vpn_flow *vf = &vpn_flows[i];
        t.use_natt = vf->natt;
        snprintf(in.what, sizeof(in.what), "inner %s via %s", vf->f.name,
                 vf->natt ? "natt-esp" : "esp");
        if (flow_write(wi, &vf->f, &vpn_gw_nic, VPN_ESP_LEAD_US, &res[i], errbuf) < 0)
            goto out;
    }
    /* RFC 3948 NAT-keepalive from the peer. */
    snprintf(outer.what, sizeof(outer.what), "outer nat-keepalive");
    t.natt.now_us = CORPUS_BASE_S * S_US + 16000 * MS_US;
    if (cpkt_udp_send(&t.natt, CPKT_TOSERVER, "\xff", 1, errbuf) < 0)
        goto out;
    rc = 0;
out:
    return close_shared_capture(png, (struct cpkt_writer *[]){wi, wo}, 2, rc, errbuf);
}

/* vpngw/onedirection.pcap: CaptureSingleDirectionTrafficOnly — ESP from
 * the peer only, one packet every 250 ms. */
static int vpngw_onedirection(const char *path, struct pkt_log *log,
                              char errbuf[CORPUS_ERRBUF_SIZE])
{
    const struct cpkt_writer_opts o = {.snaplen = VPN_SNAPLEN};
    struct noter outer = {.log = log, .iface = 0, .ethernet = 1};
    struct cpkt_writer *w = cpkt_writer_open_pcap(path, &o, errbuf);
    struct vpn_tunnel t;
    struct cpkt_flow ike500;
    char ignored[CORPUS_ERRBUF_SIZE];

    if (w == NULL)
        return -1;
    cpkt_writer_set_observer(w, note_frame, &outer);
    vpn_tunnel_init(&t, &ike500, w, &outer);
    for (size_t i = 0; i < sizeof(onedir_inner_lens) / sizeof(onedir_inner_lens[0]); i++) {
        int64_t ts = CORPUS_BASE_S * S_US + (20000 + 250 * (int64_t)i) * MS_US;
        if (vpn_esp(&t, 0, CPKT_TOSERVER, ts, onedir_inner_lens[i], errbuf) < 0) {
            cpkt_writer_close(w, ignored);
            return -1;
        }
    }
    return cpkt_writer_close(w, errbuf);
}

/* vpngw/natt.pcapng: a peer behind NAT — IKE_SA_INIT on 500, then IKE_AUTH
 * and every ESP packet on UDP 4500, so the 4500 flow starts with IKE and
 * carries ESP after it.  The capture begins inside an inner SSH session
 * (its handshake precedes the first IKE packet, as when a capture is
 * started on a busy gateway), and a cleartext DNS query that never went
 * through the tunnel lies 50 us after one ESP packet, between it and the
 * inner packet that ESP packet carries. */
#define NATT_SSH_CLIENT VPN_NIC_IP
#define NATT_SSH_SERVER "192.168.10.30"
#define NATT_DNS_CLIENT "10.1.0.4"
#define NATT_DNS_SERVER "168.63.129.16"
#define NATT_DNS_AFTER 1 /* the DNS query follows the ESP of this hooked packet */

/* 80 bytes on the wire: no ESP suite makes the banner's 100-byte ESP packet
 * of it (vpn.c), though 20 bytes is a "plausible overhead". */
static const struct msg natt_dns_msgs[] = {
    C2S("\x61\x7a\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        "\x0c" "login-downld" "\x09" "azflow-ex" "\x07" "example" "\x03" "com" "\x00"
        "\x00\x01\x00\x01"),
    S2C("\x61\x7a\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00"
        "\x0c" "login-downld" "\x09" "azflow-ex" "\x07" "example" "\x03" "com" "\x00"
        "\x00\x01\x00\x01"),
};

struct natt_hook_ctx {
    struct vpn_tunnel *t;
    struct cpkt_flow *dns;
    int hooked;
};

static int natt_hook(void *user, const struct cpkt_flow *f, int dir, int64_t ts_us, uint32_t iplen,
                     char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct natt_hook_ctx *c = user;
    if (vpn_hook(c->t, f, dir, ts_us, iplen, errbuf) < 0)
        return -1;
    if (++c->hooked != NATT_DNS_AFTER)
        return 0;
    c->dns->now_us = ts_us - VPN_ESP_LEAD_US / 2;
    return cpkt_udp_send(c->dns, natt_dns_msgs[0].dir, natt_dns_msgs[0].data, natt_dns_msgs[0].len, errbuf);
}

static int vpngw_natt(const char *path, struct pkt_log *log, char errbuf[CORPUS_ERRBUF_SIZE])
{
    const struct cpkt_writer_opts oo = {.snaplen = VPN_SNAPLEN};
    const struct cpkt_writer_opts io = {.raw_ip = 1, .snaplen = VPN_SNAPLEN};
    struct cpng_file *png = cpng_open(path, "azflow corpus", errbuf);
    struct cpng_iface *if0, *if1;
    struct noter outer = {.log = log, .iface = 0, .ethernet = 1};
    struct noter in = {.log = log, .iface = 1, .ethernet = 0, .what = "inner ssh, begun before the capture's first IKE packet"};
    struct noter clear = {.log = log, .iface = 1, .ethernet = 0, .what = "cleartext dns beside the tunnel (no ESP)"};
    struct cpkt_writer *wo = NULL, *wi = NULL, *wd = NULL;
    struct vpn_tunnel t;
    struct cpkt_flow ike500, ssh, dns;
    struct natt_hook_ctx hc = {.t = &t, .dns = &dns};
    int64_t base = CORPUS_BASE_S * S_US;
    int rc = -1;

    if (png == NULL)
        return -1;
    if ((if0 = cpng_add_interface(png, 1, VPN_SNAPLEN, "vpngw-outer", 6, errbuf)) == NULL ||
        (if1 = cpng_add_interface(png, 101, VPN_SNAPLEN, "vpngw-inner", 9, errbuf)) == NULL ||
        (wo = cpkt_writer_open_sink(path, &oo, cpng_sink, if0, errbuf)) == NULL ||
        (wi = cpkt_writer_open_sink(path, &io, cpng_sink, if1, errbuf)) == NULL ||
        (wd = cpkt_writer_open_sink(path, &io, cpng_sink, if1, errbuf)) == NULL)
        goto out;
    cpkt_writer_set_observer(wo, note_frame, &outer);
    cpkt_writer_set_observer(wi, note_frame, &in);
    cpkt_writer_set_observer(wd, note_frame, &clear);
    vpn_tunnel_init(&t, &ike500, wo, &outer);
    t.use_natt = 1;
    struct cpkt_endpoint c = endpoint(NATT_SSH_CLIENT, 50600, &vpn_gw_nic);
    struct cpkt_endpoint sv = endpoint(NATT_SSH_SERVER, 22, &vpn_gw_nic);
    cpkt_flow_init(&ssh, wi, TCP, &c, &sv, base + 9000 * MS_US, MS_US, cpkt_hash("natt-ssh", 8, 0));
    c = endpoint(NATT_DNS_CLIENT, 53200, &vpn_gw_nic);
    sv = endpoint(NATT_DNS_SERVER, 53, &vpn_gw_nic);
    cpkt_flow_init(&dns, wd, UDP, &c, &sv, base, 0, cpkt_hash("natt-dns", 8, 0));
    /* The handshake's ESP packets went by before the capture began. */
    if (cpkt_tcp_open(&ssh, errbuf) < 0 ||
        vpn_ike(&t, &ike500, 0, 0, 10000, errbuf) < 0 ||
        vpn_ike(&t, &ike500, 1, 0, 10012, errbuf) < 0 ||
        vpn_ike(&t, &t.natt, 0, 1, 10030, errbuf) < 0 ||
        vpn_ike(&t, &t.natt, 1, 1, 10045, errbuf) < 0)
        goto out;
    cpkt_writer_set_hook(wi, natt_hook, &hc);
    snprintf(in.what, sizeof(in.what), "inner ssh via natt-esp");
    ssh.now_us = base + 12000 * MS_US;
    for (size_t i = 0; i < sizeof(corpus_ssh_msgs) / sizeof(corpus_ssh_msgs[0]); i++)
        if (cpkt_tcp_send(&ssh, corpus_ssh_msgs[i].dir, corpus_ssh_msgs[i].data, corpus_ssh_msgs[i].len,
                          errbuf) < 0)
            goto out;
    if (cpkt_tcp_close(&ssh, errbuf) < 0)
        goto out;
    /* The DNS answer a second later, no ESP packet near it. */
    dns.now_us = base + 13000 * MS_US;
    if (cpkt_udp_send(&dns, natt_dns_msgs[1].dir, natt_dns_msgs[1].data, natt_dns_msgs[1].len, errbuf) < 0)
        goto out;
    rc = 0;
out:
    return close_shared_capture(png, (struct cpkt_writer *[]){wd, wi, wo}, 3, rc, errbuf);
}

#define VPNGW_NATT "vpngw/natt.pcapng"
#define VPNGW_PCAPNG "vpngw/gateway.pcapng"
#define VPNGW_ONEDIR "vpngw/onedirection.pcap"
#define VPNGW_VNET "vpngw/vnet/" VNET_BLOB_PATH_OF("VNET-HUB-FLOWLOG", VPN_NIC_MAC)

static int vpngw_manifest(const char *path, const struct pkt_log *log, const struct pkt_log *one,
                          const struct pkt_log *natt, const struct mirror_result *res, size_t ntuples,
                          char errbuf[CORPUS_ERRBUF_SIZE])
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);

    if (m == NULL) {
        corpus_err(errbuf, "%s: %s", path, strerror(errno));
        return -1;
    }
    manifest_head(m, "vpngw: an Azure VPN Gateway packet capture (gateway " VPN_GW ", on-premises "
                     "peer " VPN_PEER "), a one-direction capture, and the VNet flow log of the "
                     "inner flows.");
    fprintf(m, "# " VPNGW_PCAPNG ": pcapng, interface 0 = outer packets, LINKTYPE_ETHERNET (1), "
               "if_tsresol 6 (us); interface 1 = decrypted inner packets, LINKTYPE_RAW (101), "
               "if_tsresol 9 (ns); snaplen %d on both (MaxPacketBufferSize): longer packets are "
               "cut, caplen < len.\n", VPN_SNAPLEN);
    fprintf(m, "# ESP SPI 0x%08x peer -> gateway, 0x%08x gateway -> peer; ESP length = 8 + IV 16 "
               "+ (inner + 2 padded to 16) + ICV 12; every inner packet is %d us after its ESP "
               "packet (both directions).\n", VPN_SPI_IN, VPN_SPI_OUT, VPN_ESP_LEAD_US);
    fprintf(m, "# Synthetic: one IKE SA carries both IP-protocol-50 ESP (smb) and NAT-T ESP on "
               "4500 (dns) so that every outer kind appears once; a real gateway uses one.\n");
    fprintf(m, "# " VPNGW_ONEDIR ": classic pcap, Ethernet, snaplen %d, only ESP from the peer "
               "(CaptureSingleDirectionTrafficOnly).\n", VPN_SNAPLEN);
    fprintf(m, "file %s interfaces=2 outer=%llu inner=%llu truncated-outer=%llu "
               "truncated-inner=%llu\n", VPNGW_PCAPNG,
            (unsigned long long)notes_on(log, 0), (unsigned long long)notes_on(log, 1),
            (unsigned long long)notes_truncated(log, 0), (unsigned long long)notes_truncated(log, 1));
    fprintf(m, "file %s frames=%llu truncated=%llu\n", VPNGW_ONEDIR,
            (unsigned long long)notes_on(one, 0), (unsigned long long)notes_truncated(one, 0));
    fprintf(m, "# " VPNGW_NATT ": the peer behind NAT (IKE_SA_INIT on 500, IKE_AUTH and ESP on 4500), "
               "interfaces as above; an inner SSH session begun before the first IKE packet; a "
               "cleartext DNS query %d us after an ESP packet whose length no ESP suite makes of it.\n",
            VPN_ESP_LEAD_US / 2);
    fprintf(m, "file %s frames=%llu\n", VPNGW_NATT, (unsigned long long)natt->n);
    fprintf(m, "file %s tuples=%zu\n", VPNGW_VNET, ntuples);
    for (size_t i = 0; i < VPN_NFLOWS; i++) {
        const struct mirror_flow *fl = &vpn_flows[i].f;
        manifest_flow(m, fl, &res[i]);
        fprintf(m, " layer=inner esp=%s direction=%s decision=allow encryption=%s vnet=%s "
                   "acl=%s rule=%s\n", vpn_flows[i].natt ? "natt" : "esp",
                fl->direction == 'I' ? "inbound" : "outbound", fl->encryption,
                log_kind_str(fl->log), fl->acl, fl->rule);
    }
    manifest_notes(m, VPNGW_PCAPNG, log);
    manifest_notes(m, VPNGW_ONEDIR, one);
    manifest_notes(m, VPNGW_NATT, natt);
    return manifest_close(m, &text, &len, path, errbuf);
}

static int build_vpngw(const char *outdir, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char path[PATH_MAX];
    struct pkt_log *log = calloc(3, sizeof(*log));
    struct mirror_result res[VPN_NFLOWS];
    struct cflog_tuple tuples[2 * VPN_NFLOWS];
    size_t n = 0;
    int rc = -1;

    if (log == NULL) {
        corpus_err(errbuf, "vpngw: out of memory");
        return -1;
    }
    memset(res, 0, sizeof(res));
    if (join_path(path, sizeof(path), outdir, VPNGW_PCAPNG, errbuf) < 0 ||
        vpngw_pcapng(path, &log[0], res, errbuf) < 0 ||
        join_path(path, sizeof(path), outdir, VPNGW_ONEDIR, errbuf) < 0 ||
        vpngw_onedirection(path, &log[1], errbuf) < 0 ||
        join_path(path, sizeof(path), outdir, VPNGW_NATT, errbuf) < 0 ||
        vpngw_natt(path, &log[2], errbuf) < 0)
        goto out;
    for (size_t i = 0; i < VPN_NFLOWS; i++)
        n += flow_tuples(&vpn_flows[i].f, &res[i], &tuples[n]);
    if (join_path(path, sizeof(path), outdir, VPNGW_VNET, errbuf) < 0 ||
        cflog_write_vnet(path, &vpngw_vnet_env, tuples, n, errbuf) < 0 ||
        join_path(path, sizeof(path), outdir, "vpngw/MANIFEST", errbuf) < 0 ||
        vpngw_manifest(path, &log[0], &log[1], &log[2], res, n, errbuf) < 0)
        goto out;
    rc = 0;
out:
    free(log);
    return rc;
}

/* --- scenario: netwatcher --------------------------------------------------------
 * Network Watcher packet captures as the storage account lays them out:
 * vm-web1 (Linux agent) as a classic pcap, vm-win1 (Windows agent) as a
 * Network Monitor 2.3 file; the file name is the capture's start time. */

#define NW_VMS "netwatcher/network-watcher-logs/subscriptions/" VTAP_SUB \
    "/resourcegroups/rg-prod/providers/microsoft.compute/virtualmachines/"
#define NW_WEB1_CAP NW_VMS "vm-web1/2026/11/28/packetcapture_04_05_00_123.cap"
#define NW_WIN1_CAP NW_VMS "vm-win1/2026/11/28/packetcapture_04_06_00_456.cap"
#define NW_WEB1_START_MS 300123 /* 04:05:00.123 */
#define NW_WIN1_START_MS 360456 /* 04:06:00.456 */

static const uint8_t nw_win1_mac[6] = {0x00, 0x0d, 0x3a, 0xf8, 0x78, 0x66};
static const struct nic nw_win1_nic = {"10.0.0.6", nw_win1_mac};

static const struct mirror_flow nw_web1_flows[] = {
    {"dns", UDP, "10.0.0.4", 53100, "168.63.129.16", 53, 300500, MSGS(corpus_dns_msgs),
     LOG_NONE, 'O', NULL, NULL, NULL, 0, 0, {0}},
    {"http", TCP, "10.0.0.4", 50300, "10.0.1.5", 80, 301000, MSGS(http_msgs),
     LOG_NONE, 'O', NULL, NULL, NULL, 0, 0, {0}},
};

static const struct mirror_flow nw_win1_flows[] = {
    {"rdp", TCP, "203.0.113.70", 51500, "10.0.0.6", 3389, 361000, MSGS(rdp_msgs),
     LOG_NONE, 'I', NULL, NULL, NULL, 0, 0, {0}},
};

struct nw_capture {
    const char *vm;
    const char *file;       /* below OUTDIR */
    const char *format;     /* for the MANIFEST */
    int netmon;             /* 0: classic pcap */
    int64_t start_ms;
    const struct nic *nic;
    const struct mirror_flow *flows;
    size_t nflows;
};

static const struct nw_capture nw_captures[] = {
    {"vm-web1", NW_WEB1_CAP, "pcap (LINKTYPE_ETHERNET, us)", 0, NW_WEB1_START_MS, &vtap_nic,
     MSGS(nw_web1_flows)},
    {"vm-win1", NW_WIN1_CAP, "netmon 2.3 (media type Ethernet, frame table at the end)", 1,
     NW_WIN1_START_MS, &nw_win1_nic, MSGS(nw_win1_flows)},
};
#define NW_NCAPTURES (sizeof(nw_captures) / sizeof(nw_captures[0]))
#define NW_FLOWS_MAX 2

static int nw_capture(const char *outdir, const struct nw_capture *c, struct mirror_result *res,
                      uint64_t *frames, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char path[PATH_MAX], ignored[CORPUS_ERRBUF_SIZE];
    const struct cpkt_writer_opts o = {0};
    struct cnm_file *nm = NULL;
    struct cpkt_writer *w;
    int rc = 0;

    if (join_path(path, sizeof(path), outdir, c->file, errbuf) < 0)
        return -1;
    if (c->netmon) {
        if ((nm = cnm_open(path, CORPUS_BASE_S * S_US + c->start_ms * MS_US, errbuf)) == NULL)
            return -1;
        w = cpkt_writer_open_sink(path, &o, cnm_sink, nm, errbuf);
    } else {
        w = cpkt_writer_open_pcap(path, &o, errbuf);
    }
    if (w == NULL) {
        cnm_close(nm, ignored);
        return -1;
    }
    for (size_t i = 0; i < c->nflows && rc == 0; i++)
        rc = flow_write(w, &c->flows[i], c->nic, 0, &res[i], errbuf);
    *frames = cpkt_writer_frames(w);
    if (cpkt_writer_close(w, rc < 0 ? ignored : errbuf) < 0)
        rc = -1;
    if (nm != NULL && cnm_close(nm, rc < 0 ? ignored : errbuf) < 0)
        rc = -1;
    return rc;
}

static int build_netwatcher(const char *outdir, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct mirror_result res[NW_NCAPTURES][NW_FLOWS_MAX];
    uint64_t frames[NW_NCAPTURES];
    char path[PATH_MAX], t[40];
    char *text = NULL;
    size_t len = 0;
    FILE *m;

    memset(res, 0, sizeof(res));
    for (size_t i = 0; i < NW_NCAPTURES; i++) {
        if (nw_captures[i].nflows > NW_FLOWS_MAX)
            abort(); /* the table outgrew res[] */
        if (nw_capture(outdir, &nw_captures[i], res[i], &frames[i], errbuf) < 0)
            return -1;
    }
    if (join_path(path, sizeof(path), outdir, "netwatcher/MANIFEST", errbuf) < 0)
        return -1;
    if ((m = open_memstream(&text, &len)) == NULL) {
        corpus_err(errbuf, "%s: %s", path, strerror(errno));
        return -1;
    }
    manifest_head(m, "netwatcher: Network Watcher packet captures of two VMs in the storage "
                     "account's layout (lower-cased path, file name = capture start, UTC).");
    fprintf(m, "# Full packets (bytesToCapturePerPacket 0); no flow logs.\n");
    for (size_t i = 0; i < NW_NCAPTURES; i++) {
        const struct nw_capture *c = &nw_captures[i];
        fprintf(m, "file %s format=%s vm=%s started=%s frames=%llu\n", c->file, c->format, c->vm,
                corpus_time_str(CORPUS_BASE_S * S_US + c->start_ms * MS_US, 3, t, sizeof(t)),
                (unsigned long long)frames[i]);
        for (size_t k = 0; k < c->nflows; k++) {
            manifest_flow(m, &c->flows[k], &res[i][k]);
            fprintf(m, " vm=%s\n", c->vm);
        }
    }
    return manifest_close(m, &text, &len, path, errbuf);
}

/* --- the scenario table and the command ---------------------------------- */

struct scenario {
    const char *name;
    const char *what;
    int (*build)(const char *outdir, char errbuf[CORPUS_ERRBUF_SIZE]);
};

static const struct scenario scenarios[] = {
    {"vtap", "vTAP VXLAN mirror.pcap + matching VNet v4 and NSG v2 flow-log blobs", build_vtap},
    {"cleartext", "the same vTAP mirror with a firing and a silent flow per rule + VNet v4 blob",
     build_cleartext},
    {"vpngw", "VPN Gateway captures: outer + inner pcapng (two link types), one-direction pcap, NAT-T",
     build_vpngw},
    {"netwatcher", "Network Watcher captures: pcap and NetMon 2.3 in the blob layout",
     build_netwatcher},
    {"odd", "captures with real-world oddities: >64 KiB frame, netlink, NULL/LOOP, versions, times",
     corpus_build_odd},
};

static void corpus_usage(FILE *out)
{
    fprintf(out,
            "usage: azflow corpus OUTDIR\n"
            "Regenerates the synthetic test corpus under OUTDIR, byte for byte:\n");
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
        fprintf(out, "  OUTDIR/%-9s %s\n", scenarios[i].name, scenarios[i].what);
}

int cmd_corpus(int argc, char **argv)
{
    char errbuf[CORPUS_ERRBUF_SIZE];
    const char *outdir = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            corpus_usage(stdout);
            return 2; /* as azflow decode: usage is exit 2 */
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "azflow corpus: unknown option %s\n", argv[i]);
            corpus_usage(stderr);
            return 2;
        }
        if (outdir != NULL) {
            fprintf(stderr, "azflow corpus: one OUTDIR only\n");
            corpus_usage(stderr);
            return 2;
        }
        outdir = argv[i];
    }
    if (outdir == NULL) {
        corpus_usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        errbuf[0] = '\0';
        if (scenarios[i].build(outdir, errbuf) < 0) {
            fprintf(stderr, "azflow corpus: %s: %s\n", scenarios[i].name, errbuf);
            return 1;
        }
    }
    return 0;
}
