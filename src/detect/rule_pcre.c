/*
 * rule_pcre.c - the pcre keyword: a Perl-compatible regular expression,
 * compiled with PCRE2 when the rule loads, and its modifier letters.
 *
 * Follows the Suricata rules reference ("pcre (Perl Compatible Regular
 * Expressions)").  Grammar:
 *
 *     pcre  := ["!"] '"' "/" REGEX "/" FLAG* '"'
 *     FLAG  := i s m x A E G              PCRE2 compile options
 *            | R                          relative to the previous match
 *            | O                          ignore the configured match limits
 *            | B                          rawbytes (accepted, no effect)
 *            | U I P Q H D M C S Y V W Z  inspect an HTTP buffer (below)
 *
 * The regex is handed to PCRE2 as written: Suricata passes '\;' and '\"'
 * through too, and PCRE2 reads them as the literal characters.  A buffer
 * flag and a sticky buffer in force are a conflict.  An unknown flag is
 * rejected, naming it.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule_int.h"

struct pcre_flag {
    char c;
    uint32_t option; /* PCRE2 compile option */
    uint8_t flag;    /* RULE_PCRE_* */
    int8_t buffer;   /* inspection buffer, -1 none */
};

static const struct pcre_flag pcre_flags[] = {
    {'i', PCRE2_CASELESS, 0, -1},
    {'s', PCRE2_DOTALL, 0, -1},
    {'m', PCRE2_MULTILINE, 0, -1},
    {'x', PCRE2_EXTENDED, 0, -1},
    {'A', PCRE2_ANCHORED, 0, -1},
    {'E', PCRE2_DOLLAR_ENDONLY, 0, -1},
    {'G', PCRE2_UNGREEDY, 0, -1},
    {'R', 0, RULE_PCRE_RELATIVE, -1},
    {'O', 0, RULE_PCRE_NO_LIMITS, -1},
    {'B', 0, RULE_PCRE_RAWBYTES, -1},
    {'U', 0, 0, RULE_BUF_HTTP_URI},
    {'I', 0, 0, RULE_BUF_HTTP_URI_RAW},
    {'P', 0, 0, RULE_BUF_HTTP_REQUEST_BODY},
    {'Q', 0, 0, RULE_BUF_FILE_DATA},
    {'H', 0, 0, RULE_BUF_HTTP_HEADER},
    {'D', 0, 0, RULE_BUF_HTTP_HEADER_RAW},
    {'M', 0, 0, RULE_BUF_HTTP_METHOD},
    {'C', 0, 0, RULE_BUF_HTTP_COOKIE},
    {'S', 0, 0, RULE_BUF_HTTP_STAT_CODE},
    {'Y', 0, 0, RULE_BUF_HTTP_STAT_MSG},
    {'V', 0, 0, RULE_BUF_HTTP_USER_AGENT},
    {'W', 0, 0, RULE_BUF_HTTP_HOST},
    {'Z', 0, 0, RULE_BUF_HTTP_HOST_RAW},
};

static const struct pcre_flag *pcre_flag_find(char c)
{
    for (size_t i = 0; i < sizeof pcre_flags / sizeof pcre_flags[0]; i++)
        if (pcre_flags[i].c == c)
            return &pcre_flags[i];
    return NULL;
}

static int pcre_flags_parse(struct rule_pctx *p, const char *f, struct rule_pcre *pc, int *buf)
{
    *buf = -1;
    for (; *f; f++) {
        const struct pcre_flag *fl = pcre_flag_find(*f);
        if (!fl)
            return rule_fail(p, RULE_ERR_INVALID, "unknown modifier '%c'", *f);
        if (fl->buffer >= 0) {
            if (*buf >= 0 && *buf != fl->buffer)
                return rule_fail(p, RULE_ERR_INVALID, "modifiers name two buffers ('%c')", *f);
            *buf = fl->buffer;
        }
        pc->options |= fl->option;
        pc->flags |= fl->flag;
    }
    return 0;
}

static int pcre_compile_into(struct rule_pctx *p, struct rule_pcre *pc)
{
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)pc->pattern, PCRE2_ZERO_TERMINATED, pc->options,
                                     &errcode, &erroff, NULL);
    if (!code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        return rule_fail(p, RULE_ERR_INVALID, "regex does not compile at offset %zu: %s",
                         (size_t)erroff, (const char *)msg);
    }
    pc->code = code;
    return 0;
}

int rule_kw_pcre(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule_pcre pc;
    memset(&pc, 0, sizeof pc);
    if (rule_take_neg(&val))
        pc.flags |= RULE_PCRE_NEGATED;
    size_t n = strlen(val);
    if (n < 4 || val[0] != '"' || val[n - 1] != '"' || val[1] != '/')
        return rule_fail(p, RULE_ERR_INVALID, "value must be \"/regex/flags\"");
    val[n - 1] = '\0';
    char *re = val + 2;
    char *last = strrchr(re, '/');
    if (!last)
        return rule_fail(p, RULE_ERR_INVALID, "regex has no closing '/'");
    *last = '\0';
    int buf;
    if (pcre_flags_parse(p, last + 1, &pc, &buf) < 0)
        return -1;
    if (buf == RULE_BUF_FILE_DATA && p->cur_buf == RULE_BUF_HTTP_RESPONSE_BODY)
        buf = p->cur_buf; /* Q: the body, as file.data is for HTTP */
    if (buf >= 0 && p->sticky_set && buf != p->cur_buf)
        return rule_fail(p, RULE_ERR_INVALID, "a buffer modifier cannot follow the sticky buffer %s",
                         rule_buffer_name((unsigned)p->cur_buf));
    if (buf < 0)
        buf = p->cur_buf;
    else if (rule_buffer_check_proto(p, buf) < 0)
        return -1;
    if ((pc.flags & RULE_PCRE_RELATIVE) && p->last_rel_list >= 0 &&
        p->r->bufs[p->last_rel_list].buffer != buf)
        return rule_fail(p, RULE_ERR_INVALID,
                         "'R' is relative to a match in another buffer (%s)",
                         rule_buffer_name(p->r->bufs[p->last_rel_list].buffer));
    pc.pattern = rule_strndup(re, strlen(re));
    if (!pc.pattern)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    if (pcre_compile_into(p, &pc) < 0) {
        free(pc.pattern);
        return -1;
    }
    int li;
    struct rule_elem *el = rule_elem_add(p, buf, &li, NULL);
    if (!el) {
        rule_pcre_free(&pc);
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    }
    el->kind = RULE_ELEM_PCRE;
    el->u.pcre = pc;
    p->last_rel_list = li;
    return 0;
}

void rule_pcre_free(struct rule_pcre *pc)
{
    pcre2_code_free((pcre2_code *)pc->code);
    free(pc->pattern);
    pc->code = NULL;
    pc->pattern = NULL;
}
