/*
 * capture.h - packet sources behind one operations struct.
 *
 * A source yields struct packet frames (src/core/packet.h) one at a time.
 * Files (pcap and pcapng, through libpcap), several files, directories
 * (recursive) and glob patterns are one source that merges its inputs in
 * timestamp order; a live interface is another.  The pipeline calls
 * src->ops->next() and cannot tell them apart.
 *
 * Errors are sentences naming the file and, for damaged files, the byte
 * offset; they are kept in the source (capture_error()).  A damaged file
 * stops that file only: the packets before the damage are delivered, the
 * other inputs go on, and capture_damaged() reports it at the end.
 */
#ifndef VIGIL_CAPTURE_H
#define VIGIL_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "core/packet.h"

struct capture_source;

struct capture_stats {
    uint64_t packets;          /* frames delivered */
    uint64_t bytes;            /* captured bytes delivered */
    uint64_t wire_bytes;       /* wire bytes delivered */
    uint64_t filtered_out;     /* frames rejected by the BPF filter (files) */
    uint64_t ps_recv;          /* live: packets seen by the kernel filter (pcap_stats) */
    uint64_t ps_drop;          /* live: dropped for lack of buffer space */
    uint64_t ps_ifdrop;        /* live: dropped by the interface/driver */
    uint32_t files_total;      /* files: inputs opened */
    uint32_t files_damaged;    /* files: inputs that ended in an error */
};

struct capture_source_ops {
    const char *name; /* "file" or "live" */
    /* 1: *pkt filled (source part only), 0: end of input, <0: fatal error
     * (see capture_error()).  pkt->data stays valid until the next call. */
    int (*next)(struct capture_source *src, struct packet *pkt);
    int (*stats)(struct capture_source *src, struct capture_stats *st);
    void (*close)(struct capture_source *src);
    /* Bytes of input consumed so far and in all (files); both 0 for live. */
    void (*progress)(struct capture_source *src, uint64_t *done, uint64_t *total);
};

struct capture_source {
    const struct capture_source_ops *ops;
    char err[512];   /* last error sentence */
    int damaged;     /* number of file inputs that ended early on damage */
    char *damage_log; /* every damage sentence so far, one a line; owned by the source */
    size_t damage_len;
};

struct capture_file_opts {
    const char *bpf;  /* libpcap filter expression, or NULL */
    int nano;         /* unused for now: timestamps are always read at ns precision */
};

struct capture_live_opts {
    const char *bpf;
    int snaplen;          /* default 262144 (full) */
    int buffer_mb;        /* kernel ring size, MiB (default 64) */
    int promisc;          /* default 1 */
    int timeout_ms;       /* read timeout (default 100) */
};

/*
 * Open files: each path is a file, a directory (walked recursively, files
 * in name order), or a glob pattern.  Inputs are merged by timestamp.
 * On error returns NULL and writes a sentence into err.
 */
struct capture_source *capture_open_files(const char *const *paths, int npaths,
                                          const struct capture_file_opts *opts, char *err,
                                          size_t errlen);

struct capture_source *capture_open_live(const char *iface, const struct capture_live_opts *opts,
                                         char *err, size_t errlen);

/* The pcap_t of a live source (NULL for files): a signal handler may call
 * pcap_breakloop() on it to make next() return 0. */
void *capture_live_handle(struct capture_source *src);

/* Input i of a file source, in the order opened (the expanded list's):
 * its path, and the snapshot length and link type of its header as libpcap
 * read it (both -1 when it was not a capture).  Read from the open input,
 * so it works for standard input and FIFOs, which cannot be opened twice.
 * 0, or -1 past the last input or for a live source. */
int capture_file_input(const struct capture_source *src, int i, const char **path, int *snaplen,
                       int *linktype);

/* Expand file/dir/glob arguments into a sorted, de-duplicated list of files. */
int capture_expand_paths(const char *const *paths, int npaths, char ***out, int *nout, char *err,
                         size_t errlen);
void capture_free_paths(char **list, int n);

static inline int capture_next(struct capture_source *s, struct packet *p)
{
    return s->ops->next(s, p);
}

static inline void capture_close(struct capture_source *s)
{
    if (s)
        s->ops->close(s);
}

static inline void capture_progress(struct capture_source *s, uint64_t *done, uint64_t *total)
{
    *done = *total = 0;
    if (s && s->ops->progress)
        s->ops->progress(s, done, total);
}

static inline int capture_stats(struct capture_source *s, struct capture_stats *st)
{
    return s->ops->stats(s, st);
}

/* Compile bpf for link type dlt only to check it: 0 when it compiles,
 * otherwise -1 and a sentence naming the expression in err. */
int capture_filter_check(const char *bpf, int dlt, char *err, size_t errlen);

const char *capture_error(const struct capture_source *s);
int capture_damaged(const struct capture_source *s);

/* Link type name, e.g. "EN10MB" and its description "Ethernet", via libpcap. */
const char *capture_linktype_name(int dlt);
const char *capture_linktype_desc(int dlt);

#endif
