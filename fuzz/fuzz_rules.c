/*
 * fuzz_rules.c - libFuzzer harness for the Suricata rule parser: the input
 * is the text of one rule (continuation lines allowed), loaded through
 * ruleset_load_text() with the default variables and a small
 * classification table, so the header, option splitter, every keyword
 * parser and PCRE2 compilation see hostile text.  Any crash, leak, hang or
 * sanitizer report is a bug in src/detect.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ruleset rs;
    if (size > 65536 || ruleset_init(&rs) < 0)
        return 0;
    ruleset_load_text(&rs, "fuzz.rules", (const char *)data, size);
    for (size_t i = 0; i < rs.n; i++) {
        const struct rule *r = rs.rules[i];
        uint8_t a4[4] = {10, 0, 0, 1};
        (void)rule_addr_set_match(&r->src, 4, a4);
        (void)rule_port_set_match(&r->dport, 80);
    }
    ruleset_free(&rs);
    return 0;
}
