/*
 * http_mime.c - the MIME type of a body from its first bytes, for http.log's
 * orig_mime_types / resp_mime_types.
 *
 * Zeek types files with its own signatures (base/frameworks/files/magic/
 * *.sig: a regular expression and a strength per type; the strongest match
 * wins).  The signatures that carry web traffic are written out here as
 * small matchers over a struct cursor, strongest first, with Zeek's
 * strengths in the comments; anything else is asked of libmagic
 * (MAGIC_MIME_TYPE), keeping only specific answers: libmagic's generic
 * "application/octet-stream" or "text/plain" would be "-" or Zeek's own
 * text/plain rule.  Differences from Zeek: libmagic knows other formats
 * than Zeek's libmagic.sig, and the names of a few types differ.
 *
 * Input: up to HTTP_SNIFF_MAX (4096, Zeek's default_file_bof_buffer_size)
 * decoded bytes; output: a static string or NULL.  libmagic is opened once
 * per process, lazily, and used under a mutex (magic_t is not thread-safe).
 */
#include <ctype.h>
#include <magic.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "core/cursor.h"
#include "proto/http.h"

static bool mime_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void mime_skip_ws(struct cursor *c)
{
    uint8_t b;
    while (cursor_peek_u8(c, 0, &b) == 0 && mime_ws(b))
        cursor_skip(c, 1);
}

static bool mime_starts(const struct cursor *c, const char *s, bool nocase)
{
    size_t n = strlen(s);
    if (!cursor_has(c, n))
        return false;
    return nocase ? strncasecmp((const char *)c->p, s, n) == 0 : memcmp(c->p, s, n) == 0;
}

/* Skip to the string s (inclusive); false when it is not there. */
static bool mime_skip_past(struct cursor *c, const char *s)
{
    size_t n = strlen(s);
    while (cursor_has(c, n)) {
        if (memcmp(c->p, s, n) == 0)
            return cursor_skip(c, n) == 0;
        cursor_skip(c, 1);
    }
    return false;
}

static void mime_skip_bom(struct cursor *c)
{
    if (mime_starts(c, "\xef\xbb\xbf", false))
        cursor_skip(c, 3);
}

/* Zeek's markup prologue: blanks and <!-- comments -->, an optional <?xml ...?>, again. */
static void mime_skip_prologue(struct cursor *c, bool xml_decl)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int guard = 0; guard < 64; guard++) {
            mime_skip_ws(c);
            if (!mime_starts(c, "<!--", false))
                break;
            struct cursor save = *c;
            if (!mime_skip_past(c, "-->")) {
                *c = save;
                break;
            }
        }
        if (pass == 0 && xml_decl && mime_starts(c, "<?xml ", false)) {
            /* Zeek's "<\?xml .*\?>": greedy, on one line: to the line's last "?>" */
            const uint8_t *last = NULL;
            for (struct cursor f = *c; cursor_has(&f, 2) && f.p[0] != '\n'; cursor_skip(&f, 1))
                if (f.p[0] == '?' && f.p[1] == '>')
                    last = f.p;
            if (last)
                cursor_skip(c, (size_t)(last + 2 - c->p));
        }
    }
}

/* "<" followed by one of the names (case-insensitive). */
static bool mime_tag(const struct cursor *m, const char *const *names)
{
    struct cursor c = *m;
    if (!mime_starts(&c, "<", false))
        return false;
    cursor_skip(&c, 1);
    for (size_t i = 0; names[i]; i++)
        if (mime_starts(&c, names[i], true))
            return true;
    return false;
}

/* "<!doctype" + one or more spaces + word */
static bool mime_doctype(const struct cursor *m, const char *word)
{
    struct cursor c = *m;
    uint8_t b;
    if (!mime_starts(&c, "<!doctype", true))
        return false;
    cursor_skip(&c, 9);
    size_t sp = 0;
    while (cursor_peek_u8(&c, 0, &b) == 0 && b == ' ') {
        cursor_skip(&c, 1);
        sp++;
    }
    return sp > 0 && mime_starts(&c, word, true);
}

