/*
 * match.c - full evaluation of one rule's detection elements on one
 * inspection buffer, as Suricata's content inspection does it
 * (detect-engine-content-inspection: "Payload keywords" of the Suricata
 * rules reference).
 *
 * Elements run in rule order over a cursor: the end of the last match
 * (content, pcre) or the position a byte_jump/byte_extract left.  A
 * relative element (distance/within, pcre /R, byte_* relative,
 * isdataat relative) is placed from the cursor; an absolute one from the
 * start of the buffer.  When an element after a content or pcre fails and
 * a later element depends on the cursor, the content/pcre is retried at
 * its next occurrence (backtracking), under a step budget so a hostile
 * buffer cannot make one rule cost more than DETECT_MATCH_STEPS element
 * evaluations.  Negated contents and pcres never move the cursor.
 *
 *   content window:  absolute  [offset, offset+depth)
 *                    relative  [cur+distance, cur+distance+within)
 *                    startswith [0, len)  endswith: the match ends at len
 *
 * Transforms (to_lowercase, strip_whitespace, to_sha256, ...) are applied
 * to a copy of the buffer before the list is evaluated (match_xform).
 * base64_decode decodes from the cursor (relative) or an offset and runs
 * the rule's base64_data list on the result (match_b64; OpenSSL decodes).
 * asn1 decodes BER objects from an offset and checks each (asn1_ok).
 * Owns nothing but the PCRE2 match data kept in struct detect_match.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <openssl/evp.h>
#include <pcre2.h>

#include "core/cursor.h"
#include "detect/engine.h"

#define DETECT_MATCH_STEPS 3000     /* element evaluations per list (Suricata: 3000) */
#define DETECT_PCRE_MATCH_LIMIT 3500 /* pcre2 match limit (Suricata's default) */
#define DETECT_PCRE_RECURSION 1500

