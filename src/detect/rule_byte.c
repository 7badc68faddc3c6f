/*
 * rule_byte.c - byte_test, byte_jump, byte_extract, isdataat, bsize,
 * base64_decode and asn1: the payload keywords that read numbers,
 * positions or structures out of the inspected buffer.
 *
 * Follows the Suricata rules reference ("Payload keywords").  Grammars:
 *
 *     byte_test    := N "," ["!"] OP "," VALUE "," OFFSET ("," OPT)*
 *     byte_jump    := N "," OFFSET ("," OPT)*
 *     byte_extract := N "," OFFSET "," NAME ("," OPT)*
 *     OP  := < > = <= >= & ^ !=
 *     OPT := relative | big | little | dce | string | hex | dec | oct
 *          | align | align N | from_beginning | from_end | multiplier N
 *          | post_offset N | bitmask N
 *     isdataat := ["!"] (N | VAR) ["," relative] ["," rawbytes]
 *     bsize    := comparison (see rule_util.c)
 *     base64_decode := [bytes N] ["," offset N] ["," relative]
 *     asn1 := CHECK ("," CHECK | "," absolute_offset N | "," relative_offset [-]N)*
 *     CHECK := bitstring_overflow | double_overflow | oversize_length N
 *
 * VALUE and OFFSET may name a byte_extract variable defined earlier in the
 * rule.  Numbers read as binary are at most 8 bytes, as text at most 23.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/rule_int.h"

static int byte_op(const char *s, struct rule_byte *b)
{
    static const char *const ops[] = {"<", ">", "=", "<=", ">=", "&", "^"};
    if (*s == '!') {
        b->flags |= RULE_BYTE_NEGATE;
        s++;
        if (*s == '=' && s[1] == '\0') { /* "!=" */
            b->op = RULE_BOP_EQ;
            return 0;
        }
    }
    for (int i = 0; i < 7; i++)
        if (strcmp(s, ops[i]) == 0) {
            b->op = (uint8_t)i;
            return 0;
        }
    return -1;
}

/* One option word of byte_test/jump/extract. */
static int byte_opt(struct rule_pctx *p, int kind, char *o, struct rule_byte *b)
{
    char *sp = strchr(o, ' ');
    char *arg = NULL;
    if (sp) {
        *sp = '\0';
        arg = rule_trim(sp + 1);
    }
    static const struct {
        const char *w;
        uint16_t bit;
    } words[] = {{"relative", RULE_BYTE_RELATIVE}, {"little", RULE_BYTE_LITTLE},
                 {"big", RULE_BYTE_BIG},           {"string", RULE_BYTE_STRING},
                 {"dce", RULE_BYTE_DCE},           {"from_beginning", RULE_BYTE_FROM_BEGIN},
                 {"from_end", RULE_BYTE_FROM_END}};
    for (size_t i = 0; i < sizeof words / sizeof words[0] && !arg; i++)
        if (strcmp(o, words[i].w) == 0) {
            if (b->flags & words[i].bit)
                return rule_fail(p, RULE_ERR_INVALID, "'%s' given twice", o);
            b->flags |= words[i].bit;
            return 0;
        }
    if (!arg && (strcmp(o, "hex") == 0 || strcmp(o, "dec") == 0 || strcmp(o, "oct") == 0)) {
        b->base = o[0] == 'h' ? 16 : o[0] == 'd' ? 10 : 8;
        return 0;
    }
    if (strcmp(o, "align") == 0 && kind != RULE_ELEM_BYTE_TEST) {
        b->flags |= RULE_BYTE_ALIGN;
        b->align = 4;
        if (arg && (rule_parse_u32(arg, 4, &b->align) < 0 || (b->align != 2 && b->align != 4)))
            return rule_fail(p, RULE_ERR_INVALID, "align must be 2 or 4");
        return 0;
    }
    if (arg && strcmp(o, "multiplier") == 0 && kind != RULE_ELEM_BYTE_TEST) {
        if (rule_parse_i32(arg, &b->multiplier) < 0 || b->multiplier <= 0 ||
            b->multiplier > 65535)
            return rule_fail(p, RULE_ERR_INVALID, "multiplier must be 1 to 65535");
        return 0;
    }
    if (arg && strcmp(o, "post_offset") == 0 && kind == RULE_ELEM_BYTE_JUMP) {
        if (rule_parse_i32(arg, &b->post_offset) < 0)
            return rule_fail(p, RULE_ERR_INVALID, "post_offset must be a number");
        return 0;
    }
    if (arg && strcmp(o, "bitmask") == 0) {
        if (rule_parse_u32(arg, 0xffffffffu, &b->bitmask) < 0 || b->bitmask == 0)
            return rule_fail(p, RULE_ERR_INVALID, "bitmask must be a non-zero number");
        b->flags |= RULE_BYTE_BITMASK;
        return 0;
    }
    return rule_fail(p, RULE_ERR_INVALID, "unknown option '%.30s'", o);
}

