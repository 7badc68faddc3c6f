/*
 * intel_load.c - the indicator store and the intel file loaders (intel.h).
 *
 * Store: open addressing over (type, key) with SipHash under a random key
 * (the keys come from files anyone may hand us, the lookups from traffic).
 * Keys are normalised on the way in and on lookup: string indicators
 * lowercased (Zeek compares to_lower(indicator)), domains without a
 * trailing dot, URLs without an http:// or https:// scheme; ADDR keys are
 * 16 bytes (IPv4 as ::ffff:a.b.c.d), SUBNET keys the masked 16 bytes plus
 * the prefix length in that 128-bit space.  One item per (type, key,
 * source): the same source again replaces its meta data, as Zeek's
 * Intel::insert does; other sources add to the list.
 *
 * Files: Zeek's input-framework TSV ("#fields indicator indicator_type
 * meta.source meta.desc ..." header, columns found by name, "-" unset),
 * and JA3 CSV lists (abuse.ch SSLBL: "ja3_md5,Firstseen,Lastseen,
 * Listingreason"; Salesforce: "md5,\"description\"" after a quoted
 * licence block) read as Intel::JA3 with the last column as meta.desc and
 * the file's base name as meta.source.  A bad line is counted and named,
 * never fatal.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hash.h"
#include "detect/intel.h"

#define INTEL_KEY_MAX 8192      /* longest indicator kept (bytes) */
#define INTEL_FILE_MAX (1u << 30)

struct intel_entry {
    uint64_t hash;
    uint8_t type;
    uint32_t klen;
    struct intel_meta *metas;
    char key[]; /* klen bytes (+ NUL) */
};

struct intel_store {
    uint64_t key[2];
    struct intel_entry **slots;
    size_t cap, n;
    size_t per_type[INTEL_N_TYPES];
    uint8_t prefix_used[129]; /* SUBNET prefix lengths present (128-bit space) */
};

static const char *const type_names[INTEL_N_TYPES] = {
    "Intel::ADDR",      "Intel::SUBNET",    "Intel::URL",         "Intel::SOFTWARE",
    "Intel::EMAIL",     "Intel::DOMAIN",    "Intel::USER_NAME",   "Intel::CERT_HASH",
    "Intel::PUBKEY_HASH", "Intel::FILE_HASH", "Intel::FILE_NAME", "Intel::JA3",
};

const char *intel_type_name(enum intel_type t)
{
    return (unsigned)t < INTEL_N_TYPES ? type_names[t] : "Intel::?";
}

int intel_type_parse(const char *s, size_t len)
{
    if (len > 7 && memcmp(s, "Intel::", 7) == 0)
        s += 7, len -= 7;
    for (int t = 0; t < INTEL_N_TYPES; t++) {
        const char *n = type_names[t] + 7;
        if (strlen(n) == len && memcmp(n, s, len) == 0)
            return t;
    }
    return -1;
}

struct intel_store *intel_store_new(void)
{
    struct intel_store *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->cap = 1024;
    st->slots = calloc(st->cap, sizeof(*st->slots));
    if (!st->slots) {
        free(st);
        return NULL;
    }
    core_random_key(st->key);
    return st;
}

static void meta_free(struct intel_meta *m)
{
    while (m) {
        struct intel_meta *next = m->next;
        free(m->source);
        free(m->desc);
        free(m->url);
        free(m);
        m = next;
    }
}

void intel_store_free(struct intel_store *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->cap; i++)
        if (st->slots[i]) {
            meta_free(st->slots[i]->metas);
            free(st->slots[i]);
        }
    free(st->slots);
    free(st);
}

size_t intel_store_count(const struct intel_store *st)
{
    return st->n;
}

size_t intel_store_count_type(const struct intel_store *st, enum intel_type t)
{
    return (unsigned)t < INTEL_N_TYPES ? st->per_type[t] : 0;
}

static uint64_t key_hash(const struct intel_store *st, uint8_t type, const void *k, size_t n)
{
    return core_siphash(st->key, k, n) ^ ((uint64_t)type * 0x9e3779b97f4a7c15ULL);
}

static struct intel_entry *const *find_slot(const struct intel_store *st, uint8_t type,
                                            const void *k, size_t n, uint64_t h)
{
    size_t mask = st->cap - 1, i = h & mask;
    for (;;) {
        struct intel_entry *e = st->slots[i];
        if (!e || (e->hash == h && e->type == type && e->klen == n && memcmp(e->key, k, n) == 0))
            return &st->slots[i];
        i = (i + 1) & mask;
    }
}

