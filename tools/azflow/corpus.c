/* `azflow corpus OUTDIR`: regenerates the synthetic part of pcap-corpus/ byte
 * for byte from the scenario tables (no clock, no randomness): the vTAP
 * mirror scenarios and Network Watcher's here, `vpngw` in corpus_vpngw.c,
 * `odd` in corpus_odd.c; what they share is in corpus_mirror.h. */
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
#include "corpus_mirror.h"
#include "corpus_netmon.h"
#include "corpus_odd.h"
#include "corpus_pkt.h"

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

int corpus_join_path(char *out, size_t len, const char *dir, const char *rel,
                     char errbuf[CORPUS_ERRBUF_SIZE])
{
    int n = snprintf(out, len, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= len) {
        corpus_err(errbuf, "%s/%s: path too long", dir, rel);
        return -1;
    }
    return 0;
}

FILE *corpus_memfile_open(char **text, size_t *len, const char *path,
                           char errbuf[CORPUS_ERRBUF_SIZE])
{
    FILE *m;

    *text = NULL;
    *len = 0;
    if ((m = open_memstream(text, len)) == NULL)
        corpus_err(errbuf, "%s: %s", path, strerror(errno));
    return m;
}

int corpus_memfile_close(FILE *m, char **text, size_t *len, const char *path,
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

/* The mirror's blob paths below a scenario's vnet/ and nsg/ folders. */
#define VNET_BLOB_PATH VNET_BLOB_PATH_OF("VNET1-FLOWLOG", VTAP_MAC)
#define NSG_BLOB_PATH                                                                \
    "resourceId=/SUBSCRIPTIONS/00000000-0000-0000-0000-0000000000AA/RESOURCEGROUPS/" \
    "RG-PROD/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-APP/y=2026/m=11/" \
    "d=28/h=04/m=00/macAddress=" VTAP_MAC "/PT1H.json"

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
const struct msg corpus_smb_msgs[2] = {
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
    {"smb-unencrypted", TCP, "10.0.0.4", 50010, "10.0.2.6", 445, 50000, MSGS(corpus_smb_msgs),
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

struct cpkt_endpoint corpus_endpoint(const char *ip, uint16_t port, const struct nic *nic)
{
    struct cpkt_endpoint e = {.ip = ipv4(ip), .port = port};
    memcpy(e.mac, strcmp(ip, nic->ip) == 0 ? nic->mac : corpus_vtap_gw_mac, 6);
    return e;
}

/* Writes one flow's packets (handshake, messages, close) seen at `nic`,
 * starting lead_us after the table's start time. */
int corpus_flow_write(struct cpkt_writer *w, const struct mirror_flow *fl, const struct nic *nic,
                      int64_t lead_us, struct mirror_result *r, char errbuf[CORPUS_ERRBUF_SIZE])
{
    struct cpkt_endpoint c = corpus_endpoint(fl->src, fl->sport, nic);
    struct cpkt_endpoint s = corpus_endpoint(fl->dst, fl->dport, nic);
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
size_t corpus_flow_tuples(const struct mirror_flow *fl, const struct mirror_result *r,
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

const char *corpus_log_kind_str(enum log_kind k)
{
    return k == LOG_ALLOW ? "B,E" : k == LOG_DENY ? "D" : "-";
}

/* The lines every MANIFEST starts with. */
void corpus_manifest_head(FILE *m, const char *summary)
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
void corpus_manifest_flow(FILE *m, const struct mirror_flow *fl, const struct mirror_result *r)
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

static int mirror_manifest(const struct mirror_scenario *sc, const char *path,
                           const struct mirror_result *res, uint64_t frames, size_t nvnet,
                           size_t nnsg, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char *text;
    size_t len;
    FILE *m = corpus_memfile_open(&text, &len, path, errbuf);

    if (m == NULL)
        return -1;
    corpus_manifest_head(m, sc->summary);
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
        corpus_manifest_flow(m, fl, r);
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
                fl->log == LOG_DENY ? "deny" : "allow", fl->encryption, corpus_log_kind_str(fl->log));
        if (sc->nsg_blob != NULL)
            fprintf(m, " nsg=%s",
                    fl->nsg_visible ? (fl->log == LOG_DENY ? "B(deny)" : "B,E") : "-");
        fprintf(m, " acl=%s rule=%s\n", fl->acl, fl->rule);
    }
    return corpus_memfile_close(m, &text, &len, path, errbuf);
}

/* Writes the pcap flow after flow, collecting each flow's tuples. */
static int mirror_pcap(const struct mirror_scenario *sc, const char *outdir,
                       struct mirror_result *res, struct cflog_tuple *tuples, size_t *ntuples,
                       size_t *nnsg, uint64_t *frames, char errbuf[CORPUS_ERRBUF_SIZE])
{
    char path[PATH_MAX];
    struct cpkt_writer *w;

    if (corpus_join_path(path, sizeof(path), outdir, sc->pcap, errbuf) < 0)
        return -1;
    if ((w = cpkt_writer_open(path, &corpus_vtap_encap, errbuf)) == NULL)
        return -1;
    for (size_t i = 0; i < sc->nflows; i++) {
        const struct mirror_flow *fl = &sc->flows[i];
        struct mirror_result *r = &res[i];
        if (fl->msgs != NULL) {
            if (corpus_flow_write(w, fl, &vtap_nic, 0, r, errbuf) < 0) {
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
        size_t k = corpus_flow_tuples(fl, r, &tuples[*ntuples]);
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
    if (corpus_join_path(path, sizeof(path), outdir, sc->vnet_blob, errbuf) < 0 ||
        cflog_write_vnet(path, &vtap_vnet_env, tuples, n, errbuf) < 0)
        goto out;
    if (sc->nsg_blob != NULL &&
        (corpus_join_path(path, sizeof(path), outdir, sc->nsg_blob, errbuf) < 0 ||
         cflog_write_nsg(path, &vtap_nsg_env, tuples, n, errbuf) < 0))
        goto out;
    if (corpus_join_path(path, sizeof(path), outdir, sc->manifest, errbuf) < 0 ||
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

    if (corpus_join_path(path, sizeof(path), outdir, c->file, errbuf) < 0)
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
        rc = corpus_flow_write(w, &c->flows[i], c->nic, 0, &res[i], errbuf);
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
    if (corpus_join_path(path, sizeof(path), outdir, "netwatcher/MANIFEST", errbuf) < 0)
        return -1;
    if ((m = corpus_memfile_open(&text, &len, path, errbuf)) == NULL)
        return -1;
    corpus_manifest_head(m, "netwatcher: Network Watcher packet captures of two VMs in the storage "
                     "account's layout (lower-cased path, file name = capture start, UTC).");
    fprintf(m, "# Full packets (bytesToCapturePerPacket 0); no flow logs.\n");
    for (size_t i = 0; i < NW_NCAPTURES; i++) {
        const struct nw_capture *c = &nw_captures[i];
        fprintf(m, "file %s format=%s vm=%s started=%s frames=%llu\n", c->file, c->format, c->vm,
                corpus_time_str(CORPUS_BASE_S * S_US + c->start_ms * MS_US, 3, t, sizeof(t)),
                (unsigned long long)frames[i]);
        for (size_t k = 0; k < c->nflows; k++) {
            corpus_manifest_flow(m, &c->flows[k], &res[i][k]);
            fprintf(m, " vm=%s\n", c->vm);
        }
    }
    return corpus_memfile_close(m, &text, &len, path, errbuf);
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
     corpus_build_vpngw},
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