static int byte_var_define(struct rule_pctx *p, const char *name, struct rule_byte *b)
{
    if (!rule_valid_name(name) || strpbrk(name, "|&:/.") || (name[0] >= '0' && name[0] <= '9'))
        return rule_fail(p, RULE_ERR_INVALID, "bad variable name '%.40s'", name);
    for (uint32_t i = 0; i < p->n_byte_vars; i++)
        if (strcmp(p->byte_vars[i], name) == 0)
            return rule_fail(p, RULE_ERR_INVALID, "variable '%.40s' defined twice", name);
    if (p->n_byte_vars >= RULE_BYTE_VARS_MAX)
        return rule_fail(p, RULE_ERR_INVALID, "more than %d variables", RULE_BYTE_VARS_MAX);
    /* rule_valid_name: shorter than RULE_NAME_MAX */
    memcpy(p->byte_vars[p->n_byte_vars], name, strlen(name) + 1);
    b->var = (int8_t)p->n_byte_vars++;
    return 0;
}

static int byte_check(struct rule_pctx *p, struct rule_byte *b)
{
    uint16_t f = b->flags;
    if ((f & RULE_BYTE_LITTLE) && (f & RULE_BYTE_BIG))
        return rule_fail(p, RULE_ERR_INVALID, "big and little contradict");
    if ((f & RULE_BYTE_FROM_BEGIN) && (f & RULE_BYTE_FROM_END))
        return rule_fail(p, RULE_ERR_INVALID, "from_beginning and from_end contradict");
    if (b->base && !(f & RULE_BYTE_STRING))
        return rule_fail(p, RULE_ERR_INVALID, "hex/dec/oct need 'string'");
    if (b->nbytes == 0 && (!(f & RULE_BYTE_STRING) || b->var >= 0))
        return rule_fail(p, RULE_ERR_INVALID, "reads 0 bytes");
    if (f & RULE_BYTE_STRING) {
        if (!b->base)
            b->base = 10;
        if (b->nbytes > 23)
            return rule_fail(p, RULE_ERR_INVALID, "at most 23 bytes are read as a string");
        if (f & (RULE_BYTE_LITTLE | RULE_BYTE_BIG | RULE_BYTE_DCE))
            return rule_fail(p, RULE_ERR_INVALID, "string cannot take an endianness");
    } else if (b->nbytes > 8) {
        return rule_fail(p, RULE_ERR_INVALID, "at most 8 bytes are read as a binary number");
    }
    return 0;
}

int rule_kw_byte(struct rule_pctx *p, char *val, int kind)
{
    char *parts[16];
    int n = rule_split(val, ',', parts, 16);
    int fixed = kind == RULE_ELEM_BYTE_JUMP ? 2 : (kind == RULE_ELEM_BYTE_TEST ? 4 : 3);
    if (n < fixed)
        return rule_fail(p, RULE_ERR_INVALID, "needs at least %d fields", fixed);
    struct rule_byte b;
    memset(&b, 0, sizeof b);
    b.var = -1;
    b.value.var = b.offset.var = -1;
    uint32_t nb;
    /* 0 bytes is accepted with 'string' (checked below) as Suricata does;
     * such a test reads nothing and never matches. */
    if (rule_parse_u32(parts[0], 255, &nb) < 0)
        return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not a byte count", parts[0]);
    b.nbytes = (uint8_t)nb;
    int off_i = 1;
    if (kind == RULE_ELEM_BYTE_TEST) {
        if (byte_op(parts[1], &b) < 0)
            return rule_fail(p, RULE_ERR_INVALID, "'%.10s' is not an operator", parts[1]);
        uint64_t v;
        if (rule_parse_u64(parts[2], UINT64_MAX, &v) == 0)
            b.value.v = (int32_t)(v > 0x7fffffff ? 0x7fffffff : v), b.value.var = -1;
        else if (rule_parse_pos(p, parts[2], &b.value) < 0)
            return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not a value", parts[2]);
        off_i = 3;
    }
    if (rule_parse_pos(p, parts[off_i], &b.offset) < 0)
        return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not an offset", parts[off_i]);
    for (int i = fixed; i < n; i++)
        if (byte_opt(p, kind, parts[i], &b) < 0)
            return -1;
    if (byte_check(p, &b) < 0)
        return -1;
    if (kind == RULE_ELEM_BYTE_EXTRACT && byte_var_define(p, parts[2], &b) < 0)
        return -1;
    int li;
    struct rule_elem *el = rule_elem_add(p, p->cur_buf, &li, NULL);
    if (!el)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    el->kind = (uint8_t)kind;
    el->u.byte = b;
    p->last_rel_list = li;
    return 0;
}

int rule_kw_isdataat(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule_isdataat d;
    memset(&d, 0, sizeof d);
    d.negated = (uint8_t)rule_take_neg(&val);
    char *parts[4];
    int n = rule_split(val, ',', parts, 3);
    if (n < 1 || rule_parse_pos(p, parts[0], &d.pos) < 0 || (d.pos.var < 0 && d.pos.v < 0))
        return rule_fail(p, RULE_ERR_INVALID, "expected '[!]N[,relative][,rawbytes]'");
    for (int i = 1; i < n; i++) {
        if (strcmp(parts[i], "relative") == 0 && !d.relative)
            d.relative = 1;
        else if (strcmp(parts[i], "rawbytes") == 0 && !d.rawbytes)
            d.rawbytes = 1;
        else
            return rule_fail(p, RULE_ERR_INVALID, "unknown or repeated option '%.20s'", parts[i]);
    }
    struct rule_elem *el = rule_elem_add(p, p->cur_buf, NULL, NULL);
    if (!el)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    el->kind = RULE_ELEM_ISDATAAT;
    el->u.isdataat = d;
    return 0;
}

