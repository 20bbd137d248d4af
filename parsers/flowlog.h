/* azflow flow-log decoder: Azure NSG (v1, v2) and VNet (v4) flow-log blobs
 * to tuples, streaming, plus a follower for growing PT1H.json blobs.
 *
 * The only public header of parsers/.  Host-neutral: no Suricata header is
 * included anywhere under parsers/, so a Zeek plugin or a CLI can reuse it.
 *
 * Conventions (one of each):
 *   time       int64 microseconds since the Unix epoch, UTC;
 *   direction  "toserver" = the tuple's source -> destination;
 *   errors     a status return plus a message naming the byte offset; the
 *              caller decides whether to log, count or stop.
 */
#ifndef AZF_FLOWLOG_H
#define AZF_FLOWLOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for a storage blob's whole URL (without its query) and what to fix. */
#define AZF_ERRBUF_SIZE 1024

enum azf_source { AZF_SOURCE_NSG = 1, AZF_SOURCE_VNET = 2 };
enum azf_direction { AZF_DIR_INBOUND = 1, AZF_DIR_OUTBOUND = 2 };
enum azf_decision { AZF_DECISION_ALLOW = 1, AZF_DECISION_DENY = 2 };
/* NSG v1 has no state: AZF_STATE_NONE. */
enum azf_state {
    AZF_STATE_NONE = 0,
    AZF_STATE_BEGIN = 1,
    AZF_STATE_CONTINUING = 2,
    AZF_STATE_END = 3,
    AZF_STATE_DENY = 4, /* VNet 'D' */
};

struct azf_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t bytes[16]; /* network order; IPv4 uses the first 4 */
};

/* One flow-log tuple with its record's envelope.  Every pointer is valid
 * only during the callback that receives the tuple; NULL means the log
 * did not carry the field (never an invented value). */
struct azf_tuple {
    int64_t ts_us;           /* tuple time */
    uint32_t ts_res_us;      /* how coarsely the log wrote it (truncated): 1000000 for
                                seconds (NSG), 1000 for ms (VNet); the tuple's moment
                                lies in [ts_us, ts_us + ts_res_us).  0: exact */
    int64_t record_time_us;  /* the record's "time" (write time); 0 if absent */
    uint64_t offset;         /* byte offset of the tuple string's opening quote in its input */

    struct azf_addr src, dst;
    uint16_t sport, dport;
    uint8_t proto;           /* IANA number: 6 TCP, 17 UDP, ... */

    uint8_t source;          /* enum azf_source */
    uint8_t version;         /* NSG 1 or 2; VNet flowLogVersion (4) */
    uint8_t direction;       /* enum azf_direction */
    uint8_t decision;        /* enum azf_decision (VNet: D state => deny) */
    uint8_t state;           /* enum azf_state */
    uint8_t has_counters;    /* 1 when the four counters were present */
    uint64_t pkts_toserver, bytes_toserver, pkts_toclient, bytes_toclient;

    const char *encryption;  /* VNet: "X", "NX" or "NX_*" kept raw; NSG: NULL */
    const char *rule;        /* NSG flows[].rule, VNet flowGroups[].rule */
    const char *acl;         /* VNet aclID; NSG: the resourceId */
    const char *resource_id; /* NSG resourceId, VNet flowLogResourceID */
    const char *target_resource_id; /* VNet targetResourceID */
    const char *mac;         /* NIC MAC, 12 upper-case hex digits */
};

/* Called once per good tuple.  Return 0 to go on, non-zero to stop the
 * decoder (azf_decoder_feed then returns AZF_STOPPED, and keeps doing so
 * until a reset; safe_offset stays before the record that was cut short). */
typedef int (*azf_tuple_fn)(const struct azf_tuple *t, void *user);
/* Called once per problem: offset of the bad record/tuple in the input and
 * a one-line reason.  The decoder skips the bad part and goes on: a bad
 * tuple alone; a record that is not valid JSON whole (none of its tuples);
 * after a framing error, everything up to the next '{'. */
typedef void (*azf_error_fn)(uint64_t offset, const char *reason, void *user);

