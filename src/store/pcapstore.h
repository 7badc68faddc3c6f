/*
 * pcapstore.h - the full-content writer: every packet into rotating pcap
 * files of the archive, each with its flow index (pcapindex.h has the
 * layout and the formats; docs/archive.md the whole story).
 *
 * One writer per DATA/sensor: pcapstore_open() takes a lock file
 * (DATA/sensor_data/<sensor>/.archive.lock), recovers any file a crash left
 * open (cut to its last whole packet, index rebuilt) and runs retention.
 * Packets are buffered (buf_size, default 8 MiB) and written with write(2)
 * in big sequential blocks; files rotate by size (default 1 GiB) and at
 * UTC midnight of the packets' time.  Not thread-safe: one caller.
 */
#ifndef VIGIL_STORE_PCAPSTORE_H
#define VIGIL_STORE_PCAPSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/packet.h"
#include "flow/flow.h"
#include "store/retention.h"

struct pcapstore_config {
    const char *data_dir;       /* DATA (pcapindex_data_dir()) */
    const char *sensor;         /* default "vigil" */
    uint64_t rotate_size;       /* bytes, default 1 GiB */
    size_t buf_size;            /* write buffer, default 8 MiB */
    bool compress_index;        /* deflate large session blocks of the .idx (default on) */
    bool quiet;                 /* no per-file lines on stderr */
    struct retention_config retention;
};

struct pcapstore_counters {
    uint64_t packets;           /* packets written */
    uint64_t bytes;             /* pcap bytes written (headers included) */
    uint64_t not_written;       /* packets not archived (disk full, write error) */
    uint64_t files_closed;
    uint64_t index_bytes;       /* .idx bytes of the closed files */
    uint64_t pcap_bytes_closed; /* pcap bytes of the closed files */
    uint64_t recovered;         /* files recovered at start */
    uint64_t recovered_cut;     /* bytes cut from them */
    struct retention_counters retention;
};

void pcapstore_config_default(struct pcapstore_config *cfg);

/* NULL with a sentence in err. */
struct pcapstore *pcapstore_open(const struct pcapstore_config *cfg, char *err, size_t errlen);

/* Archive one packet of sessions refs (n may be 0).  0, or <0 when it was
 * not written (counted; the reason went to stderr once). */
int pcapstore_write(struct pcapstore *s, const struct packet *pkt,
                    const struct flow_packet_refs *refs);

/* For pipeline_config.packet_sink: ctx is the pcapstore. */
void pcapstore_sink(void *ctx, const struct packet *pkt, const struct flow_packet_refs *refs);

/* Call about once a second: flushes the buffer and the journal of the open
 * file; runs retention every minute. */
void pcapstore_tick(struct pcapstore *s);

void pcapstore_counters(const struct pcapstore *s, struct pcapstore_counters *c);

/* The directory DATA/sensor_data/<sensor> (for state files). */
const char *pcapstore_sensor_dir(const struct pcapstore *s);

/* Close the open file (index written) now, so the counters are final;
 * packets written later open a new file.  0, or <0 with a sentence. */
int pcapstore_finish(struct pcapstore *s, char *err, size_t errlen);

/* Close the open file (index written) and free.  0, or <0 with a sentence. */
int pcapstore_close(struct pcapstore *s, char *err, size_t errlen);

#endif
