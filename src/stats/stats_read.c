/*
 * stats_read.c - feed capture files into a struct stats: the one driver
 * shared by `vigil stats`, `vigil estimate -r` and (later) the console.
 *
 * Owns nothing past the call: it expands the inputs (files, directories,
 * globs) with src/capture, asks libpcap for each file's snapshot length and
 * link type from its header (capture.h has no call for it, so this file
 * opens each one briefly with pcap_open_offline()), checks the BPF filter
 * against the first file's link type, then reads the merged stream with
 * capture_next(), decodes each frame with src/decode (fragments reassembled,
 * as tshark does) and counts it with stats_add_packet().  A damaged file is
 * reported, its packets up to the damage still count, and the result says
 * so (STATS_READ_DAMAGED).  The progress line (src/core/progress.h) is
 * drawn on stderr when asked and stderr is a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "capture/capture.h"
#include "core/progress.h"
#include "decode/decode.h"
#include "stats/stats.h"

/* The first input's link type before the inputs are opened, for checking
 * the filter: read from the first regular file's header (a pipe or
 * standard input cannot be read twice; 1, Ethernet, is assumed for it). */
static int read_first_dlt(char **list, int nlist)
{
    char perr[PCAP_ERRBUF_SIZE];
    struct stat sb;
    if (nlist < 1 || strcmp(list[0], "-") == 0 || stat(list[0], &sb) != 0 || !S_ISREG(sb.st_mode))
        return -1;
    pcap_t *p = pcap_open_offline_with_tstamp_precision(list[0], PCAP_TSTAMP_PRECISION_NANO, perr);
    if (!p)
        return -1;
    int dlt = pcap_datalink(p);
    pcap_close(p);
    return dlt;
}

static int read_loop(struct stats *st, struct capture_source *src, int show_progress, char *err,
                     size_t errlen)
{
    struct decode_config dcfg;
    decode_config_default(&dcfg);
    struct decoder *dec = decoder_new(&dcfg);
    if (!dec) {
        snprintf(err, errlen, "out of memory creating the packet decoder");
        return STATS_READ_ERROR;
    }
    struct progress pg;
    progress_begin(&pg, "packets", show_progress);
    struct packet pkt;
    uint64_t n = 0;
    int rc;
    for (;;) {
        memset(&pkt, 0, sizeof(pkt));
        rc = capture_next(src, &pkt);
        if (rc <= 0)
            break;
        decode_packet(dec, &pkt); /* a frame it rejects still counts */
        stats_add_packet(st, &pkt);
        n++;
        if (progress_due(&pg)) {
            uint64_t done, total;
            capture_progress(src, &done, &total);
            progress_update_now(&pg, done, total, n);
        }
    }
    progress_end(&pg);
    decoder_free(dec);
    if (rc < 0) {
        snprintf(err, errlen, "%s", capture_error(src));
        return STATS_READ_ERROR;
    }
    return STATS_READ_OK;
}

int stats_read_files(struct stats *st, const char *const *paths, int npaths, const char *bpf,
                     int show_progress, char **damage_log, char *err, size_t errlen)
{
    char **list = NULL;
    int nlist = 0, first_dlt = -1;
    struct capture_source *src = NULL;
    int rc = STATS_READ_ERROR;

    err[0] = '\0';
    if (damage_log)
        *damage_log = NULL;
    if (capture_expand_paths(paths, npaths, &list, &nlist, err, errlen) < 0)
        return STATS_READ_ERROR;
    first_dlt = read_first_dlt(list, nlist);
    if (bpf && bpf[0] && capture_filter_check(bpf, first_dlt < 0 ? 1 : first_dlt, err, errlen) < 0) {
        rc = STATS_READ_BAD_FILTER;
        goto out;
    }
    struct capture_file_opts opts = {bpf && bpf[0] ? bpf : NULL, 1};
    src = capture_open_files((const char *const *)list, nlist, &opts, err, errlen);
    if (!src)
        goto out;
    /* snapshot length and link type of each file, as the source read them */
    const char *ipath;
    int isnap, idlt;
    for (int i = 0; capture_file_input(src, i, &ipath, &isnap, &idlt) == 0; i++)
        stats_file_note(st, ipath, isnap, idlt);
    rc = read_loop(st, src, show_progress, err, errlen);
    if (rc == STATS_READ_OK && capture_damaged(src)) {
        rc = STATS_READ_DAMAGED;
        if (damage_log && src->damage_log)
            *damage_log = strdup(src->damage_log);
        else if (damage_log)
            *damage_log = strdup(capture_error(src));
        /* Mark the damaged files: each damage sentence starts with "path: ". */
        for (int i = 0; i < nlist; i++) {
            size_t len = strlen(list[i]);
            const char *log = src->damage_log ? src->damage_log : capture_error(src);
            for (const char *l = log; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, list[i], len) == 0 && l[len] == ':')
                    stats_file_mark_damaged(st, list[i]);
        }
    }
out:
    capture_close(src);
    capture_free_paths(list, nlist);
    return rc;
}
