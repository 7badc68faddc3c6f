/*
 * fuzz_capture.c - libFuzzer harness for the capture file reader
 * (src/capture/capture_file.c): vigil's own parse of plain pcap records,
 * its hand-over to libpcap at the first record it does not take, libpcap's
 * pcapng/swapped/old formats, and the merge of several files by time.
 *
 * Input: byte 0 says how many files (1 + bit 0) and whether a BPF filter
 * is set (bit 1); with two files, bytes 1-2 (big-endian) say where the
 * rest is split.  Each file's bytes are written to a memfd (a regular
 * file, as the reader wants for its own parse) and opened by its
 * /proc/self/fd path.  Every packet's bytes are read back so the
 * sanitizers see reads past what the reader handed out; an open that
 * fails or a read error is a normal outcome.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/capture.h"
#include "core/cursor.h"

static int file_of(const uint8_t *p, size_t n, char *path, size_t len)
{
    int fd = memfd_create("fuzz-capture", 0);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < n) {
        ssize_t k = write(fd, p + off, n - off);
        if (k <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)k;
    }
    snprintf(path, len, "/proc/self/fd/%d", fd);
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cursor c;
    uint8_t sel = 0;
    uint16_t split = 0;
    cursor_init(&c, data, size);
    if (cursor_u8(&c, &sel) < 0)
        return 0;
    int nfiles = 1 + (sel & 1);
    if (nfiles == 2 && cursor_u16be(&c, &split) < 0)
        return 0;
    const uint8_t *rest = NULL;
    size_t left = cursor_left(&c);
    cursor_ptr(&c, left, &rest);
    size_t cut = nfiles == 2 && split < left ? split : left;
    char paths[2][64];
    const char *pv[2] = {paths[0], paths[1]};
    int fds[2] = {-1, -1};
    fds[0] = file_of(rest, cut, paths[0], sizeof(paths[0]));
    if (nfiles == 2)
        fds[1] = file_of(rest + cut, left - cut, paths[1], sizeof(paths[1]));
    if (fds[0] < 0 || (nfiles == 2 && fds[1] < 0))
        goto out;
    struct capture_file_opts fo = {.bpf = (sel & 2) ? "tcp or udp" : NULL};
    char err[512];
    struct capture_source *src = capture_open_files(pv, nfiles, &fo, err, sizeof(err));
    if (src) {
        struct packet pkt;
        volatile unsigned sink = 0;
        for (int n = 0; n < 4096; n++) {
            memset(&pkt, 0, sizeof(pkt));
            if (capture_next(src, &pkt) <= 0)
                break;
            for (uint32_t i = 0; i < pkt.caplen; i++)
                sink += pkt.data[i];
        }
        (void)sink;
        uint64_t d, t;
        capture_progress(src, &d, &t);
        capture_close(src);
    }
out:
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return 0;
}