enum azf_status {
    AZF_OK = 0,
    AZF_STOPPED = 1,  /* a callback asked to stop */
    AZF_ENOMEM = -1,
    AZF_EINVAL = -2,
};

/* --- decoder ------------------------------------------------------------
 * Accepts a {"records":[...]} blob (compact or pretty, any key order,
 * unknown keys ignored), a bare sequence of records, or NDJSON (one record
 * per line).  Input may be fed in pieces split anywhere: a record is decoded
 * when its closing brace arrives, so memory is bounded by the largest
 * record, not the blob. */
struct azf_decoder;

struct azf_decoder *azf_decoder_new(azf_tuple_fn on_tuple, azf_error_fn on_error, void *user);
void azf_decoder_free(struct azf_decoder *d);
/* Start over as at offset `offset` of a blob, positioned just after a
 * complete record (a bookmark from azf_decoder_safe_offset).  Offsets then
 * stay absolute.  After a non-zero offset the decoder cannot know whether it
 * is inside a {"records":[ envelope, so finish reports a torn record but not
 * a missing "]}". */
void azf_decoder_reset(struct azf_decoder *d, uint64_t offset);
int azf_decoder_feed(struct azf_decoder *d, const void *buf, size_t len);
/* End of input: reports a torn trailing record or unclosed envelope as an
 * error (but the follower does not call this on a growing blob). */
int azf_decoder_finish(struct azf_decoder *d);
/* Offset just after the last complete record consumed: where a restarted
 * reader resumes without repeating or losing a tuple. */
uint64_t azf_decoder_safe_offset(const struct azf_decoder *d);
/* Records larger than max bytes are reported and skipped (default 64 MiB;
 * 0 restores it).  Bounds the decoder's memory whatever the input. */
void azf_decoder_set_max_record(struct azf_decoder *d, size_t max);
/* Counters since creation/reset. */
uint64_t azf_decoder_tuples(const struct azf_decoder *d);
uint64_t azf_decoder_errors(const struct azf_decoder *d);

/* Whole-file convenience: reads `path` in chunks through a decoder.
 * Returns AZF_OK, AZF_STOPPED, or <0 with errbuf naming the file. */
int azf_decode_file(const char *path, azf_tuple_fn on_tuple, azf_error_fn on_error, void *user,
                    char errbuf[AZF_ERRBUF_SIZE]);

/* --- blob discovery ------------------------------------------------------
 * The *.json blobs under `root` (recursively), or `root` itself when it is
 * a file, sorted by path so every reader sees them in the same order.
 * Returns 0 with *paths (caller frees with azf_blob_list_free), or <0 with
 * errbuf naming the path that could not be read. */
int azf_blob_list(const char *root, char ***paths, size_t *npaths, char errbuf[AZF_ERRBUF_SIZE]);
void azf_blob_list_free(char **paths, size_t npaths);
/* The same walk for any file name ending in `suffix` (NULL: every file);
 * capture mode lists its capture files with it.  Free with
 * azf_blob_list_free. */
int azf_file_list(const char *root, const char *suffix, char ***paths, size_t *npaths,
                  char errbuf[AZF_ERRBUF_SIZE]);

/* --- helpers --------------------------------------------------------------- */
/* Formats an address like inet_ntop. */
const char *azf_addr_str(const struct azf_addr *a, char *buf, size_t len);
const char *azf_direction_str(uint8_t d);   /* "inbound" / "outbound" */
const char *azf_decision_str(uint8_t d);    /* "allow" / "deny" */
const char *azf_state_str(uint8_t s);       /* "begin" ... / NULL for NONE */
const char *azf_source_str(uint8_t s);      /* "nsg" / "vnet" */
const char *azf_proto_str(uint8_t proto);   /* Suricata's name ("TCP"...), NULL: print the number */
/* Whether EVE writes src_port/dest_port for the protocol (Suricata's own
 * rule: TCP, UDP, SCTP), so every azure_flow-shaped writer leaves them out
 * alike for ICMP and the rest. */
int azf_proto_has_ports(uint8_t proto);

