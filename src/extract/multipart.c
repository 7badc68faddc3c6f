/*
 * multipart.c - the pieces of MIME that read header text: Content-Type and
 * Content-Disposition parameters, multipart boundaries, file names, and the
 * base64 and quoted-printable decoders of entity bodies.
 *
 * Specs: RFC 2045 §5.1 (parameters: token or quoted-string), §6.7
 * (quoted-printable), §6.8 (base64); RFC 2046 §5.1.1 (a delimiter line is
 * "--" boundary, the close delimiter "--" boundary "--", transport padding
 * after either ignored); RFC 2231 (filename*=charset'lang'%XX);
 * RFC 7578 (multipart/form-data: the part's Content-Disposition names the
 * file).  File names follow Zeek's extract_filename_from_content_disposition
 * (base/utils/files.zeek) rather than the RFCs, so that files.log agrees
 * with Zeek's; the decoders follow Zeek's MIME analyzer
 * (src/analyzer/protocol/mime/MIME.cc: Base64Converter, DecodeQuotedPrintable).
 *
 * Every read of the (untrusted) text goes through a struct cursor; outputs
 * are bounded by the caller's buffer sizes.
 *
 * base64 group state:  0 ─c─► 1 ─c─► 2 ─c/=─► 3 ─c/=─► 4 ─► output 1..3 bytes
 *                      (a group with '=' ends the data: the rest is ignored)
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "core/cursor.h"
#include "extract/mime.h"

static bool mp_blank(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static bool mp_tspecial(uint8_t c)
{
    return c <= ' ' || c >= 127 || strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* Read a token or quoted-string at c into out. */
static void mp_value_read(struct cursor *c, char *out, size_t outlen)
{
    size_t o = 0;
    uint8_t b;
    if (cursor_peek_u8(c, 0, &b) == 0 && b == '"') {
        cursor_skip(c, 1);
        while (cursor_u8(c, &b) == 0 && b != '"') {
            if (b == '\\' && cursor_u8(c, &b) < 0)
                break;
            if (o + 1 < outlen)
                out[o++] = (char)b;
        }
    } else {
        while (cursor_peek_u8(c, 0, &b) == 0 && b != ';' && !mp_blank(b)) {
            cursor_skip(c, 1);
            if (o + 1 < outlen)
                out[o++] = (char)b;
        }
    }
    if (outlen)
        out[o] = '\0';
}

bool mime_param_get(const char *v, size_t n, const char *name, char *out, size_t outlen)
{
    struct cursor c;
    uint8_t b;
    size_t nl = strlen(name);
    bool in_quote = false;
    cursor_init(&c, v, n);
    /* parameters follow ';' outside quoted strings */
    while (cursor_u8(&c, &b) == 0) {
        if (b == '"')
            in_quote = !in_quote;
        if (b != ';' || in_quote)
            continue;
        while (cursor_peek_u8(&c, 0, &b) == 0 && (mp_blank(b) || b == '\r' || b == '\n'))
            cursor_skip(&c, 1);
        if (!cursor_has(&c, nl) || strncasecmp((const char *)c.p, name, nl) != 0)
            continue;
        struct cursor save = c;
        cursor_skip(&c, nl);
        while (cursor_peek_u8(&c, 0, &b) == 0 && mp_blank(b))
            cursor_skip(&c, 1);
        if (cursor_u8(&c, &b) < 0 || b != '=') {
            c = save;
            continue;
        }
        while (cursor_peek_u8(&c, 0, &b) == 0 && mp_blank(b))
            cursor_skip(&c, 1);
        mp_value_read(&c, out, outlen);
        return true;
    }
    return false;
}

void mime_type_get(const char *v, size_t n, char *out, size_t outlen)
{
    struct cursor c;
    uint8_t b;
    size_t o = 0;
    cursor_init(&c, v, n);
    while (cursor_peek_u8(&c, 0, &b) == 0 && mp_blank(b))
        cursor_skip(&c, 1);
    while (cursor_u8(&c, &b) == 0 && b != ';' && !mp_blank(b)) {
        if (b != '/' && mp_tspecial(b))
            break;
        if (o + 1 < outlen)
            out[o++] = (char)tolower(b);
    }
    if (outlen)
        out[o] = '\0';
}

/* Zeek's character class [a-zA-Z0-9\!#$%&+-^_`{}~] (note the range '+'..'^'). */
static bool mp_2231_char(uint8_t c)
{
    return isalnum(c) || (c != '\0' && strchr("!#$%&_`{}~", c) != NULL) || (c >= '+' && c <= '^');
}

