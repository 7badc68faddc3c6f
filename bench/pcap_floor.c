/*
 * pcap_floor.c - the read floor: the bare libpcap loop every benchmark in
 * bench/ is measured against.
 *
 * pcap_open_offline() then pcap_next_ex() until the end of the file, counting
 * packets and captured bytes, and nothing else: no decoding, no filter, no
 * output.  Whatever Vigil does per packet comes on top of this, so "% of the
 * floor" (floor CPU seconds / tool CPU seconds) is the share of the read cost
 * that is libpcap's own.  Built by bench/run.sh with `cc -O2 ... -lpcap`.
 *
 *   pcap_floor FILE     prints "packets <n> bytes <n> wire_bytes <n>"
 *
 * Exit codes: 0 ok, 1 the file could not be opened or is damaged, 2 usage.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t packets = 0, bytes = 0, wire = 0;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: pcap_floor FILE\n");
        return 2;
    }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "pcap_floor: %s: %s\n", argv[1], err);
        return 1;
    }
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        packets++;
        bytes += hdr->caplen;
        wire += hdr->len;
    }
    if (rc == -1) {
        fprintf(stderr, "pcap_floor: %s: %s (after %" PRIu64 " packets)\n", argv[1],
                pcap_geterr(p), packets);
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets %" PRIu64 " bytes %" PRIu64 " wire_bytes %" PRIu64 "\n", packets, bytes,
           wire);
    return 0;
}