int detect_match_init(struct detect_match *m)
{
    memset(m, 0, sizeof(*m));
    m->md = pcre2_match_data_create(32, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    if (!m->md || !m->mctx) {
        detect_match_free(m);
        return -1;
    }
    pcre2_set_match_limit(m->mctx, DETECT_PCRE_MATCH_LIMIT);
    pcre2_set_depth_limit(m->mctx, DETECT_PCRE_RECURSION);
    return 0;
}

void detect_match_free(struct detect_match *m)
{
    if (m->md)
        pcre2_match_data_free(m->md);
    if (m->mctx)
        pcre2_match_context_free(m->mctx);
    free(m->xbuf);
    free(m->b64buf);
    memset(m, 0, sizeof(*m));
}

static int64_t pos_val(const struct detect_match *m, const struct rule_pos *p)
{
    if (p->var >= 0 && p->var < RULE_BYTE_VARS_MAX)
        return m->vars[p->var];
    return p->v;
}

/* First occurrence of pat (plen) in b[start, end) such that the match ends by end. */
static int64_t find_bytes(const uint8_t *b, int64_t start, int64_t end, const uint8_t *pat,
                          uint32_t plen, int nocase)
{
    if (plen == 0)
        return start <= end ? start : -1;
    for (int64_t i = start; i + plen <= end; i++) {
        if (nocase) {
            if (tolower(b[i]) != tolower(pat[0]))
                continue;
            uint32_t k = 1;
            while (k < plen && tolower(b[i + k]) == tolower(pat[k]))
                k++;
            if (k == plen)
                return i;
        } else {
            const uint8_t *hit = memchr(b + i, pat[0], (size_t)(end - plen - i + 1));
            if (!hit)
                return -1;
            i = hit - b;
            if (memcmp(b + i, pat, plen) == 0)
                return i;
        }
    }
    return -1;
}

/* Does any element from i on depend on the cursor? (backtracking helps then) */
static int rest_is_relative(const struct rule_elem *e, uint32_t n, uint32_t i)
{
    for (; i < n; i++) {
        switch (e[i].kind) {
        case RULE_ELEM_CONTENT:
            if (e[i].u.content.flags & (RULE_CONTENT_DISTANCE | RULE_CONTENT_WITHIN))
                return 1;
            break;
        case RULE_ELEM_PCRE:
            if (e[i].u.pcre.flags & RULE_PCRE_RELATIVE)
                return 1;
            break;
        case RULE_ELEM_BYTE_TEST:
        case RULE_ELEM_BYTE_JUMP:
        case RULE_ELEM_BYTE_EXTRACT:
            if (e[i].u.byte.flags & RULE_BYTE_RELATIVE)
                return 1;
            break;
        case RULE_ELEM_ISDATAAT:
            if (e[i].u.isdataat.relative)
                return 1;
            break;
        case RULE_ELEM_BASE64_DECODE:
            if (e[i].u.b64.relative)
                return 1;
            break;
        case RULE_ELEM_ASN1:
            if (e[i].u.asn1.flags & RULE_ASN1_RELATIVE)
                return 1;
            break;
        default:
            break;
        }
    }
    return 0;
}

static int match_from(struct detect_match *m, const struct rule_elem *e, uint32_t n, uint32_t i,
                      const uint8_t *b, uint32_t len, int64_t cur);

static int match_content(struct detect_match *m, const struct rule_elem *e, uint32_t n,
                         uint32_t i, const uint8_t *b, uint32_t len, int64_t cur)
{
    const struct rule_content *c = &e[i].u.content;
    int64_t start = 0, end = len;
    if (c->flags & (RULE_CONTENT_DISTANCE | RULE_CONTENT_WITHIN)) {
        int64_t dist = (c->flags & RULE_CONTENT_DISTANCE) ? pos_val(m, &c->distance) : 0;
        start = cur + dist;
        if (c->flags & RULE_CONTENT_WITHIN) {
            int64_t lim = start + pos_val(m, &c->within);
            if (lim < end)
                end = lim;
        }
        if (start < 0)
            start = 0;
    } else {
        if (c->flags & RULE_CONTENT_OFFSET)
            start = pos_val(m, &c->offset);
        if (c->flags & RULE_CONTENT_DEPTH) {
            int64_t lim = start + pos_val(m, &c->depth);
            if (lim < end)
                end = lim;
        }
        if (c->flags & RULE_CONTENT_STARTSWITH)
            end = start + c->len < end ? start + c->len : end;
    }
    if (c->flags & RULE_CONTENT_ENDSWITH) {
        int64_t s = (int64_t)len - c->len;
        if (s < start || end < (int64_t)len)
            start = end + 1; /* cannot end at the buffer's end: no match */
        else
            start = s;
    }
    int nocase = (c->flags & RULE_CONTENT_NOCASE) != 0;
    int64_t at = start <= end ? find_bytes(b, start, end, c->bytes, c->len, nocase) : -1;
    if (c->flags & RULE_CONTENT_NEGATED)
        return at < 0 ? match_from(m, e, n, i + 1, b, len, cur) : 0;
    int retry = rest_is_relative(e, n, i + 1);
    while (at >= 0) {
        if (match_from(m, e, n, i + 1, b, len, at + c->len))
            return 1;
        if (!retry || m->steps > DETECT_MATCH_STEPS)
            return 0;
        at = find_bytes(b, at + 1, end, c->bytes, c->len, nocase);
    }
    return 0;
}

static int match_pcre(struct detect_match *m, const struct rule_elem *e, uint32_t n, uint32_t i,
                      const uint8_t *b, uint32_t len, int64_t cur)
{
    const struct rule_pcre *pc = &e[i].u.pcre;
    int64_t base = (pc->flags & RULE_PCRE_RELATIVE) ? cur : 0;
    if (base > len)
        return (pc->flags & RULE_PCRE_NEGATED) ? match_from(m, e, n, i + 1, b, len, cur) : 0;
    const uint8_t *subj = b + base;
    size_t slen = (size_t)(len - base);
    int retry = !(pc->flags & RULE_PCRE_NEGATED) && rest_is_relative(e, n, i + 1);
    size_t from = 0;
    for (;;) {
        int rc = pcre2_match(pc->code, subj, slen, from, 0, m->md,
                             (pc->flags & RULE_PCRE_NO_LIMITS) ? NULL : m->mctx);
        if (pc->flags & RULE_PCRE_NEGATED)
            return rc < 0 ? match_from(m, e, n, i + 1, b, len, cur) : 0;
        if (rc < 0)
            return 0;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        size_t mstart = ov[0], mend = ov[1];
        if (match_from(m, e, n, i + 1, b, len, base + (int64_t)mend))
            return 1;
        if (!retry || m->steps > DETECT_MATCH_STEPS || mstart + 1 > slen)
            return 0;
        from = mstart + 1;
    }
}

/* The value of nbytes at b[pos] (binary big/little endian, or text in base). */
static int byte_read(const struct rule_byte *bt, const uint8_t *b, uint32_t len, int64_t pos,
                     uint64_t *out)
{
    if (pos < 0 || bt->nbytes == 0 || pos + bt->nbytes > (int64_t)len)
        return -1;
    uint64_t v = 0;
    if (bt->flags & RULE_BYTE_STRING) {
        char tmp[32];
        if (bt->nbytes >= sizeof(tmp))
            return -1;
        memcpy(tmp, b + pos, bt->nbytes);
        tmp[bt->nbytes] = 0;
        char *endp;
        int base = bt->base ? bt->base : 10;
        if (!isxdigit((unsigned char)tmp[0]))
            return -1;
        v = strtoull(tmp, &endp, base);
        if (endp == tmp)
            return -1;
    } else if (bt->flags & RULE_BYTE_LITTLE) {
        for (int k = bt->nbytes - 1; k >= 0; k--)
            v = (v << 8) | b[pos + k];
    } else {
        for (int k = 0; k < bt->nbytes; k++)
            v = (v << 8) | b[pos + k];
    }
    if (bt->flags & RULE_BYTE_BITMASK) {
        v &= bt->bitmask;
        uint32_t mk = bt->bitmask;
        while (mk && !(mk & 1)) {
            mk >>= 1;
            v >>= 1;
        }
    }
    *out = v;
    return 0;
}

static int byte_test_ok(const struct detect_match *m, const struct rule_byte *bt,
                        const uint8_t *b, uint32_t len, int64_t cur)
{
    int64_t pos = ((bt->flags & RULE_BYTE_RELATIVE) ? cur : 0) + pos_val(m, &bt->offset);
    uint64_t v;
    if (byte_read(bt, b, len, pos, &v) < 0)
        return 0;
    uint64_t want = (uint64_t)pos_val(m, &bt->value);
    int ok;
    switch (bt->op) {
    case RULE_BOP_LT: ok = v < want; break;
    case RULE_BOP_GT: ok = v > want; break;
    case RULE_BOP_EQ: ok = v == want; break;
    case RULE_BOP_LE: ok = v <= want; break;
    case RULE_BOP_GE: ok = v >= want; break;
    case RULE_BOP_AND: ok = (v & want) != 0; break;
    case RULE_BOP_XOR: ok = (v ^ want) != 0; break;
    default: ok = 0; break;
    }
    return (bt->flags & RULE_BYTE_NEGATE) ? !ok : ok;
}

/* byte_jump: the new cursor, or -1. */
static int64_t byte_jump_to(const struct detect_match *m, const struct rule_byte *bt,
                            const uint8_t *b, uint32_t len, int64_t cur)
{
    int64_t pos = ((bt->flags & RULE_BYTE_RELATIVE) ? cur : 0) + pos_val(m, &bt->offset);
    uint64_t v;
    if (byte_read(bt, b, len, pos, &v) < 0)
        return -1;
    if (bt->multiplier)
        v *= (uint64_t)bt->multiplier;
    if ((bt->flags & RULE_BYTE_ALIGN) && (v % 4))
        v += 4 - v % 4;
    if (v > len)
        return -1;
    int64_t to;
    if (bt->flags & RULE_BYTE_FROM_BEGIN)
        to = (int64_t)v;
    else if (bt->flags & RULE_BYTE_FROM_END)
        to = (int64_t)len + (int64_t)v;
    else
        to = pos + bt->nbytes + (int64_t)v;
    to += bt->post_offset;
    return (to < 0 || to > (int64_t)len) ? -1 : to;
}

static int64_t byte_extract_to(struct detect_match *m, const struct rule_byte *bt,
                               const uint8_t *b, uint32_t len, int64_t cur)
{
    int64_t pos = ((bt->flags & RULE_BYTE_RELATIVE) ? cur : 0) + pos_val(m, &bt->offset);
    uint64_t v;
    if (byte_read(bt, b, len, pos, &v) < 0)
        return -1;
    if (bt->multiplier)
        v *= (uint64_t)bt->multiplier;
    if (bt->align > 1 && (v % bt->align))
        v += bt->align - v % bt->align;
    if (bt->var >= 0 && bt->var < RULE_BYTE_VARS_MAX)
        m->vars[bt->var] = (int64_t)(v > 0x7fffffff ? 0x7fffffff : v);
    return pos + bt->nbytes;
}

static int isdataat_ok(const struct detect_match *m, const struct rule_isdataat *d,
                       uint32_t len, int64_t cur)
{
    int64_t at = pos_val(m, &d->pos);
    int ok = d->relative ? cur + at <= (int64_t)len : at < (int64_t)len;
    return d->negated ? !ok : ok;
}

/* RFC 4648 base64 of in[0, n) into out (3 bytes for every 4 in, at most):
 * the bytes decoded.  As Suricata's base64_decode: decoding stops at the
 * first byte outside the alphabet ('=' padding included) and a final group
 * of 2 or 3 characters gives its 1 or 2 whole bytes. */
static uint32_t b64_decode(const uint8_t *in, uint32_t n, uint8_t *out)
{
    uint32_t k = 0;
    while (k < n && ((in[k] >= 'A' && in[k] <= 'Z') || (in[k] >= 'a' && in[k] <= 'z') ||
                     (in[k] >= '0' && in[k] <= '9') || in[k] == '+' || in[k] == '/'))
        k++;
    uint32_t whole = k / 4 * 4, o = 0;
    if (whole) {
        int r = EVP_DecodeBlock(out, in, (int)whole);
        if (r < 0)
            return 0;
        o = (uint32_t)r;
    }
    if (k - whole >= 2) {
        uint8_t q[4] = {'=', '=', '=', '='}, t[3];
        memcpy(q, in + whole, k - whole);
        if (EVP_DecodeBlock(t, q, 4) == 3) {
            memcpy(out + o, t, k - whole - 1);
            o += k - whole - 1;
        }
    }
    return o;
}

/* base64_decode at cur (Suricata's rules: offset from the buffer's start,
 * or from the previous match with relative; at most bytes of input, 64 KiB
 * by default and at most), then the rule's base64_data list (m->b64) on the
 * decoded bytes.  Like Suricata's, a terminal step: the elements after it in
 * this list are not evaluated, and there is no match without a base64_data
 * list or when nothing decodes. */
static int match_b64(struct detect_match *m, const struct rule_b64 *d, const uint8_t *b,
                     uint32_t len, int64_t cur)
{
    int64_t at = (d->relative ? cur : 0) + d->offset;
    if (!m->b64 || at < 0 || at >= (int64_t)len)
        return 0;
    uint32_t n = len - (uint32_t)at;
    uint32_t max = d->bytes && d->bytes < DETECT_B64_MAX ? d->bytes : DETECT_B64_MAX;
    if (n > max)
        n = max;
    if (!m->b64buf && !(m->b64buf = malloc(DETECT_B64_MAX / 4 * 3 + 3)))
        return 0;
    uint32_t dl = b64_decode(b + at, n, m->b64buf);
    if (!dl)
        return 0;
    return match_from(m, m->b64->elems, m->b64->n, 0, m->b64buf, dl, 0); /* steps go on counting */
}

/* ---- asn1 ----------------------------------------------------------------
 * As Suricata's asn1 keyword: BER objects (X.690) are decoded one after the
 * other from the offset (absolute_offset from the buffer's start,
 * relative_offset from the previous match, else 0) to the buffer's end,
 * each with everything inside it, at most ASN1_MAX_DEPTH deep; decoding
 * stops at the first object that is malformed or runs past the end (it and
 * what is inside it are not checked), and more than ASN1_MAX_OBJECTS
 * top-level objects make no match at all.  Checks, on every object:
 * oversize_length N - a definite length over N; bitstring_overflow - a
 * primitive universal BIT STRING whose unused-bits octet is more than its
 * length in bits; double_overflow - a primitive universal REAL over 256
 * bytes in decimal encoding (first octet's top bits 00: the MSASN1
 * overflow).  Only the structure is decoded: identifier (high tag numbers
 * up to 4 octets), length (short, long up to 8 octets, indefinite for
 * constructed objects, closed by end-of-contents), nesting; the content of
 * primitive types is not validated beyond the checks. */
#define ASN1_MAX_DEPTH 256   /* Suricata's asn1-max-frames default */
#define ASN1_MAX_OBJECTS 256 /* the same bound on top-level objects */
#define ASN1_MAX_INPUT 65535 /* the decoder's input is at most 65,535 bytes */

/* One BER object at c and what it contains: 1 decoded, 0 malformed or
 * truncated; *hit set when it or an object inside it fails a check. */
static int ber_object(struct cursor *c, const struct rule_asn1 *a, int depth, int *hit)
{
    uint8_t id, lb;
    if (depth >= ASN1_MAX_DEPTH || cursor_u8(c, &id) < 0)
        return 0;
    uint32_t tag = id & 0x1fu;
    if (tag == 0x1f) { /* high tag number: base 128 */
        tag = 0;
        for (int k = 0;; k++) {
            uint8_t t;
            if (k == 4 || cursor_u8(c, &t) < 0)
                return 0;
            tag = tag << 7 | (t & 0x7fu);
            if (!(t & 0x80))
                break;
        }
    }
    int cons = (id & 0x20) != 0, universal = (id >> 6) == 0;
    if (cursor_u8(c, &lb) < 0 || lb == 0xff)
        return 0;
    uint64_t len = lb;
    int indef = lb == 0x80;
    if (indef && !cons)
        return 0;
    if (lb > 0x80) {
        unsigned nb = lb & 0x7fu;
        if (nb > 8)
            return 0;
        len = 0;
        for (unsigned k = 0; k < nb; k++) {
            uint8_t t;
            if (cursor_u8(c, &t) < 0)
                return 0;
            len = len << 8 | t;
        }
    }
    if (indef)
        len = 0;
    else if (len > cursor_left(c))
        return 0;
    if ((a->flags & RULE_ASN1_OVERSIZE) && len > a->oversize)
        *hit = 1;
    if (!cons) {
        uint8_t first = 0;
        if (len > 0)
            cursor_peek_u8(c, 0, &first);
        if (universal && tag == 3 && (a->flags & RULE_ASN1_BITSTRING) && len > 0 &&
            (uint64_t)first > len * 8)
            *hit = 1;
        if (universal && tag == 9 && (a->flags & RULE_ASN1_DOUBLE) && len > 256 &&
            (first & 0xc0) == 0)
            *hit = 1;
        return cursor_skip(c, (size_t)len) == 0;
    }
    if (indef) { /* children until end-of-contents (00 00) */
        for (;;) {
            uint8_t e0, e1;
            if (cursor_peek_u8(c, 0, &e0) < 0)
                return 0;
            if (e0 == 0) {
                if (cursor_peek_u8(c, 1, &e1) < 0 || e1 != 0)
                    return 0;
                return cursor_skip(c, 2) == 0;
            }
            if (!ber_object(c, a, depth + 1, hit))
                return 0;
        }
    }
    struct cursor sub;
    if (cursor_sub(c, (size_t)len, &sub) < 0)
        return 0;
    while (cursor_left(&sub) > 0)
        if (!ber_object(&sub, a, depth + 1, hit))
            return 0;
    return 1;
}

static int asn1_ok(const struct rule_asn1 *a, const uint8_t *b, uint32_t len, int64_t cur)
{
    int64_t at = (a->flags & RULE_ASN1_ABSOLUTE)   ? a->offset
                 : (a->flags & RULE_ASN1_RELATIVE) ? cur + a->offset
                                                   : 0;
    uint32_t n = len < ASN1_MAX_INPUT ? len : ASN1_MAX_INPUT;
    if (at < 0 || at >= (int64_t)n)
        return 0;
    struct cursor c;
    cursor_init(&c, b + at, n - (uint32_t)at);
    int any = 0;
    for (int k = 0; cursor_left(&c) > 0; k++) {
        int hit = 0;
        if (k == ASN1_MAX_OBJECTS)
            return 0;
        if (!ber_object(&c, a, 0, &hit))
            break; /* this object is not decoded: the ones before it count */
        any |= hit;
    }
    return any;
}

static int match_from(struct detect_match *m, const struct rule_elem *e, uint32_t n, uint32_t i,
                      const uint8_t *b, uint32_t len, int64_t cur)
{
    if (i == n)
        return 1;
    if (++m->steps > DETECT_MATCH_STEPS)
        return 0;
    const struct rule_elem *el = &e[i];
    switch (el->kind) {
    case RULE_ELEM_CONTENT:
        return match_content(m, e, n, i, b, len, cur);
    case RULE_ELEM_PCRE:
        return match_pcre(m, e, n, i, b, len, cur);
    case RULE_ELEM_BYTE_TEST:
        return byte_test_ok(m, &el->u.byte, b, len, cur) && match_from(m, e, n, i + 1, b, len, cur);
    case RULE_ELEM_BYTE_JUMP: {
        int64_t to = byte_jump_to(m, &el->u.byte, b, len, cur);
        return to >= 0 && match_from(m, e, n, i + 1, b, len, to);
    }
    case RULE_ELEM_BYTE_EXTRACT: {
        int64_t to = byte_extract_to(m, &el->u.byte, b, len, cur);
        return to >= 0 && match_from(m, e, n, i + 1, b, len, to);
    }
    case RULE_ELEM_ISDATAAT:
        return isdataat_ok(m, &el->u.isdataat, len, cur) &&
               match_from(m, e, n, i + 1, b, len, cur);
    case RULE_ELEM_BSIZE:
        return rule_num_match(&el->u.bsize, len) && match_from(m, e, n, i + 1, b, len, cur);
    case RULE_ELEM_BASE64_DECODE:
        return match_b64(m, &el->u.b64, b, len, cur);
    case RULE_ELEM_ASN1:
        return asn1_ok(&el->u.asn1, b, len, cur) && match_from(m, e, n, i + 1, b, len, cur);
    default:
        return 0;
    }
}

/* Hash transforms: Suricata's to_md5/to_sha1/to_sha256 give the raw digest bytes. */
static int xform_hash(const EVP_MD *md, uint8_t *buf, uint32_t *len, uint32_t cap)
{
    uint8_t dig[EVP_MAX_MD_SIZE];
    unsigned dlen = 0;
    if (!EVP_Digest(buf, *len, dig, &dlen, md, NULL) || dlen > cap)
        return -1;
    memcpy(buf, dig, dlen);
    *len = dlen;
    return 0;
}

static uint32_t xform_simple(uint8_t x, uint8_t *buf, uint32_t len)
{
    uint32_t o = 0;
    for (uint32_t k = 0; k < len; k++) {
        uint8_t ch = buf[k];
        switch (x) {
        case RULE_XFORM_TO_LOWERCASE: buf[o++] = (uint8_t)tolower(ch); break;
        case RULE_XFORM_TO_UPPERCASE: buf[o++] = (uint8_t)toupper(ch); break;
        case RULE_XFORM_STRIP_WHITESPACE:
            if (!isspace(ch))
                buf[o++] = ch;
            break;
        case RULE_XFORM_COMPRESS_WHITESPACE:
            if (!(isspace(ch) && o > 0 && isspace(buf[o - 1])))
                buf[o++] = ch;
            break;
        case RULE_XFORM_URL_DECODE:
            if (ch == '%' && k + 2 < len && isxdigit(buf[k + 1]) && isxdigit(buf[k + 2])) {
                char h[3] = {(char)buf[k + 1], (char)buf[k + 2], 0};
                buf[o++] = (uint8_t)strtoul(h, NULL, 16);
                k += 2;
            } else {
                buf[o++] = ch == '+' ? ' ' : ch;
            }
            break;
        default: buf[o++] = ch; break;
        }
    }
    return o;
}

/* Apply bl's transforms to a copy of b; *out points at the result. */
static int match_xform(struct detect_match *m, const struct rule_buflist *bl, const uint8_t *b,
                       uint32_t len, const uint8_t **out, uint32_t *olen)
{
    uint32_t cap = len + 1 > 64 ? len + 1 : 64;
    if (cap > m->xcap) {
        uint8_t *nb = realloc(m->xbuf, cap);
        if (!nb)
            return -1;
        m->xbuf = nb;
        m->xcap = cap;
    }
    uint8_t *x = m->xbuf;
    uint32_t xl = 0;
    for (uint8_t k = 0; k < bl->n_xforms; k++) {
        uint8_t t = bl->xforms[k];
        if (k == 0) {
            if (t == RULE_XFORM_DOTPREFIX) {
                x[0] = '.';
                memcpy(x + 1, b, len);
                xl = len + 1;
                continue;
            }
            memcpy(x, b, len);
            xl = len;
        } else if (t == RULE_XFORM_DOTPREFIX) {
            if (xl + 1 > m->xcap)
                return -1;
            memmove(x + 1, x, xl);
            x[0] = '.';
            xl++;
            continue;
        }
        if (t == RULE_XFORM_TO_MD5 || t == RULE_XFORM_TO_SHA1 || t == RULE_XFORM_TO_SHA256) {
            const EVP_MD *md = t == RULE_XFORM_TO_MD5    ? EVP_md5()
                               : t == RULE_XFORM_TO_SHA1 ? EVP_sha1()
                                                         : EVP_sha256();
            if (xform_hash(md, x, &xl, m->xcap) < 0)
                return -1;
        } else {
            xl = xform_simple(t, x, xl);
        }
    }
    *out = x;
    *olen = xl;
    return 0;
}

int detect_match_list(struct detect_match *m, const struct rule_buflist *bl, const uint8_t *b,
                      uint32_t len)
{
    static const uint8_t empty[1];
    if (!b)
        b = empty;
    if (bl->n_xforms && match_xform(m, bl, b, len, &b, &len) < 0)
        return 0;
    m->steps = 0;
    return match_from(m, bl->elems, bl->n, 0, b, len, 0);
}
