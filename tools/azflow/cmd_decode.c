/* cmd_decode: `azflow decode [--strict] PATH...` — every tuple of the given
 * blobs (files, or folders searched for *.json) as azure_flow JSON lines. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob_opts.h"
#include "commands.h"
#include "flowlog.h"
#include "tuple_json.h"

#define READ_CHUNK (1024 * 1024)
#define MAX_DIR_DEPTH 64

struct decode_ctx {
    const char *path; /* the blob being read */
    int strict;
    int stop;         /* --strict and a problem was seen */
    unsigned long problems;
    char *chunk;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: azflow decode [--strict] PATH|URL...\n"
               "  PATH: a flow-log blob, or a folder searched recursively for *.json\n"
               BLOB_OPTS_USAGE
               "  One JSON line per tuple on stdout; problems on stderr as file:offset: reason.\n"
               "  --strict  stop at the first problem\n"
               "  exit: 0 clean, 1 problems, 2 usage\n");
}

static void problem(struct decode_ctx *c)
{
    c->problems++;
    if (c->strict)
        c->stop = 1;
}

static int on_tuple(const struct azf_tuple *t, void *user)
{
    struct decode_ctx *c = user;
    if (c->stop)
        return 1;
    tuple_json_print(stdout, t, c->path);
    return 0;
}

static void on_error(uint64_t offset, const char *reason, void *user)
{
    struct decode_ctx *c = user;
    if (c->stop)
        return;
    fprintf(stderr, "%s:%llu: %s\n", c->path, (unsigned long long)offset, reason);
    problem(c);
}

static void decode_one(struct decode_ctx *c, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        problem(c);
        return;
    }
    struct azf_decoder *d = azf_decoder_new(on_tuple, on_error, c);
    if (!d) {
        fprintf(stderr, "%s: out of memory\n", path);
        problem(c);
        close(fd);
        return;
    }
    c->path = path;
    for (;;) {
        ssize_t n = read(fd, c->chunk, READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "%s: read: %s\n", path, strerror(errno));
            problem(c);
            break;
        }
        if (n == 0) {
            azf_decoder_finish(d);
            break;
        }
        if (azf_decoder_feed(d, c->chunk, (size_t)n) != AZF_OK || c->stop)
            break;
    }
    azf_decoder_free(d);
    close(fd);
}

static int is_json_name(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && !strcmp(name + n - 5, ".json");
}

static int skip_hidden(const struct dirent *e)
{
    /* Hidden entries: ".", "..", and partial downloads (azcopy writes dot files). */
    return e->d_name[0] != '.';
}

/* Depth-first in sorted order, so the output is the same on every run. */
static void decode_dir(struct decode_ctx *c, const char *dir, int depth)
{
    struct dirent **ents;
    int n = scandir(dir, &ents, skip_hidden, alphasort);
    if (n < 0) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        problem(c);
        return;
    }
    for (int i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(ents[i]->d_name) + 2;
        char *path = malloc(len);
        struct stat st;
        if (!path) {
            fprintf(stderr, "%s: out of memory\n", dir);
            problem(c);
        } else if (!c->stop) {
            snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
                     ents[i]->d_name);
            if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                problem(c);
            } else if (S_ISDIR(st.st_mode)) {
                if (depth < MAX_DIR_DEPTH)
                    decode_dir(c, path, depth + 1);
            } else if (S_ISREG(st.st_mode) && is_json_name(ents[i]->d_name)) {
                decode_one(c, path);
            }
        }
        free(path);
        free(ents[i]);
    }
    free(ents);
}

static void on_blob(const char *path, void *user)
{
    ((struct decode_ctx *)user)->path = path;
}

static void on_notice(const char *path, const char *what, void *user)
{
    (void)user;
    fprintf(stderr, "azflow: %s: %s\n", path, what);
}

/* A container: the one follower, one pass, positions in memory only. */
static void decode_url(struct decode_ctx *c, struct azf_blob_opts *bo, const char *url)
{
    struct azf_follow_cbs cbs = { .on_tuple = on_tuple, .on_error = on_error, .on_blob = on_blob,
                                  .on_notice = on_notice, .user = c };
    char errbuf[AZF_ERRBUF_SIZE];
    bo->url = url;
    struct azf_follower *f = azf_follower_new_blob(bo, NULL, &cbs, errbuf);
    if (f == NULL || azf_follower_poll(f, errbuf) < 0) {
        fprintf(stderr, "azflow decode: %s\n", errbuf);
        problem(c);
    }
    c->path = NULL;
    azf_follower_free(f);
}

int cmd_decode(int argc, char **argv)
{
    struct decode_ctx c = {0};
    int i;
    struct azf_blob_opts bo;
    blob_opts_default(&bo);

    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        }
        int b = blob_opt_parse("decode", argc, argv, &i, &bo);
        if (b < 0)
            return 2;
        if (b > 0)
            continue;
        if (!strcmp(argv[i], "--strict")) {
            c.strict = 1;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout); /* asked for: no usage error */
            return 0;
        } else {
            fprintf(stderr, "azflow decode: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    c.chunk = malloc(READ_CHUNK);
    if (!c.chunk) {
        fprintf(stderr, "azflow decode: out of memory\n");
        return 1;
    }
    /* One write per megabyte instead of one per line. */
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);

    for (; i < argc && !c.stop; i++) {
        struct stat st;
        if (azf_is_blob_url(argv[i])) {
            decode_url(&c, &bo, argv[i]);
        } else if (stat(argv[i], &st) < 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            problem(&c);
        } else if (S_ISDIR(st.st_mode)) {
            decode_dir(&c, argv[i], 0);
        } else {
            decode_one(&c, argv[i]);
        }
    }
    free(c.chunk);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "azflow decode: writing stdout: %s\n", strerror(errno));
        return 1;
    }
    return c.problems ? 1 : 0;
}