static const char *mime_markup(const uint8_t *p, size_t n)
{
    static const char *const xhtml[] = {"html", NULL};
    static const char *const html2[] = {"head", "html", "title", "body", NULL};
    static const char *const rss[] = {"rss", NULL};
    static const char *const cdp[] = {"cross-domain-policy", NULL};
    static const char *const soap[] = {"soap:envelope", "soap-env:envelope", NULL};
    static const char *const rpc[] = {"methodresponse>", NULL};
    struct cursor c;
    cursor_init(&c, p, n);
    mime_skip_bom(&c);
    struct cursor start = c;
    mime_skip_prologue(&c, true);
    if (mime_doctype(&c, "html") || mime_tag(&c, xhtml))
        return "text/html"; /* file-xhtml, 100 */
    struct cursor meta = c;
    if (mime_starts(&meta, "<meta ", true)) {
        cursor_skip(&meta, 5);
        mime_skip_ws(&meta);
        if (mime_starts(&meta, "http-equiv", true))
            return "text/html";
    }
    if (mime_tag(&c, rss))
        return "text/rss"; /* file-rss, 90 */
    if (mime_doctype(&c, "cross-domain-policy") || mime_tag(&c, cdp))
        return "text/x-cross-domain-policy"; /* 49 */
    if (mime_tag(&c, soap))
        return "application/soap+xml"; /* 49 */
    if (mime_tag(&c, rpc))
        return "application/xml-rpc"; /* 49 */
    if (mime_tag(&c, html2))
        return "text/html"; /* file-html2, 20 */
    mime_skip_prologue(&start, false);
    if (mime_starts(&start, "<?xml ", false))
        return "application/xml"; /* file-xml, 10 */
    return NULL;
}

static const char *mime_javascript(const uint8_t *p, size_t n)
{
    struct cursor c;
    cursor_init(&c, p, n);
    if (mime_starts(&c, "(function()", false)) { /* file-javascript5: then blanks and '{' */
        struct cursor f = c;
        uint8_t b;
        cursor_skip(&f, 11);
        while (cursor_peek_u8(&f, 0, &b) == 0 && (b == ' ' || b == '\t' || b == '\n'))
            cursor_skip(&f, 1);
        if (cursor_peek_u8(&f, 0, &b) == 0 && b == '{')
            return "application/javascript";
    }
    mime_skip_ws(&c);
    if (mime_starts(&c, "for (;;);", false) || mime_starts(&c, "document.write", false))
        return "application/javascript"; /* 3, 4 */
    if (mime_starts(&c, "<script>", true)) {
        cursor_skip(&c, 8);
        mime_skip_ws(&c);
        if (mime_starts(&c, "var ", false) || mime_starts(&c, "function ", false))
            return "application/javascript"; /* 6 */
        return NULL;
    }
    if (mime_starts(&c, "<script", true)) {
        cursor_skip(&c, 7);
        uint8_t b;
        size_t bl = 0;
        while (cursor_peek_u8(&c, 0, &b) == 0 && (b == ' ' || b == '\t')) {
            cursor_skip(&c, 1);
            bl++;
        }
        if (bl == 0 || !(mime_starts(&c, "type=", true) || mime_starts(&c, "language=", true)))
            return NULL;
        mime_skip_past(&c, "=");
        if (cursor_peek_u8(&c, 0, &b) == 0 && (b == '"' || b == '\''))
            cursor_skip(&c, 1);
        if (mime_starts(&c, "text/", true))
            cursor_skip(&c, 5);
        if (mime_starts(&c, "javascript", true))
            return "application/javascript"; /* 2 */
    }
    return NULL;
}

