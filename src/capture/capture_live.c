/*
 * capture_live.c - the live packet source: one network interface through
 * libpcap.
 *
 * Owns: the pcap_t of the interface and its BPF program.  The handle is
 * made with pcap_create() and set up before pcap_activate(): full snaplen
 * (262144), a kernel buffer of opts->buffer_mb MiB (pcap_set_buffer_size),
 * promiscuous mode, nanosecond timestamps where the platform has them
 * (pcap_set_tstamp_precision; microseconds otherwise, converted), immediate
 * mode off with a read timeout so the kernel hands packets over in blocks.
 * On Linux libpcap uses a TPACKET_V3 memory-mapped ring by itself.
 * Drop counters come from pcap_stats() (ps_recv, ps_drop, ps_ifdrop).
 *
 * next() waits for a packet; a timeout with nothing captured is not the
 * end of input, so it loops.  pcap_breakloop() from a signal handler is
 * the way to stop it (next() then returns 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture/capture.h"

struct live_source {
    struct capture_source base;
    pcap_t *p;
    char *iface;
    int linktype;
    int nano; /* timestamps arrive in nanoseconds */
    struct bpf_program prog;
    int has_prog;
    uint64_t num;
    struct capture_stats st;
};

static int live_next(struct capture_source *src, struct packet *pkt)
{
    struct live_source *ls = (struct live_source *)src;
    struct pcap_pkthdr *h;
    const u_char *data;
    for (;;) {
        int rc = pcap_next_ex(ls->p, &h, &data);
        if (rc == 0)
            continue; /* read timeout, nothing captured yet */
        if (rc == PCAP_ERROR_BREAK)
            return 0;
        if (rc < 0) {
            snprintf(ls->base.err, sizeof(ls->base.err), "%s: capture failed: %s", ls->iface,
                     pcap_geterr(ls->p));
            return -1;
        }
        pkt->ts_sec = (int64_t)h->ts.tv_sec;
        pkt->ts_nsec = ls->nano ? (uint32_t)h->ts.tv_usec : (uint32_t)h->ts.tv_usec * 1000u;
        pkt->caplen = h->caplen;
        pkt->wirelen = h->len;
        pkt->linktype = ls->linktype;
        pkt->data = data;
        pkt->num = ++ls->num;
        pkt->origin = ls->iface;
        pkt->origin_offset = -1;
        pkt->flags = 0;
        pkt->n_layers = 0;
        pkt->n_anomalies = 0;
        ls->st.packets++;
        ls->st.bytes += h->caplen;
        ls->st.wire_bytes += h->len;
        return 1;
    }
}

static int live_stats(struct capture_source *src, struct capture_stats *st)
{
    struct live_source *ls = (struct live_source *)src;
    struct pcap_stat ps;
    if (pcap_stats(ls->p, &ps) == 0) {
        ls->st.ps_recv = ps.ps_recv;
        ls->st.ps_drop = ps.ps_drop;
        ls->st.ps_ifdrop = ps.ps_ifdrop;
    }
    *st = ls->st;
    return 0;
}

static void live_close(struct capture_source *src)
{
    struct live_source *ls = (struct live_source *)src;
    if (ls->has_prog)
        pcap_freecode(&ls->prog);
    if (ls->p)
        pcap_close(ls->p);
    free(ls->iface);
    free(ls);
}

static const struct capture_source_ops live_ops = {
    .name = "live",
    .next = live_next,
    .stats = live_stats,
    .close = live_close,
    .progress = NULL,
};

/* Set the handle up and activate it; -1 with a sentence in err on failure. */
static int live_activate(struct live_source *ls, const struct capture_live_opts *o, char *err,
                         size_t errlen)
{
    int snaplen = o && o->snaplen > 0 ? o->snaplen : 262144;
    int buffer_mb = o && o->buffer_mb > 0 ? o->buffer_mb : 64;
    int promisc = o ? o->promisc : 1;
    int timeout = o && o->timeout_ms > 0 ? o->timeout_ms : 100;
    pcap_set_snaplen(ls->p, snaplen);
    pcap_set_promisc(ls->p, promisc);
    pcap_set_timeout(ls->p, timeout);
    pcap_set_immediate_mode(ls->p, 0);
    pcap_set_buffer_size(ls->p, buffer_mb * 1024 * 1024);
    ls->nano = pcap_set_tstamp_precision(ls->p, PCAP_TSTAMP_PRECISION_NANO) == 0;
    int rc = pcap_activate(ls->p);
    if (rc < 0) {
        const char *why = pcap_statustostr(rc);
        if (rc == PCAP_ERROR || rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_NO_SUCH_DEVICE)
            why = pcap_geterr(ls->p);
        snprintf(err, errlen, "%s: cannot capture: %s%s", ls->iface, why,
                 rc == PCAP_ERROR_PERM_DENIED ? " (capturing needs root or CAP_NET_RAW)" : "");
        return -1;
    }
    if (ls->nano)
        ls->nano = pcap_get_tstamp_precision(ls->p) == PCAP_TSTAMP_PRECISION_NANO;
    ls->linktype = pcap_datalink(ls->p);
    return 0;
}

struct capture_source *capture_open_live(const char *iface, const struct capture_live_opts *opts,
                                         char *err, size_t errlen)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    struct live_source *ls = calloc(1, sizeof(*ls));
    if (!ls || !(ls->iface = strdup(iface))) {
        snprintf(err, errlen, "out of memory opening %s", iface);
        free(ls);
        return NULL;
    }
    ls->base.ops = &live_ops;
    ls->p = pcap_create(iface, ebuf);
    if (!ls->p) {
        snprintf(err, errlen, "%s: cannot open the interface: %s", iface, ebuf);
        live_close(&ls->base);
        return NULL;
    }
    if (live_activate(ls, opts, err, errlen) < 0) {
        live_close(&ls->base);
        return NULL;
    }
    if (opts && opts->bpf && opts->bpf[0]) {
        if (pcap_compile(ls->p, &ls->prog, opts->bpf, 1, PCAP_NETMASK_UNKNOWN) < 0 ||
            (ls->has_prog = 1, pcap_setfilter(ls->p, &ls->prog) < 0)) {
            snprintf(err, errlen, "%s: bad filter expression '%s': %s", iface, opts->bpf,
                     pcap_geterr(ls->p));
            live_close(&ls->base);
            return NULL;
        }
    }
    return &ls->base;
}

/* The live pcap_t, so a caller (pcap_breakloop from a signal handler) can stop next(). */
void *capture_live_handle(struct capture_source *src)
{
    if (!src || src->ops != &live_ops)
        return NULL;
    return ((struct live_source *)src)->p;
}