static const struct intel_entry *store_get(const struct intel_store *st, uint8_t type,
                                           const void *k, size_t n)
{
    if (st->n == 0)
        return NULL;
    return *find_slot(st, type, k, n, key_hash(st, type, k, n));
}

static int store_grow(struct intel_store *st)
{
    size_t ncap = st->cap * 2;
    struct intel_entry **ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return -1;
    for (size_t i = 0; i < st->cap; i++) {
        struct intel_entry *e = st->slots[i];
        if (!e)
            continue;
        size_t j = e->hash & (ncap - 1);
        while (ns[j])
            j = (j + 1) & (ncap - 1);
        ns[j] = e;
    }
    free(st->slots);
    st->slots = ns;
    st->cap = ncap;
    return 0;
}

static char *dup_opt(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Insert or update (type, key)'s meta for source.  0 or -1 (memory). */
static int store_put(struct intel_store *st, uint8_t type, const void *k, size_t n,
                     const char *source, const char *desc, const char *url, bool do_notice)
{
    if ((st->n + 1) * 2 > st->cap && store_grow(st) < 0)
        return -1;
    uint64_t h = key_hash(st, type, k, n);
    struct intel_entry **slot = (struct intel_entry **)find_slot(st, type, k, n, h);
    struct intel_entry *e = *slot;
    if (!e) {
        e = malloc(sizeof(*e) + n + 1);
        if (!e)
            return -1;
        e->hash = h, e->type = type, e->klen = (uint32_t)n, e->metas = NULL;
        memcpy(e->key, k, n);
        e->key[n] = '\0';
        *slot = e;
        st->n++;
        st->per_type[type]++;
    }
    struct intel_meta *m = e->metas, **tail = &e->metas;
    for (; m; tail = &m->next, m = m->next)
        if (strcmp(m->source, source) == 0)
            break;
    if (!m) {
        m = calloc(1, sizeof(*m));
        if (!m || !(m->source = strdup(source))) {
            free(m);
            return -1;
        }
        *tail = m;
    }
    free(m->desc);
    free(m->url);
    m->desc = dup_opt(desc);
    m->url = dup_opt(url);
    m->do_notice = do_notice;
    if ((desc && !m->desc) || (url && !m->url))
        return -1;
    return 0;
}

/* ---- normalisation ---- */

static bool has_prefix_ci(const char *s, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && strncasecmp(s, p, n) == 0;
}

/* String indicators as Zeek compares them.  Returns the key length (0:
 * nothing left, or longer than INTEL_KEY_MAX). */
static size_t norm_str(enum intel_type t, const char *s, size_t len, char *out)
{
    if (t == INTEL_URL) {
        if (has_prefix_ci(s, len, "http://"))
            s += 7, len -= 7;
        else if (has_prefix_ci(s, len, "https://"))
            s += 8, len -= 8;
    }
    if (t == INTEL_DOMAIN)
        while (len > 0 && s[len - 1] == '.')
            len--;
    if (len == 0 || len > INTEL_KEY_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    return len;
}

/* Text address to the 16-byte key.  0 or -1. */
static int addr_key(const char *s, size_t len, uint8_t k[16])
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, k + 12) == 1) {
        memset(k, 0, 10);
        k[10] = k[11] = 0xff;
        return 0;
    }
    return inet_pton(AF_INET6, buf, k) == 1 ? 0 : -1;
}

static void raddr_key(const struct raddr *a, uint8_t k[16])
{
    if (a->family == 4) {
        memset(k, 0, 10);
        k[10] = k[11] = 0xff;
        memcpy(k + 12, a->a, 4);
    } else {
        memcpy(k, a->a, 16);
    }
}

static void mask_key(uint8_t k[16], unsigned prefix)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
        if (bits < 8)
            k[i] &= (uint8_t)(0xff00u >> bits);
    }
}