/* file-json / file-json2 / file-json3 */
static const char *mime_json(const uint8_t *p, size_t n)
{
    struct cursor c;
    uint8_t b = 0;
    cursor_init(&c, p, n);
    mime_skip_bom(&c);
    mime_skip_ws(&c);
    if (cursor_u8(&c, &b) < 0 || (b != '{' && b != '['))
        return NULL;
    bool obj = b == '{';
    mime_skip_ws(&c);
    if (cursor_peek_u8(&c, 0, &b) < 0)
        return NULL;
    if ((obj && b == '}') || (!obj && b == ']')) {
        cursor_skip(&c, 1);
        mime_skip_ws(&c);
        return cursor_left(&c) == 0 ? "text/json" : NULL;
    }
    if (!obj && (b == '{' || b == '['))
        return "text/json";
    if (b == '"') {
        cursor_skip(&c, 1);
        size_t k = 0;
        while (cursor_u8(&c, &b) == 0 && b != '"')
            k++;
        if (b != '"' || k == 0)
            return NULL;
    } else if (obj && isalpha(b)) {
        while (cursor_peek_u8(&c, 0, &b) == 0 && (isalnum(b) || b == '_' || b == '\\'))
            cursor_skip(&c, 1);
    } else if (!obj && (isdigit(b) || mime_starts(&c, "true", false) ||
                        mime_starts(&c, "false", false))) {
        while (cursor_peek_u8(&c, 0, &b) == 0 && (isalnum(b) || b == '.'))
            cursor_skip(&c, 1);
    } else {
        return NULL;
    }
    mime_skip_ws(&c);
    if (cursor_u8(&c, &b) < 0 || b != (obj ? ':' : ','))
        return NULL;
    if (!obj)
        return "text/json";
    mime_skip_ws(&c);
    if (cursor_peek_u8(&c, 0, &b) < 0)
        return NULL;
    if (b == '"' || b == '[' || b == '{' || isdigit(b) || mime_starts(&c, "true", false) ||
        mime_starts(&c, "false", false))
        return "text/json";
    return NULL;
}

/* file-plaintext (-20): an optional BOM, then 10 printable or space bytes. */
static const char *mime_plain(const uint8_t *p, size_t n)
{
    struct cursor c;
    uint8_t b;
    cursor_init(&c, p, n);
    /* BOMs: UTF-8, UTF-32 BE/LE, UTF-16 BE/LE (explicit lengths: they hold NULs) */
    if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        cursor_skip(&c, 3);
    else if (n >= 4 && (memcmp(p, "\x00\x00\xfe\xff", 4) == 0 || memcmp(p, "\xff\xfe\x00\x00", 4) == 0))
        cursor_skip(&c, 4);
    else if (n >= 2 && (memcmp(p, "\xfe\xff", 2) == 0 || memcmp(p, "\xff\xfe", 2) == 0))
        cursor_skip(&c, 2);
    for (int i = 0; i < 10; i++) {
        if (cursor_u8(&c, &b) < 0)
            return NULL;
        if (!((b >= 0x20 && b <= 0x7e) || (b >= 0x09 && b <= 0x0d)))
            return NULL;
    }
    return "text/plain";
}

struct mime_magic {
    const char *magic;
    size_t len;
    size_t at;
    const char *mime;
};

/* Fixed byte signatures of image.sig, archive.sig, general.sig, executable.sig. */
static const struct mime_magic mime_magics[] = {
    {"\x89PNG", 4, 0, "image/png"},
    {"GIF8", 4, 0, "image/gif"},
    {"\x00\x00\x01\x00", 4, 0, "image/x-icon"},
    {"MM\x00\x2a", 4, 0, "image/tiff"},
    {"II\x2a\x00", 4, 0, "image/tiff"},
    {"\xff\xd8", 2, 0, "image/jpeg"},
    {"%PDF", 4, 0, "application/pdf"},
    {"MSCF\x00\x00\x00\x00", 8, 0, "application/vnd.ms-cab-compressed"},
    {"PK\x03\x04", 4, 0, "application/zip"},
    {"\x1f\x8b", 2, 0, "application/x-gzip"},
    {"Rar!\x1a\x07", 6, 0, "application/x-rar"},
    {"7z\xbc\xaf\x27\x1c", 6, 0, "application/x-7z-compressed"},
    {"\xca\xfe\xba\xbe", 4, 0, "application/x-java-applet"},
    {"FWS", 3, 0, "application/x-shockwave-flash"},
    {"CWS", 3, 0, "application/x-shockwave-flash"},
    {"ZWS", 3, 0, "application/x-shockwave-flash"},
    {"MZ", 2, 0, "application/x-dosexec"},
    {"\x7f" "ELF", 4, 0, "application/x-executable"},
    {"-----BEGIN CERTIFICATE-----", 27, 0, "application/x-pem"},
    {"OggS", 4, 0, "application/ogg"},
    {"ID3", 3, 0, "audio/mpeg"},
    {"WEBP", 4, 8, "image/webp"},
    {NULL, 0, 0, NULL},
};

