/*
 * hugepages.c - analyze, capture, ingest and extract run with glibc's
 * malloc on transparent huge pages (cli.h cli_malloc_hugepages,
 * docs/alerts.md "Rules cache"; extract: docs/extract.md, 13,800 -> 3,500
 * page faults on the benchmark workload).
 *
 * Loading Emerging Threats Open touches about 100 MB of small allocations
 * (24,800 parsed rules, their options, the engine's tables): with 4 KiB
 * pages that was 26,000 page faults, a third of the CPU of a run that
 * reads no packet, and TLB misses after.  glibc can put its heap on
 * transparent huge pages (madvise(MADV_HUGEPAGE), where the kernel's THP
 * mode is "madvise" or "always"), but only through the GLIBC_TUNABLES
 * variable read at process start: so the command re-executes itself once
 * with glibc.malloc.hugetlb=1 added.  Measured on ET Open, empty pcap:
 * 26,000 -> 2,600 page faults, 0.79 -> 0.49 CPU s; workload-small with
 * rules 1.95 -> 1.65 CPU s, peak RSS 183 -> 203 MB.
 *
 * With huge pages, glibc's default of returning memory early costs more:
 * an allocation above the dynamic mmap threshold (128 KiB at first) is its
 * own mmap, and the heap's top is trimmed when 128 KiB are free at its end,
 * so a file rule's copy of a body or a file buffer that comes and goes
 * faults a fresh 2 MiB page in, which the kernel zeroes, each time (8% of
 * a run with ET Open on the workload was clear_page under sysmalloc).  The
 * re-executed process therefore also gets glibc.malloc.mmap_threshold=32 MiB
 * and glibc.malloc.trim_threshold=64 MiB: the workload with ET Open 3,500
 * -> 1,400-2,000 page faults, system CPU 0.44-0.70 -> 0.28-0.43 s;
 * extract 3,000-3,600 -> 900-1,200 faults, 1.35 -> 1.26 CPU s (best of 3).
 * The heap still shrinks once 64 MiB at its top are free.
 *
 * Only for a run given rules (-S, --rules), and for every `vigil extract`
 * (its file buffers and content cache: 13,800 -> 3,500 faults, 1.91 ->
 * 1.48 CPU s best of 3 on the workload).  Not done when VIGIL_HUGEPAGES is set (0 turns it off; the re-executed
 * process has it set to 1), when GLIBC_TUNABLES names hugetlb already,
 * for a secure-execution (setuid/capabilities) process, or under
 * AddressSanitizer (its own allocator).  A failed exec carries on as is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "cli/cli.h"

#define HUGE_TUNABLES                                                                           \
    "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:"                              \
    "glibc.malloc.trim_threshold=67108864"

/* Rules on the command line (-S, also inside a cluster like -qS, or
 * --rules): the runs whose ~100 MB of small allocations this is for.
 * Without rules a run allocates a few tens of MB and gains nothing
 * measurable, and its peak RSS (the flow-table memory figures of
 * bench/README.md) stays on 4 KiB pages. */
static int given_rules(char **argv) __attribute__((unused)); /* (not under ASan) */
static int given_rules(char **argv)
{
    for (char **a = argv + 1; *a; a++) {
        if (strcmp(*a, "--") == 0)
            return 0;
        if (strcmp(*a, "--rules") == 0 || strncmp(*a, "--rules=", 8) == 0)
            return 1;
        if ((*a)[0] == '-' && (*a)[1] != '-' && strchr(*a, 'S'))
            return 1;
    }
    return 0;
}

void cli_malloc_hugepages(char **argv)
{
#if defined(__SANITIZE_ADDRESS__)
    (void)argv;
#else
    if (!given_rules(argv) && strcmp(argv[1], "extract") != 0)
        return;
    const char *tun = getenv("GLIBC_TUNABLES");
    char exe[4096], val[2048];
    if (getenv("VIGIL_HUGEPAGES") || getauxval(AT_SECURE) ||
        (tun && strstr(tun, "glibc.malloc.hugetlb")))
        return;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return;
    exe[n] = '\0';
    int w = snprintf(val, sizeof(val), "%s%s" HUGE_TUNABLES, tun ? tun : "",
                     tun && *tun ? ":" : "");
    if (w < 0 || (size_t)w >= sizeof(val) || setenv("GLIBC_TUNABLES", val, 1) < 0 ||
        setenv("VIGIL_HUGEPAGES", "1", 1) < 0)
        return;
    execv(exe, argv);
    /* not re-executed: carry on with 4 KiB pages */
#endif
}