/* "a.b.c.d/n" or "v6/n" to (masked key, prefix in 128-bit space). */
static int subnet_key(const char *s, size_t len, uint8_t k[17])
{
    const char *slash = memchr(s, '/', len);
    if (!slash || addr_key(s, (size_t)(slash - s), k) < 0)
        return -1;
    bool v4 = memchr(s, ':', (size_t)(slash - s)) == NULL;
    size_t pl = len - (size_t)(slash - s) - 1;
    if (pl == 0 || pl > 3)
        return -1;
    unsigned p = 0;
    for (size_t i = 0; i < pl; i++) {
        char c = slash[1 + i];
        if (c < '0' || c > '9')
            return -1;
        p = p * 10 + (unsigned)(c - '0');
    }
    if (p > (v4 ? 32u : 128u))
        return -1;
    if (v4)
        p += 96;
    mask_key(k, p);
    k[16] = (uint8_t)p;
    return 0;
}

int intel_store_add(struct intel_store *st, enum intel_type t, const char *ind, size_t len,
                    const char *source, const char *desc, const char *url, bool do_notice,
                    char *err, size_t errlen)
{
    uint8_t k[17];
    if ((unsigned)t >= INTEL_N_TYPES) {
        snprintf(err, errlen, "unknown indicator type");
        return -1;
    }
    if (!source || !*source) {
        snprintf(err, errlen, "no meta.source");
        return -1;
    }
    if (t == INTEL_ADDR) {
        if (addr_key(ind, len, k) < 0) {
            snprintf(err, errlen, "'%.*s' is not an IPv4 or IPv6 address", (int)(len > 60 ? 60 : len), ind);
            return -1;
        }
        return store_put(st, INTEL_ADDR, k, 16, source, desc, url, do_notice) < 0 ? -2 : 0;
    }
    if (t == INTEL_SUBNET) {
        if (subnet_key(ind, len, k) < 0) {
            snprintf(err, errlen, "'%.*s' is not a subnet (ADDR/PREFIX)", (int)(len > 60 ? 60 : len), ind);
            return -1;
        }
        st->prefix_used[k[16]] = 1;
        return store_put(st, INTEL_SUBNET, k, 17, source, desc, url, do_notice) < 0 ? -2 : 0;
    }
    char *buf = malloc(INTEL_KEY_MAX);
    if (!buf)
        return -2;
    size_t n = norm_str(t, ind, len, buf);
    int rc = 0;
    if (n == 0) {
        if (len > INTEL_KEY_MAX)
            snprintf(err, errlen, "indicator longer than %d bytes", INTEL_KEY_MAX);
        else
            snprintf(err, errlen, "empty indicator");
        rc = -1;
    } else if (store_put(st, (uint8_t)t, buf, n, source, desc, url, do_notice) < 0) {
        rc = -2;
    }
    free(buf);
    return rc;
}

/* ---- lookups ---- */

static void match_add(struct intel_match *m, const struct intel_entry *e)
{
    if (e && m->n < INTEL_MATCH_MAX)
        m->metas[m->n++] = e->metas;
}

bool intel_lookup_str(const struct intel_store *st, enum intel_type t, const char *s, size_t len,
                      struct intel_match *m)
{
    char buf[4096];
    m->n = 0;
    m->via_addr = m->via_subnet = false;
    if (st->per_type[t] == 0 || len == 0 || len > sizeof(buf))
        return false;
    if (t == INTEL_URL || t == INTEL_DOMAIN) {
        size_t n = norm_str(t, s, len, buf);
        match_add(m, n ? store_get(st, (uint8_t)t, buf, n) : NULL);
    } else {
        for (size_t i = 0; i < len; i++)
            buf[i] = (char)tolower((unsigned char)s[i]);
        match_add(m, store_get(st, (uint8_t)t, buf, len));
    }
    return m->n > 0;
}

bool intel_lookup_addr(const struct intel_store *st, const struct raddr *a,
                       struct intel_match *m)
{
    m->n = 0;
    m->via_addr = m->via_subnet = false;
    if (a->family != 4 && a->family != 6)
        return false;
    uint8_t k[17];
    raddr_key(a, k);
    if (st->per_type[INTEL_ADDR]) {
        const struct intel_entry *e = store_get(st, INTEL_ADDR, k, 16);
        match_add(m, e);
        m->via_addr = e != NULL;
    }
    if (st->per_type[INTEL_SUBNET]) {
        for (int p = 128; p >= 0; p--) {
            if (!st->prefix_used[p])
                continue;
            uint8_t mk[17];
            memcpy(mk, k, 16);
            mask_key(mk, (unsigned)p);
            mk[16] = (uint8_t)p;
            const struct intel_entry *e = store_get(st, INTEL_SUBNET, mk, 17);
            if (e) {
                match_add(m, e);
                m->via_subnet = true;
            }
        }
    }
    return m->n > 0;
}

