/* azflow plugin: the background thread that follows growing flow-log blobs
 * (sources with `follow: yes`) and feeds the index, off the packet path. */
#ifndef AZFLOW_FOLLOW_THREAD_H
#define AZFLOW_FOLLOW_THREAD_H

#include "config.h"
#include "ingest.h"

/* Creates a follower per follow source and reads what the blobs already
 * hold (past the bookmarks), synchronously, so the first packet sees it.
 * Returns 0, or -1 with err naming the key. */
int AzFollowInit(const struct az_config *cfg, char *err, size_t errlen);
/* Starts polling once a second in a background thread. */
int AzFollowStart(void);
/* Stops the thread (saving bookmarks) and frees the followers. */
void AzFollowStop(void);
/* A source with `follow: no` and a url: one pass over its container at
 * start-up (source number i for messages).  -1 with err: configuration
 * error (credential, container, TLS). */
int AzFollowOnce(const struct az_flowlog_source *src, size_t i, char *err, size_t errlen);

#endif
