/* fuzz_follow: the follower over a temp folder whose two blobs the input
 * writes, appends to, truncates, replaces and deletes between polls, with
 * restarts from the bookmark file and a fuzzer-written bookmark file.
 *
 * Input: a list of operations [op:1][arg:2][payload...]: see do_op(). */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"

static char dir[256], blob[2][300], marks[300], tmp[300];

struct fstate {
    struct fuzz_sums z;
    struct azf_follower *f;
    int cur;                 /* blob announced by on_blob, -1 none */
    uint64_t size[2];        /* bytes each blob ever held, at most */
};

static int on_tuple(const struct azf_tuple *t, void *u)
{
    struct fstate *s = u;
    FUZZ_CHECK(s->cur >= 0, "a tuple before on_blob");
    s->z.lo = 0;
    s->z.hi = s->size[s->cur];
    return fuzz_on_tuple(t, &s->z);
}

static void on_error(uint64_t off, const char *why, void *u)
{
    struct fstate *s = u;
    fuzz_on_error(off, why, &s->z);
}

static void on_blob(const char *path, void *u)
{
    struct fstate *s = u;
    s->cur = strcmp(path, blob[0]) == 0 ? 0 : strcmp(path, blob[1]) == 0 ? 1 : -1;
    FUZZ_CHECK(s->cur >= 0, "unknown blob %s", path);
}

static void on_notice(const char *path, const char *what, void *u)
{
    FUZZ_CHECK(path && what && what[0], "empty notice");
}

static int start(struct fstate *s)
{
    struct azf_follow_cbs cbs = {on_tuple, on_error, on_blob, on_notice, s, NULL};
    char err[AZF_ERRBUF_SIZE];
    s->f = azf_follower_new(dir, marks, &cbs, err);
    return s->f ? 0 : -1; /* a corrupt bookmark file is refused: fine */
}

static void put(const char *path, int flags, const uint8_t *p, size_t n)
{
    int fd = open(path, flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        abort();
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            abort();
        p += w;
        n -= (size_t)w;
    }
    close(fd);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void grew(struct fstate *s, int k)
{
    uint64_t n = file_size(blob[k]);
    if (n > s->size[k])
        s->size[k] = n;
}

static void cleanup(void)
{
    char a[300];
    unlink(blob[0]);
    unlink(blob[1]);
    unlink(tmp);
    unlink(marks);
    snprintf(a, sizeof(a), "%s/a", dir);
    rmdir(a);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        atexit(cleanup);
        const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(dir, sizeof(dir), "%s/azf-fuzz-follow-XXXXXX", base);
        if (!mkdtemp(dir))
            abort();
        snprintf(blob[0], sizeof(blob[0]), "%s/a/PT1H.json", dir);
        snprintf(blob[1], sizeof(blob[1]), "%s/b.json", dir);
        snprintf(marks, sizeof(marks), "%s.bookmarks", dir);
        snprintf(tmp, sizeof(tmp), "%s/.b.json.part", dir);
        char a[300];
        snprintf(a, sizeof(a), "%s/a", dir);
        mkdir(a, 0755);
    }
    unlink(blob[0]);
    unlink(blob[1]);
    unlink(tmp);
    unlink(marks);

    struct fstate s = {.cur = -1};
    char err[AZF_ERRBUF_SIZE];
    start(&s);
    int ops = 0;
    while (size > 0 && ops++ < 64) {
        unsigned op = (unsigned)fuzz_take(&data, &size, 1);
        size_t arg = (size_t)fuzz_take(&data, &size, 2);
        int k = op >> 7;
        size_t n = arg % 4096;
        if (n > size)
            n = size;
        switch (op & 7) {
        case 0: /* append */
            put(blob[k], O_APPEND, data, n);
            data += n, size -= n;
            grew(&s, k);
            break;
        case 1: /* truncate */
            if (truncate(blob[k], (off_t)(arg % (file_size(blob[k]) + 1))) != 0) {
                /* absent: nothing to do */
            }
            break;
        case 2: /* replace whole, azcopy style: temp file then rename */
            put(tmp, O_TRUNC, data, n);
            data += n, size -= n;
            rename(tmp, blob[k]);
            grew(&s, k);
            break;
        case 3:
            unlink(blob[k]);
            break;
        case 4: /* restart from the bookmark file */
            azf_follower_free(s.f);
            start(&s);
            break;
        case 5: /* a bookmark file of the input's making */
            azf_follower_free(s.f);
            put(marks, O_TRUNC, data, n);
            data += n, size -= n;
            start(&s);
            break;
        default: /* poll, perhaps stopping early */
            if (s.f) {
                s.z.stop_after = (op & 1) ? s.z.ntuples + (arg % 8) + 1 : 0;
                s.cur = -1;
                long r = azf_follower_poll(s.f, err);
                FUZZ_CHECK(r >= -1000000, "poll returned %ld", r);
                s.z.stop_after = 0;
            }
            break;
        }
    }
    if (s.f) {
        s.cur = -1;
        azf_follower_poll(s.f, err);
    }
    azf_follower_free(s.f);
    return 0;
}