/* file-ocsp-request / file-ocsp-response: an OID between offsets 11 and 19. */
static const char *mime_ocsp(const uint8_t *p, size_t n)
{
    static const uint8_t resp[] = {0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};
    static const uint8_t req[] = {0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a};
    for (size_t off = 11; off <= 19; off++) {
        if (off + sizeof(resp) <= n && memcmp(p + off, resp, sizeof(resp)) == 0)
            return "application/ocsp-response";
        if (off + sizeof(req) <= n && memcmp(p + off, req, sizeof(req)) == 0)
            return "application/ocsp-request";
    }
    return NULL;
}

static const char *mime_binary(const uint8_t *p, size_t n)
{
    for (size_t i = 0; mime_magics[i].magic; i++) {
        const struct mime_magic *m = &mime_magics[i];
        if (m->at + m->len <= n && memcmp(p + m->at, m->magic, m->len) == 0)
            return m->mime;
    }
    return NULL;
}

static pthread_mutex_t mime_lock = PTHREAD_MUTEX_INITIALIZER;
static magic_t mime_cookie;
static bool mime_cookie_tried;

/* libmagic's answer as a string interned in a small static table. */
static const char *mime_libmagic(const uint8_t *p, size_t n)
{
    static char table[32][96];
    static size_t used;
    const char *out = NULL;
    pthread_mutex_lock(&mime_lock);
    if (!mime_cookie_tried) {
        mime_cookie_tried = true;
        mime_cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS);
        if (mime_cookie && magic_load(mime_cookie, NULL) != 0) {
            magic_close(mime_cookie);
            mime_cookie = NULL;
        }
    }
    const char *r = mime_cookie ? magic_buffer(mime_cookie, p, n) : NULL;
    if (r && strcmp(r, "application/octet-stream") != 0 && strncmp(r, "text/", 5) != 0 &&
        strcmp(r, "application/x-empty") != 0 && strchr(r, '/')) {
        for (size_t i = 0; i < used && !out; i++)
            if (strcmp(table[i], r) == 0)
                out = table[i];
        if (!out && used < 32 && strlen(r) < sizeof(table[0])) {
            memcpy(table[used], r, strlen(r) + 1);
            out = table[used++];
        }
    }
    pthread_mutex_unlock(&mime_lock);
    return out;
}

static const char *mime_sniff(const uint8_t *p, size_t n, bool strict);

const char *http_mime_sniff(const uint8_t *p, size_t n)
{
    return mime_sniff(p, n, false);
}

/* Types whose Zeek signatures are all written above (archive.sig's zip is
 * only "PK\x03\x04", the javascript ones are mime_javascript's): a
 * libmagic answer of one of them is a type Zeek would not give. */
const char *http_mime_sniff_strict(const uint8_t *p, size_t n)
{
    return mime_sniff(p, n, true);
}

static const char *mime_sniff(const uint8_t *p, size_t n, bool strict)
{
    const char *m;
    if (n == 0)
        return NULL;
    if (n >= 4 && memcmp(p, "\x89PNG", 4) == 0)
        return "image/png"; /* 110 */
    if ((m = mime_markup(p, n)) != NULL && strcmp(m, "text/html") == 0)
        return m;
    if (m && strcmp(m, "text/rss") == 0)
        return m;
    const char *bin = mime_binary(p, n);
    if (bin)
        return bin;
    if ((m = mime_ocsp(p, n)) != NULL)
        return m;
    const char *js = mime_javascript(p, n);
    if (js)
        return js;
    if ((m = mime_markup(p, n)) != NULL)
        return m;
    if ((m = mime_json(p, n)) != NULL)
        return m;
    if ((m = mime_plain(p, n)) != NULL)
        return m;
    m = mime_libmagic(p, n);
    if (strict && m && (strcmp(m, "application/zip") == 0 ||
                        strcmp(m, "application/javascript") == 0))
        return NULL;
    return m;
}