/* ---- the loaders ---- */

static void report_bad(struct intel_load_report *rep, uint64_t line, const char *why)
{
    rep->rejected++;
    if (rep->n_bad < sizeof(rep->bad) / sizeof(rep->bad[0])) {
        rep->bad[rep->n_bad].line = line;
        snprintf(rep->bad[rep->n_bad].why, sizeof(rep->bad[0].why), "%s", why);
        rep->n_bad++;
    }
}

/* Column positions of a Zeek intel file. */
struct zcols {
    int n, ind, type, source, desc, url, notice;
};

#define ZCOL_MAX 64

/* Split line on tabs into at most ZCOL_MAX fields. */
static int split_tabs(char *line, char **f)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == ZCOL_MAX)
            return -1;
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            return n;
        *t = '\0';
        p = t + 1;
    }
}

static int zeek_header(char *line, struct zcols *c)
{
    char *f[ZCOL_MAX];
    int n = split_tabs(line, f);
    memset(c, -1, sizeof(*c));
    if (n < 2)
        return -1;
    c->n = n - 1; /* f[0] is "#fields" */
    for (int i = 1; i < n; i++) {
        int *slot = strcmp(f[i], "indicator") == 0        ? &c->ind
                    : strcmp(f[i], "indicator_type") == 0 ? &c->type
                    : strcmp(f[i], "meta.source") == 0    ? &c->source
                    : strcmp(f[i], "meta.desc") == 0      ? &c->desc
                    : strcmp(f[i], "meta.url") == 0       ? &c->url
                    : strcmp(f[i], "meta.do_notice") == 0 ? &c->notice
                                                          : NULL;
        if (slot)
            *slot = i - 1;
    }
    return c->ind < 0 || c->type < 0 || c->source < 0 ? -1 : 0;
}

static const char *zval(char **f, int i)
{
    if (i < 0)
        return NULL;
    const char *v = f[i];
    return strcmp(v, "-") == 0 || strcmp(v, "(empty)") == 0 || !*v ? NULL : v;
}

static int zeek_row(struct intel_store *st, const struct zcols *c, char *line, uint64_t ln,
                    struct intel_load_report *rep)
{
    char *f[ZCOL_MAX], why[160];
    int n = split_tabs(line, f);
    if (n != c->n) {
        snprintf(why, sizeof(why), "%d columns, the #fields header has %d", n < 0 ? ZCOL_MAX : n,
                 c->n);
        report_bad(rep, ln, why);
        return 0;
    }
    const char *ind = zval(f, c->ind), *ty = zval(f, c->type), *src = zval(f, c->source);
    int t = ty ? intel_type_parse(ty, strlen(ty)) : -1;
    if (!ind || t < 0 || !src) {
        if (!ind)
            snprintf(why, sizeof(why), "no indicator");
        else if (t < 0)
            snprintf(why, sizeof(why), "unknown indicator_type '%.40s'", ty ? ty : "-");
        else
            snprintf(why, sizeof(why), "no meta.source");
        report_bad(rep, ln, why);
        return 0;
    }
    const char *no = zval(f, c->notice);
    bool notice = no && (strcmp(no, "T") == 0 || strcmp(no, "true") == 0);
    if (no && !notice && strcmp(no, "F") != 0 && strcmp(no, "false") != 0) {
        report_bad(rep, ln, "meta.do_notice is not T or F");
        return 0;
    }
    int rc = intel_store_add(st, (enum intel_type)t, ind, strlen(ind), src, zval(f, c->desc),
                             zval(f, c->url), notice, why, sizeof(why));
    if (rc == -2)
        return -1;
    if (rc < 0)
        report_bad(rep, ln, why);
    else
        rep->loaded++;
    return 0;
}

