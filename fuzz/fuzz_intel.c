/*
 * fuzz_intel.c - libFuzzer harness for the intel file loaders
 * (src/detect/intel_load.c): the input is the text of one intel file, read
 * once as a Zeek intel file (name "fuzz.intel": #fields header, tab
 * columns) and once as a JA3 CSV list (name "fuzz.csv": quoted fields
 * across lines, comments), then every loaded string is looked up again,
 * and addresses from the input's first bytes are looked up for the
 * ADDR/SUBNET paths.  Any crash, leak, hang or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/intel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 262144)
        return 0;
    static const char *const names[2] = {"fuzz.intel", "fuzz.csv"};
    for (int k = 0; k < 2; k++) {
        struct intel_store *st = intel_store_new();
        if (!st)
            return 0;
        struct intel_load_report rep;
        intel_load_text(st, names[k], (const char *)data, size, &rep);
        struct intel_match m;
        for (int t = 0; t < INTEL_N_TYPES; t++)
            (void)intel_lookup_str(st, (enum intel_type)t, (const char *)data,
                                   size < 200 ? size : 200, &m);
        struct raddr a = {.family = 4};
        memcpy(a.a, data, size < 16 ? size : 16);
        (void)intel_lookup_addr(st, &a, &m);
        a.family = 6;
        (void)intel_lookup_addr(st, &a, &m);
        intel_store_free(st);
    }
    return 0;
}