/* Length of a charset'language' prefix at p, or 0. */
static size_t mp_2231_prefix(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] != '\'' && mp_2231_char((uint8_t)p[i]))
        i++;
    if (i == 0 || i >= n || p[i] != '\'')
        return 0;
    i++;
    while (i < n && p[i] != '\'' && mp_2231_char((uint8_t)p[i]))
        i++;
    if (i >= n || p[i] != '\'')
        return 0;
    return i + 1;
}

size_t mime_filename_extract(const char *v, size_t n, char *out, size_t outlen)
{
    /* ^.*name[blank]*\*?=[blank]* : the last such match (greedy .*) */
    size_t start = n + 1;
    for (size_t i = 0; i + 4 <= n; i++) {
        if (strncasecmp(v + i, "name", 4) != 0)
            continue;
        size_t j = i + 4;
        while (j < n && mp_blank((uint8_t)v[j]))
            j++;
        if (j < n && v[j] == '*')
            j++;
        if (j < n && v[j] == '=') {
            j++;
            while (j < n && mp_blank((uint8_t)v[j]))
                j++;
            start = j;
        }
    }
    if (outlen == 0)
        return 0;
    out[0] = '\0';
    if (start > n)
        return 0;
    const char *p = v + start;
    size_t len = n - start;
    if (len > 0 && p[0] == '"') { /* split_string_n(s, /"/, F, 2)[1] */
        p++, len--;
        const char *q = memchr(p, '"', len);
        if (q)
            len = (size_t)(q - p);
    }
    size_t pre = mp_2231_prefix(p, len);
    p += pre, len -= pre;
    size_t o = 0; /* unescape_URI: %XX */
    for (size_t i = 0; i < len && o + 1 < outlen; i++) {
        int a, b;
        if (p[i] == '%' && i + 2 < len &&
            (a = core_hexval((uint8_t)p[i + 1])) >= 0 && (b = core_hexval((uint8_t)p[i + 2])) >= 0) {
            out[o++] = (char)(a << 4 | b);
            i += 2;
        } else {
            out[o++] = p[i];
        }
    }
    out[o] = '\0';
    return o;
}

int mime_boundary_match(const uint8_t *line, size_t n, const char *b, size_t blen)
{
    struct cursor c;
    uint8_t x;
    cursor_init(&c, line, n);
    if (blen == 0 || !cursor_has(&c, 2 + blen) || c.p[0] != '-' || c.p[1] != '-' ||
        memcmp(c.p + 2, b, blen) != 0)
        return 0;
    cursor_skip(&c, 2 + blen);
    int kind = 1;
    if (cursor_has(&c, 2) && c.p[0] == '-' && c.p[1] == '-') {
        kind = 2;
        cursor_skip(&c, 2);
    }
    /* transport padding only (Zeek also accepts any trailing text: so do we) */
    while (cursor_u8(&c, &x) == 0)
        if (!mp_blank(x) && x != '\r')
            return kind;
    return kind;
}