static bool is_hex32(const char *s, size_t n)
{
    if (n != 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* One CSV record from *pp (quotes may span lines; "" is a quote).
 * Fields are unquoted in place into buf.  Returns the number of fields,
 * 0 at the end; *lines counts the newlines consumed. */
#define CSV_FIELDS 16
static int csv_record(const char **pp, const char *end, char *buf, size_t bufsz,
                      const char **fs, size_t *fl, uint64_t *lines)
{
    const char *p = *pp;
    if (p >= end)
        return 0;
    int n = 0;
    size_t o = 0;
    bool q = false, comment = *p == '#'; /* a comment line is taken whole, quotes and all */
    fs[0] = buf, fl[0] = 0;
    for (; p < end; p++) {
        if (comment && *p != '\n') {
            if (o + 1 < bufsz)
                buf[o++] = *p;
            continue;
        }
        char ch = *p;
        if (q) {
            if (ch == '"' && p + 1 < end && p[1] == '"')
                p++;
            else if (ch == '"') {
                q = false;
                continue;
            }
            if (ch == '\n')
                (*lines)++;
        } else if (ch == '"') {
            q = true;
            continue;
        } else if (ch == ',') {
            if (n + 1 < CSV_FIELDS) {
                fl[n] = (size_t)(buf + o - fs[n]);
                n++;
                fs[n] = buf + o;
            }
            continue;
        } else if (ch == '\n') {
            (*lines)++;
            p++;
            break;
        } else if (ch == '\r') {
            continue;
        }
        if (o + 1 < bufsz)
            buf[o++] = ch;
    }
    fl[n] = (size_t)(buf + o - fs[n]);
    *pp = p;
    return n + 1;
}

static void csv_source(const char *name, char *out, size_t n)
{
    const char *b = strrchr(name, '/');
    b = b ? b + 1 : name;
    size_t len = strlen(b);
    if (len > 4 && strcasecmp(b + len - 4, ".csv") == 0)
        len -= 4;
    snprintf(out, n, "%.*s", (int)len, b);
}

static int csv_load(struct intel_store *st, const char *name, const char *text, size_t len,
                    struct intel_load_report *rep)
{
    const char *p = text, *end = text + len;
    char src[256], why[160];
    csv_source(name, src, sizeof(src));
    char *buf = malloc(len + 1);
    if (!buf)
        return -1;
    uint64_t line = 1;
    int nf;
    const char *fs[CSV_FIELDS];
    size_t fl[CSV_FIELDS];
    bool first = true;
    uint64_t ln = line;
    while ((nf = csv_record(&p, end, buf, len + 1, fs, fl, &line)) > 0) {
        uint64_t rec_line = ln; /* where this record started */
        ln = line;
        const char *f0 = fs[0];
        size_t l0 = fl[0];
        while (l0 && (*f0 == ' ' || *f0 == '\t'))
            f0++, l0--;
        if ((nf == 1 && l0 == 0) || (l0 && *f0 == '#')) {
            rep->skipped++;
            first = false;
            continue;
        }
        if (!is_hex32(f0, l0)) {
            if (first) { /* a header row or a licence block */
                rep->skipped++;
                first = false;
                continue;
            }
            report_bad(rep, rec_line, "the first column is not a JA3 MD5 (32 hex digits)");
            continue;
        }
        first = false;
        char desc[512];
        snprintf(desc, sizeof(desc), "%.*s", nf > 1 ? (int)fl[nf - 1] : 0,
                 nf > 1 ? fs[nf - 1] : "");
        int rc = intel_store_add(st, INTEL_JA3, f0, l0, src, desc[0] ? desc : NULL, NULL, false,
                                 why, sizeof(why));
        if (rc == -2) {
            free(buf);
            return -1;
        }
        if (rc < 0)
            report_bad(rep, rec_line, why);
        else
            rep->loaded++;
    }
    free(buf);
    return 0;
}

static bool looks_csv(const char *name, const char *text, size_t len)
{
    size_t nl = strlen(name);
    if (nl > 4 && strcasecmp(name + nl - 4, ".csv") == 0)
        return true;
    /* no #fields header and a first data line "<32 hex>," */
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
        if (n >= 7 && memcmp(p, "#fields", 7) == 0)
            return false;
        if (n > 0 && *p != '#')
            return n > 32 && p[32] == ',' && is_hex32(p, 32);
        p += n + 1;
    }
    return false;
}

int intel_load_text(struct intel_store *st, const char *name, const char *text, size_t len,
                    struct intel_load_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    if (looks_csv(name, text, len))
        return csv_load(st, name, text, len, rep);
    char *line = malloc(len + 1);
    if (!line)
        return -1;
    struct zcols c;
    bool have_hdr = false;
    uint64_t ln = 0;
    const char *p = text, *end = text + len;
    int rc = 0;
    while (p < end && rc == 0) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
        ln++;
        memcpy(line, p, n);
        p = e ? e + 1 : end;
        if (n && line[n - 1] == '\r')
            n--;
        line[n] = '\0';
        if (memchr(line, '\0', n)) {
            report_bad(rep, ln, "a NUL byte in the line");
        } else if (n >= 7 && memcmp(line, "#fields", 7) == 0 && (n == 7 || line[7] == '\t')) {
            rep->skipped++;
            have_hdr = zeek_header(line, &c) == 0;
            if (!have_hdr)
                report_bad(rep, ln, "#fields lacks indicator, indicator_type or meta.source");
        } else if (n == 0 || line[0] == '#') {
            rep->skipped++;
        } else if (!have_hdr) {
            report_bad(rep, ln, "a data line before a usable #fields header");
        } else {
            rc = zeek_row(st, &c, line, ln, rep);
        }
    }
    free(line);
    return rc;
}

