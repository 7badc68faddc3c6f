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
 *   pcap_floor FILE             prints "packets <n> bytes <n> wire_bytes <n>"
 *   pcap_floor -b BYTES FILE    the same through pcap_fopen_offline() on a
 *                               stdio stream with a BYTES-sized buffer
 *
 * The second form is not the floor but shows what the stream buffer costs:
 * pcap_open_offline() reads through a default stdio buffer (st_blksize, 4 KiB
 * here), one read(2) per 4 KiB; a reader that hands libpcap its own stream
 * with a large buffer makes far fewer system calls and can beat the floor.
 *
 * Exit codes: 0 ok, 1 the file could not be opened or is damaged, 2 usage.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    char err[PCAP_ERRBUF_SIZE];
    struct pcap_pkthdr *hdr;
    const u_char *data;
    uint64_t packets = 0, bytes = 0, wire = 0;
    int rc;

    const char *path = argv[1];
    long bufsize = 0;
    pcap_t *p;

    if (argc == 4 && argv[1][0] == '-' && argv[1][1] == 'b' && argv[1][2] == '\0') {
        char *end;
        bufsize = strtol(argv[2], &end, 10);
        if (*end || bufsize <= 0 || bufsize > (1L << 30))
            bufsize = -1;
        path = argv[3];
    } else if (argc != 2) {
        bufsize = -1;
    }
    if (bufsize < 0) {
        fprintf(stderr, "usage: pcap_floor [-b BUFFER_BYTES] FILE\n");
        return 2;
    }
    if (bufsize == 0) {
        p = pcap_open_offline(path, err);
    } else {
        /* glibc ignores the size when setvbuf() is not given a buffer */
        static char *buf;
        FILE *f = fopen(path, "rb");
        if (!f || !(buf = malloc((size_t)bufsize)) ||
            setvbuf(f, buf, _IOFBF, (size_t)bufsize) != 0) {
            perror(path);
            return 1;
        }
        p = pcap_fopen_offline(f, err); /* pcap_close() closes f */
        if (!p)
            fclose(f);
    }
    if (!p) {
        fprintf(stderr, "pcap_floor: %s: %s\n", path, err);
        return 1;
    }
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        packets++;
        bytes += hdr->caplen;
        wire += hdr->len;
    }
    if (rc == -1) {
        fprintf(stderr, "pcap_floor: %s: %s (after %" PRIu64 " packets)\n", path,
                pcap_geterr(p), packets);
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets %" PRIu64 " bytes %" PRIu64 " wire_bytes %" PRIu64 "\n", packets, bytes,
           wire);
    return 0;
}
