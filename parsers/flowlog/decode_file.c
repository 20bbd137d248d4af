/* decode_file: a whole blob through a decoder, read in chunks so memory
 * stays bounded by the largest record, never the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowlog.h"

/* Big enough that read() cost vanishes, small enough to stay in cache. */
#define CHUNK (256 * 1024)

int azf_decode_file(const char *path, azf_tuple_fn on_tuple, azf_error_fn on_error, void *user,
                    char errbuf[AZF_ERRBUF_SIZE])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: %s", path, strerror(errno));
        return AZF_EINVAL;
    }
    struct azf_decoder *d = azf_decoder_new(on_tuple, on_error, user);
    char *buf = malloc(CHUNK);
    if (!d || !buf) {
        snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: out of memory", path);
        azf_decoder_free(d);
        free(buf);
        close(fd);
        return AZF_ENOMEM;
    }
    int rc = AZF_OK;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(errbuf, AZF_ERRBUF_SIZE, "%s: read: %s", path, strerror(errno));
            rc = AZF_EINVAL;
            break;
        }
        if (n == 0) {
            rc = azf_decoder_finish(d);
            break;
        }
        if ((rc = azf_decoder_feed(d, buf, (size_t)n)) != AZF_OK)
            break;
    }
    azf_decoder_free(d);
    free(buf);
    close(fd);
    return rc;
}