static int read_file(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read the intel file %s: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (n < cap)
            break;
        if (cap >= INTEL_FILE_MAX) {
            snprintf(err, errlen, "the intel file %s is larger than 1 GiB", path);
            free(buf);
            fclose(f);
            return -1;
        }
        char *nb = realloc(buf, cap * 2);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        snprintf(err, errlen, "cannot read the intel file %s: %s", path,
                 buf ? "read error" : "out of memory");
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = n;
    return 0;
}

static int load_one(struct intel_store *st, const char *path, FILE *log, char *err, size_t errlen)
{
    char *text;
    size_t len;
    if (read_file(path, &text, &len, err, errlen) < 0)
        return -1;
    struct intel_load_report rep;
    int rc = intel_load_text(st, path, text, len, &rep);
    free(text);
    if (rc < 0) {
        snprintf(err, errlen, "out of memory loading the intel file %s", path);
        return -1;
    }
    if (log) {
        fprintf(log, "vigil: intel: %s: %llu loaded, %llu rejected\n", path,
                (unsigned long long)rep.loaded, (unsigned long long)rep.rejected);
        for (size_t i = 0; i < rep.n_bad; i++)
            fprintf(log, "vigil: intel: %s:%llu: %s\n", path,
                    (unsigned long long)rep.bad[i].line, rep.bad[i].why);
        if (rep.rejected > rep.n_bad)
            fprintf(log, "vigil: intel: %s: ... %llu more bad lines\n", path,
                    (unsigned long long)(rep.rejected - rep.n_bad));
    }
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool intel_file_name(const char *n)
{
    size_t l = strlen(n);
    return n[0] != '.' && ((l > 6 && strcmp(n + l - 6, ".intel") == 0) ||
                           (l > 4 && strcasecmp(n + l - 4, ".csv") == 0));
}

static int load_path(struct intel_store *st, const char *path, FILE *log, char *err,
                     size_t errlen, int depth)
{
    struct stat sb;
    if (stat(path, &sb) < 0) {
        snprintf(err, errlen, "cannot read the intel path %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode))
        return load_one(st, path, log, err, errlen);
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "cannot read the intel directory %s: %s", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        bool sub = de->d_name[0] != '.' && depth < 8 &&
                   (de->d_type == DT_DIR || de->d_type == DT_LNK || de->d_type == DT_UNKNOWN);
        if (!intel_file_name(de->d_name) && !sub)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = realloc(names, cap * sizeof(*names));
            if (!nn) {
                rc = -1;
                break;
            }
            names = nn;
        }
        size_t pl = strlen(path) + strlen(de->d_name) + 2;
        if (!(names[n] = malloc(pl))) {
            rc = -1;
            break;
        }
        snprintf(names[n], pl, "%s/%s", path, de->d_name);
        struct stat ss;
        if (!intel_file_name(de->d_name) && (stat(names[n], &ss) < 0 || !S_ISDIR(ss.st_mode)))
            free(names[n]);
        else
            n++;
    }
    closedir(d);
    if (rc < 0)
        snprintf(err, errlen, "out of memory listing %s", path);
    if (n > 1)
        qsort(names, n, sizeof(*names), name_cmp);
    if (rc == 0 && n == 0 && log)
        fprintf(log, "vigil: intel: %s: no *.intel or *.csv files\n", path);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat ss;
        if (stat(names[i], &ss) == 0 && S_ISDIR(ss.st_mode))
            rc = load_path(st, names[i], log, err, errlen, depth + 1);
        else
            rc = load_one(st, names[i], log, err, errlen);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int intel_load_path(struct intel_store *st, const char *path, FILE *log, char *err,
                    size_t errlen)
{
    return load_path(st, path, log, err, errlen, 0);
}