int rule_kw_bsize(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    if (!p->sticky_set || p->cur_buf == RULE_BUF_PKT)
        return rule_fail(p, RULE_ERR_INVALID, "needs a sticky buffer before it");
    struct rule_num num;
    if (rule_parse_num(val, 0xffffffffu, &num) < 0)
        return rule_fail(p, RULE_ERR_INVALID, "'%.40s' is not a size, comparison or range", val);
    struct rule_elem *el = rule_elem_add(p, p->cur_buf, NULL, NULL);
    if (!el)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    el->kind = RULE_ELEM_BSIZE;
    el->u.bsize = num;
    return 0;
}

int rule_kw_base64_decode(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule_b64 b = {0};
    char *parts[4];
    int n = *val ? rule_split(val, ',', parts, 3) : 0;
    if (n < 0)
        return rule_fail(p, RULE_ERR_INVALID, "too many options");
    for (int i = 0; i < n; i++) {
        char *sp = strchr(parts[i], ' ');
        if (strcmp(parts[i], "relative") == 0)
            b.relative = 1;
        else if (sp && strncmp(parts[i], "bytes ", 6) == 0 &&
                 rule_parse_u32(sp + 1, 0xffffffffu, &b.bytes) == 0 && b.bytes > 0)
            continue;
        else if (sp && strncmp(parts[i], "offset ", 7) == 0 &&
                 rule_parse_u32(sp + 1, 0xffffffffu, &b.offset) == 0)
            continue;
        else
            return rule_fail(p, RULE_ERR_INVALID, "unknown option '%.30s'", parts[i]);
    }
    struct rule_elem *el = rule_elem_add(p, p->cur_buf, NULL, NULL);
    if (!el)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    el->kind = RULE_ELEM_BASE64_DECODE;
    el->u.b64 = b;
    return 0;
}

/* asn1: at least one check; absolute_offset (0..65535) and relative_offset
 * (-65535..65535) exclude each other, as in Suricata; each option once. */
int rule_kw_asn1(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule_asn1 a = {0};
    char *parts[6];
    int n = rule_split(val, ',', parts, 5);
    if (n < 0)
        return rule_fail(p, RULE_ERR_INVALID, "too many options");
    for (int i = 0; i < n; i++) {
        char *sp = strchr(parts[i], ' ');
        size_t klen = sp ? (size_t)(sp - parts[i]) : strlen(parts[i]);
        uint8_t f = 0;
        uint32_t u = 0;
        int32_t v = 0;
        if (!sp && strcmp(parts[i], "bitstring_overflow") == 0)
            f = RULE_ASN1_BITSTRING;
        else if (!sp && strcmp(parts[i], "double_overflow") == 0)
            f = RULE_ASN1_DOUBLE;
        else if (sp && klen == 15 && strncmp(parts[i], "oversize_length", 15) == 0 &&
                 rule_parse_u32(sp + 1, 0xffffffffu, &u) == 0)
            f = RULE_ASN1_OVERSIZE, a.oversize = u;
        else if (sp && klen == 15 && strncmp(parts[i], "absolute_offset", 15) == 0 &&
                 rule_parse_u32(sp + 1, 65535, &u) == 0)
            f = RULE_ASN1_ABSOLUTE, a.offset = (int32_t)u;
        else if (sp && klen == 15 && strncmp(parts[i], "relative_offset", 15) == 0 &&
                 rule_parse_i32(sp + 1, &v) == 0 && v >= -65535 && v <= 65535)
            f = RULE_ASN1_RELATIVE, a.offset = v;
        else
            return rule_fail(p, RULE_ERR_INVALID, "unknown option or bad number '%.30s'",
                             parts[i]);
        if (a.flags & f)
            return rule_fail(p, RULE_ERR_INVALID, "repeated option '%.30s'", parts[i]);
        a.flags |= f;
    }
    if ((a.flags & RULE_ASN1_ABSOLUTE) && (a.flags & RULE_ASN1_RELATIVE))
        return rule_fail(p, RULE_ERR_INVALID, "absolute_offset and relative_offset exclude each other");
    if (!(a.flags & (RULE_ASN1_BITSTRING | RULE_ASN1_DOUBLE | RULE_ASN1_OVERSIZE)))
        return rule_fail(p, RULE_ERR_INVALID,
                         "no check (bitstring_overflow, double_overflow, oversize_length N)");
    struct rule_elem *el = rule_elem_add(p, p->cur_buf, NULL, NULL);
    if (!el)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    el->kind = RULE_ELEM_ASN1;
    el->u.asn1 = a;
    return 0;
}
