/* azflow corpus: packet notes (corpus_notes.h). */
#include <netinet/in.h>
#include <stdio.h>

#include "corpus_notes.h"

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
    proto = ip[9] == IPPROTO_TCP ? "tcp" : ip[9] == IPPROTO_UDP ? "udp" : ip[9] == 50 ? "esp" : "ip";
    if (ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP)
        snprintf(out, outlen, "%s %s:%u -> %s:%u", proto, src, ip[20] << 8 | ip[21], dst,
                 ip[22] << 8 | ip[23]);
    else
        snprintf(out, outlen, "%s %s -> %s", proto, src, dst);
}

int corpus_note_frame(void *ctx, int64_t ts_us, const uint8_t *frame, uint32_t caplen,
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

void corpus_manifest_notes(FILE *m, const char *file, const struct pkt_log *log)
{
    char t[40];

    for (size_t i = 0; i < log->n; i++) {
        const struct pkt_note *n = &log->v[i];
        fprintf(m, "pkt %s#%zu if=%u time=%s len=%u caplen=%u%s %s %s\n", file, i + 1, n->iface,
                corpus_time_str(n->ts_us, 6, t, sizeof(t)), n->len, n->caplen,
                n->caplen < n->len ? " truncated" : "", n->tuple, n->what);
    }
}

uint64_t corpus_notes_truncated(const struct pkt_log *log, uint32_t iface)
{
    uint64_t k = 0;
    for (size_t i = 0; i < log->n; i++)
        k += log->v[i].iface == iface && log->v[i].caplen < log->v[i].len;
    return k;
}

uint64_t corpus_notes_on(const struct pkt_log *log, uint32_t iface)
{
    uint64_t k = 0;
    for (size_t i = 0; i < log->n; i++)
        k += log->v[i].iface == iface;
    return k;
}