/* JSON string output, for every writer of azure_flow-shaped JSON (the
 * plugin's EVE object and index, `azflow decode`).  azf_json_quote: s[0..len)
 * as a quoted, escaped JSON string; returns its length and writes it to out
 * when out is not NULL (call once with NULL to size the buffer).  Always
 * valid UTF-8: each byte of s that is not (the decoder passes raw bytes
 * through) becomes U+FFFD.
 * azf_json_plain: how many leading bytes of s[0..len) go out as they are (16
 * at a time where SSE2 is there; resource ids run to a few hundred bytes and
 * rarely need escaping). */
size_t azf_json_quote(const char *s, size_t len, char *out);
size_t azf_json_plain(const char *s, size_t len);

/* ARM resource id -> parts.  Returns 0 when it is an ARM id. */
struct azf_resource_id {
    char subscription[64];
    char resource_group[128];
    char name[128];
};
int azf_resource_id_parse(const char *id, struct azf_resource_id *out);

/* --- follower -------------------------------------------------------------
 * Follows a folder (or one file) of growing PT1H.json blobs the way the
 * storage account writes them: reads only what was appended, never emits
 * half a record, survives truncation/replacement (starts the blob over and
 * says so), picks up new files (the next hour's blob), and keeps per-blob
 * positions in a bookmark file so a restart neither repeats nor loses. */
struct azf_follower;

/* Called with the path of the blob (root as given + the rest) before the
 * first tuple or error from it in a poll; the path stays valid until the
 * poll returns.  An error that stops a blob from being read at all (open,
 * read) also comes through on_blob + on_error. */
typedef void (*azf_blob_fn)(const char *path, void *user);
/* Notices that are not errors: a blob started over after truncation or
 * replacement, a blob gone, a blob waiting while it is rewritten. */
typedef void (*azf_notice_fn)(const char *path, const char *what, void *user);

struct azf_follow_cbs {
    azf_tuple_fn on_tuple;   /* non-zero return: the poll ends early; the rest
                                is read by the next poll, nothing repeated */
    azf_error_fn on_error;   /* offset within the blob last given to on_blob */
    azf_blob_fn on_blob;     /* may be NULL */
    azf_notice_fn on_notice; /* may be NULL */
    void *user;
    /* May be NULL.  Called before the bookmarks are saved: make what was
     * delivered durable (flush output).  Non-zero: do not save now (the next
     * poll tries again). */
    int (*on_commit)(void *user);
};

/* root: a blob file, or a folder searched like azf_blob_list (hidden files
 * such as azcopy's partial downloads skipped).  bookmarks_path: the state
 * file (NULL: positions in memory only); followers with disjoint roots may
 * share one when polled in turn.  Returns NULL with errbuf naming the root,
 * or the bookmark file and line when that file is corrupt. */
struct azf_follower *azf_follower_new(const char *root, const char *bookmarks_path,
                                      const struct azf_follow_cbs *cbs, char errbuf[AZF_ERRBUF_SIZE]);
/* Saves positions a failed save left behind, then frees. */
void azf_follower_free(struct azf_follower *f);
/* One pass: scan for new/grown blobs, decode what was appended, save the
 * bookmarks when they changed.  Returns the number of tuples emitted, or <0
 * with errbuf (root unreadable: no bookmark touched; bookmark file not
 * written: positions kept in memory and saved by a later poll). */
long azf_follower_poll(struct azf_follower *f, char errbuf[AZF_ERRBUF_SIZE]);
/* Re-reads what the bookmarks say was already delivered — [0, bookmark) of
 * every blob that is still the one the bookmark was taken from — and hands
 * fn the tuples whose time is >= since_us.  Bookmarks are not touched;
 * problems are not reported (they were when the bytes were first read).
 * For a consumer that rebuilds recent state after a restart.  Returns the
 * number of tuples handed out, or -1 when out of memory. */
long azf_follower_replay(struct azf_follower *f, int64_t since_us, azf_tuple_fn fn, void *user);
/* Optional: only blobs for which accept(path) returns non-zero are read
 * (the plugin applies its `include` PCRE2 here); a rejected blob keeps its
 * bookmark untouched. */
void azf_follower_set_filter(struct azf_follower *f, int (*accept)(const char *path, void *u), void *u);

#ifdef __cplusplus
}
#endif
#endif /* AZF_FLOWLOG_H */