/* 1 + the value of each base64 alphabet character; 0: not in it */
static const uint8_t mp_b64_tab[256] = {
    ['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
    ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
    ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
    ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
    ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
    ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
    ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
    ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
    ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

static bool mp_b64_ok(uint8_t c)
{
    return mp_b64_tab[c] != 0;
}

static int mp_b64_val(uint8_t c)
{
    return mp_b64_tab[c] - 1;
}

/* A full group of 4 (characters, '=' allowed) into out; bytes written. */
static size_t mp_b64_group(struct mime_entity *e, uint8_t *out)
{
    int v[4];
    size_t k = 3;
    for (int i = 0; i < 4; i++)
        v[i] = e->b64[i] == '=' ? 0 : mp_b64_val(e->b64[i]);
    if (e->b64[2] == '=')
        k = 1;
    else if (e->b64[3] == '=')
        k = 2;
    if (e->b64[0] == '=' || e->b64[1] == '=')
        k = 0;
    if (k < 3)
        e->b64_done = true;
    uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    uint8_t bytes[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
    memcpy(out, bytes, k);
    e->b64_n = 0;
    return k;
}

/* Whole groups of 4 alphabet characters straight to out (no padding, no
 * skipped byte): bytes consumed; the caller goes on byte by byte. */
static size_t mp_b64_fast(const uint8_t *p, size_t n, uint8_t *out, size_t *o)
{
    size_t i = 0;
    while (i + 4 <= n && mp_b64_ok(p[i]) && mp_b64_ok(p[i + 1]) && mp_b64_ok(p[i + 2]) &&
           mp_b64_ok(p[i + 3])) {
        uint32_t w = (uint32_t)(mp_b64_tab[p[i]] - 1) << 18 |
                     (uint32_t)(mp_b64_tab[p[i + 1]] - 1) << 12 |
                     (uint32_t)(mp_b64_tab[p[i + 2]] - 1) << 6 | (uint32_t)(mp_b64_tab[p[i + 3]] - 1);
        out[*o] = (uint8_t)(w >> 16);
        out[*o + 1] = (uint8_t)(w >> 8);
        out[*o + 2] = (uint8_t)w;
        *o += 3;
        i += 4;
    }
    return i;
}

size_t mime_b64_decode(struct mime_entity *e, const uint8_t *p, size_t n, uint8_t *out,
                       uint64_t *bad)
{
    struct cursor c;
    uint8_t b;
    size_t o = 0;
    cursor_init(&c, p, n);
    while (cursor_left(&c) > 0) {
        if (e->b64_n == 0 && !e->b64_done)
            cursor_skip(&c, mp_b64_fast(c.p, cursor_left(&c), out, &o));
        if (cursor_u8(&c, &b) < 0)
            break;
        if (e->b64_done) { /* "extra base64 groups after '=' padding are ignored" */
            if (b != '=' && !mp_blank(b) && b != '\r' && b != '\n')
                (*bad)++;
            continue;
        }
        if (!mp_b64_ok(b) && b != '=') {
            if (!mp_blank(b) && b != '\r' && b != '\n')
                (*bad)++; /* "character %d ignored by Base64 decoding" */
            continue;
        }
        e->b64[e->b64_n++] = b;
        if (e->b64_n == 4)
            o += mp_b64_group(e, out + o);
    }
    return o;
}

size_t mime_b64_finish(struct mime_entity *e, uint8_t out[3])
{
    if (e->b64_n == 0 || e->b64_done)
        return 0;
    while (e->b64_n < 4) /* Zeek's Done(): Decode(4 - n, "====") */
        e->b64[e->b64_n++] = '=';
    return mp_b64_group(e, out);
}

size_t mime_qp_decode_line(const uint8_t *p, size_t n, uint8_t *out, bool *soft, uint64_t *bad)
{
    struct cursor c;
    uint8_t b;
    size_t o = 0;
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) /* trailing blanks ignored */
        n--;
    *soft = false;
    cursor_init(&c, p, n);
    while (cursor_u8(&c, &b) == 0) {
        if (b == '=') {
            uint8_t h1, h2;
            if (cursor_left(&c) == 0) {
                *soft = true;
                break;
            }
            if (cursor_peek_u8(&c, 0, &h1) == 0 && cursor_peek_u8(&c, 1, &h2) == 0 &&
                core_hexval(h1) >= 0 && core_hexval(h2) >= 0) {
                out[o++] = (uint8_t)(core_hexval(h1) << 4 | core_hexval(h2));
                cursor_skip(&c, 2);
                continue;
            }
            (*bad)++; /* illegal: the '=' passes through, as Zeek does */
            out[o++] = b;
            continue;
        }
        if (!((b >= 33 && b <= 126) || b == ' ' || b == '\t'))
            (*bad)++;
        out[o++] = b;
    }
    if (!*soft) {
        out[o++] = '\r';
        out[o++] = '\n';
    }
    return o;
}

/* ---- Content-Range (RFC 9110 §14.4) ---- */

static void mime_cr_blanks(struct cursor *c)
{
    uint8_t b;
    while (cursor_peek_u8(c, 0, &b) == 0 && (b == ' ' || b == '\t'))
        cursor_skip(c, 1);
}

/* Decimal digits into *v (capped below 2^62); false when there are none. */
static bool mime_cr_number(struct cursor *c, uint64_t *v)
{
    uint8_t b;
    size_t digits = 0;
    *v = 0;
    mime_cr_blanks(c);
    while (cursor_peek_u8(c, 0, &b) == 0 && b >= '0' && b <= '9') {
        if (*v >> 58)
            return false;
        *v = *v * 10 + (uint64_t)(b - '0');
        cursor_skip(c, 1);
        digits++;
    }
    mime_cr_blanks(c);
    return digits > 0;
}

bool mime_content_range_parse(const char *v, size_t n, uint64_t *first, uint64_t *last,
                              int64_t *total)
{
    struct cursor c;
    uint8_t b;
    uint64_t t;
    cursor_init(&c, (const uint8_t *)v, n);
    mime_cr_blanks(&c);
    if (cursor_left(&c) < 5 || strncasecmp((const char *)c.p, "bytes", 5) != 0)
        return false;
    cursor_skip(&c, 5);
    if (!mime_cr_number(&c, first) || cursor_u8(&c, &b) < 0 || b != '-' ||
        !mime_cr_number(&c, last) || *last < *first || cursor_u8(&c, &b) < 0 || b != '/')
        return false;
    mime_cr_blanks(&c);
    if (cursor_peek_u8(&c, 0, &b) == 0 && b == '*') {
        *total = -1;
        return true;
    }
    if (!mime_cr_number(&c, &t))
        return false;
    *total = (int64_t)t;
    return true;
}
