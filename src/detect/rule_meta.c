/*
 * rule_meta.c - the meta keywords: msg, sid, rev, gid, priority, target,
 * classtype (resolved through classification.config), reference
 * (resolved through reference.config) and metadata.
 *
 * Follows the Suricata rules reference ("Meta keywords").  Grammars:
 *
 *     msg       := '"' TEXT '"'            \" \; \\ escapes are decoded
 *     sid, rev, gid := N                   (sid and gid >= 1)
 *     priority  := 1..255
 *     target    := src_ip | dest_ip
 *     classtype := NAME                    must be defined when a
 *                                          classification.config is loaded
 *     reference := SYSTEM "," ID           SYSTEM must be defined when a
 *                                          reference.config is loaded
 *     metadata  := KEY [" " VALUE] ("," KEY [" " VALUE])*
 *
 * While a rule is parsed each string is its own allocation; once it is
 * accepted rule_meta_pack() moves msg and the references into one block
 * and the strings rules share (classtype, class description, metadata keys
 * and values) into the ruleset's string pool.  ET Open's rules carry about
 * ten metadata entries and two references each: ~25 small allocations per
 * rule were ~15 MB of heap and malloc overhead over the 24,764 rules, and
 * their 186,000 metadata strings are 4,000 distinct ones.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/rule_int.h"

static char *msg_unescape(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1), *o = d;
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n)
            i++;
        *o++ = s[i];
    }
    *o = '\0';
    return d;
}

int rule_kw_meta(struct rule_pctx *p, char *val, int arg)
{
    struct rule *r = p->r;
    uint32_t v;
    switch (arg) {
    case 0: /* msg */
        if (r->msg)
            return rule_fail(p, RULE_ERR_INVALID, "given twice");
        {
            size_t n = strlen(val);
            if (n < 2 || val[0] != '"' || val[n - 1] != '"')
                return rule_fail(p, RULE_ERR_INVALID, "value must be a quoted string");
            val[n - 1] = '\0';
        }
        r->msg = msg_unescape(val + 1);
        return r->msg ? 0 : rule_fail(p, RULE_ERR_INVALID, "out of memory");
    case 1: /* sid */
    case 2: /* rev */
    case 3: /* gid */
        if (rule_parse_u32(val, 0xffffffffu, &v) < 0 || (arg != 2 && v == 0))
            return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not a %snumber", val,
                             arg == 2 ? "" : "positive ");
        {
            uint32_t *dst = arg == 1 ? &r->sid : arg == 2 ? &r->rev : &r->gid;
            if (*dst)
                return rule_fail(p, RULE_ERR_INVALID, "given twice");
            *dst = v;
        }
        return 0;
    case 4: /* priority */
        if (rule_parse_u32(val, 255, &v) < 0 || v == 0)
            return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not 1 to 255", val);
        r->priority = (int)v;
        return 0;
    case 5: /* target */
        if (r->target)
            return rule_fail(p, RULE_ERR_INVALID, "given twice");
        if (strcmp(val, "src_ip") == 0)
            r->target = 1;
        else if (strcmp(val, "dest_ip") == 0)
            r->target = 2;
        else
            return rule_fail(p, RULE_ERR_INVALID, "'%.20s' is not src_ip or dest_ip", val);
        return 0;
    }
    return rule_fail(p, RULE_ERR_INVALID, "internal: bad meta keyword");
}

/* A copy of s: the pool's with RULE_META_POOLED, else the rule's own. */
static char *meta_strdup(struct rule_pctx *p, const char *s)
{
    if (p->r->meta_flags & RULE_META_POOLED)
        return rule_strpool_get(p->rs->strpool, s);
    return rule_strndup(s, strlen(s));
}

int rule_kw_classtype(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule *r = p->r;
    if (r->classtype)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    if (!rule_valid_name(val))
        return rule_fail(p, RULE_ERR_INVALID, "bad class name '%.40s'", val);
    const struct rule_class *c = NULL;
    for (size_t i = 0; i < p->rs->n_classes; i++)
        if (strcmp(p->rs->classes[i].name, val) == 0)
            c = &p->rs->classes[i];
    if (!c && p->rs->have_classes)
        return rule_fail(p, RULE_ERR_INVALID, "class '%.40s' is not in classification.config",
                         val);
    r->classtype = meta_strdup(p, val);
    if (!r->classtype)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    if (c) {
        if (!(r->class_desc = meta_strdup(p, c->desc)))
            return rule_fail(p, RULE_ERR_INVALID, "out of memory");
        if (r->priority == 0)
            r->priority = c->priority;
    }
    return 0;
}

/* Room for entry n of a key/value array grown by doubling (ET's rules
 * carry ten metadata entries each: growing by one was 250,000 reallocs). */
static int kv_grow(struct rule_kv **v, uint32_t n)
{
    if (n & (n - 1)) /* n is not 0 or a power of two: there is room */
        return 0;
    struct rule_kv *nv = realloc(*v, (n ? (size_t)n * 2 : 4) * sizeof *nv);
    if (!nv)
        return -1;
    *v = nv;
    return 0;
}

/* key and value in one allocation (the key's: rule_free frees only it). */
static int kv_set(struct rule_kv *kv, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = strlen(value);
    char *s = malloc(kl + vl + 2);
    if (!s)
        return -1;
    memcpy(s, key, kl + 1);
    memcpy(s + kl + 1, value, vl + 1);
    kv->key = s;
    kv->value = s + kl + 1;
    return 0;
}

int rule_kw_reference(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule *r = p->r;
    char *comma = strchr(val, ',');
    if (!comma)
        return rule_fail(p, RULE_ERR_INVALID, "expected 'system,id'");
    *comma = '\0';
    char *sys = rule_trim(val), *id = rule_unquote(rule_trim(comma + 1));
    if (!*sys || !*id)
        return rule_fail(p, RULE_ERR_INVALID, "expected 'system,id'");
    const struct rule_refsys *rsys = NULL;
    for (size_t i = 0; i < p->rs->n_refsys; i++)
        if (strcasecmp(p->rs->refsys[i].name, sys) == 0)
            rsys = &p->rs->refsys[i];
    if (!rsys && p->rs->have_refsys)
        return rule_fail(p, RULE_ERR_INVALID, "system '%.40s' is not in reference.config", sys);
    if (r->n_refs >= 256)
        return rule_fail(p, RULE_ERR_INVALID, "more than 256 references");
    struct rule_kv *nr = r->refs;
    int grow = kv_grow(&nr, r->n_refs);
    r->refs = nr;
    if (grow == 0 && !(r->n_refs & (r->n_refs - 1))) { /* the urls grow alike */
        char **nu = realloc(r->ref_urls, (r->n_refs ? (size_t)r->n_refs * 2 : 4) * sizeof *nu);
        if (nu)
            r->ref_urls = nu;
        else
            grow = -1;
    }
    if (grow < 0 || kv_set(&nr[r->n_refs], sys, id) < 0)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    char *url = NULL;
    if (rsys) {
        size_t ul = strlen(rsys->url), il = strlen(id);
        if ((url = malloc(ul + il + 1)) == NULL) {
            free(nr[r->n_refs].key);
            return rule_fail(p, RULE_ERR_INVALID, "out of memory");
        }
        memcpy(url, rsys->url, ul);
        memcpy(url + ul, id, il + 1);
    }
    r->ref_urls[r->n_refs] = url;
    r->n_refs++;
    return 0;
}

int rule_kw_metadata(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule *r = p->r;
    char *parts[128];
    int n = rule_split(val, ',', parts, 128);
    if (n < 0)
        return rule_fail(p, RULE_ERR_INVALID, "more than 128 entries");
    if (r->n_metadata + (uint32_t)n > 1024)
        return rule_fail(p, RULE_ERR_INVALID, "more than 1024 entries");
    /* room for all n at once (usually the rule's only metadata keyword) */
    struct rule_kv *nm = realloc(r->metadata, (r->n_metadata + (size_t)n) * sizeof *nm);
    if (!nm)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    r->metadata = nm;
    for (int i = 0; i < n; i++) {
        if (!*parts[i])
            continue;
        char *sp = parts[i];
        while (*sp && !isspace((unsigned char)*sp))
            sp++;
        char *value = "";
        if (*sp) {
            *sp = '\0';
            value = rule_trim(sp + 1);
        }
        struct rule_kv *kv = &nm[r->n_metadata];
        if (r->meta_flags & RULE_META_POOLED) {
            kv->key = rule_strpool_get(p->rs->strpool, parts[i]);
            kv->value = kv->key ? rule_strpool_get(p->rs->strpool, value) : NULL;
            if (!kv->value)
                return rule_fail(p, RULE_ERR_INVALID, "out of memory");
        } else if (kv_set(kv, parts[i], value) < 0) {
            return rule_fail(p, RULE_ERR_INVALID, "out of memory");
        }
        r->n_metadata++;
    }
    return 0;
}

/* ---- the ruleset's string pool ----------------------------------------- */

#define POOL_CHUNK (64u * 1024)

struct rule_strpool {
    char **slot; /* open addressing on the strings, cap a power of two */
    size_t cap, n;
    char **chunks; /* the strings live here; the last one is being filled */
    size_t n_chunks, cap_chunks;
    size_t used, room; /* in the last chunk */
};

struct rule_strpool *rule_strpool_new(void)
{
    return calloc(1, sizeof(struct rule_strpool));
}

void rule_strpool_free(struct rule_strpool *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_chunks; i++)
        free(p->chunks[i]);
    free(p->chunks);
    free(p->slot);
    free(p);
}

static char **pool_slot(char **slot, size_t cap, const char *s)
{
    size_t j = rule_strhash(s, 0) & (cap - 1);
    while (slot[j] && strcmp(slot[j], s) != 0)
        j = (j + 1) & (cap - 1);
    return &slot[j];
}

/* Room for n bytes: the last chunk, a new one, or (long strings) their own. */
static char *pool_alloc(struct rule_strpool *p, size_t n)
{
    if (p->n_chunks && n <= p->room - p->used) {
        char *d = p->chunks[p->n_chunks - 1] + p->used;
        p->used += n;
        return d;
    }
    if (p->n_chunks == p->cap_chunks) {
        size_t cap = p->cap_chunks ? p->cap_chunks * 2 : 16;
        char **nc = realloc(p->chunks, cap * sizeof *nc);
        if (!nc)
            return NULL;
        p->chunks = nc;
        p->cap_chunks = cap;
    }
    size_t size = n > POOL_CHUNK / 4 ? n : POOL_CHUNK;
    char *c = malloc(size);
    if (!c)
        return NULL;
    if (size == n && p->n_chunks) { /* keep filling the current chunk */
        p->chunks[p->n_chunks] = p->chunks[p->n_chunks - 1];
        p->chunks[p->n_chunks - 1] = c;
        p->n_chunks++;
        return c;
    }
    p->chunks[p->n_chunks++] = c;
    p->used = n;
    p->room = size;
    return c;
}

char *rule_strpool_get(struct rule_strpool *p, const char *s)
{
    if (p->cap == 0 || (p->n + 1) * 2 > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        char **ns = calloc(cap, sizeof *ns);
        if (!ns)
            return NULL;
        for (size_t i = 0; i < p->cap; i++)
            if (p->slot[i])
                *pool_slot(ns, cap, p->slot[i]) = p->slot[i];
        free(p->slot);
        p->slot = ns;
        p->cap = cap;
    }
    char **e = pool_slot(p->slot, p->cap, s);
    if (*e)
        return *e;
    size_t n = strlen(s) + 1;
    char *d = pool_alloc(p, n);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    p->n++;
    return *e = d;
}

/* ---- one block per rule ------------------------------------------------ */

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Size of a key/value pair stored as "key\0value\0" (kv_set). */
static size_t kv_size(const struct rule_kv *kv)
{
    return strlen(kv->key) + 1 + strlen(kv->value) + 1;
}

static char *put_str(char **at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = *at;
    memcpy(d, s, n);
    *at += n;
    return d;
}

static void put_kv(char **at, struct rule_kv *dst, const struct rule_kv *src)
{
    dst->key = put_str(at, src->key);
    dst->value = put_str(at, src->value);
}

void rule_meta_pack(struct rule *r)
{
    if ((r->meta_flags & RULE_META_PACKED) || !r->msg)
        return;
    int own = !(r->meta_flags & RULE_META_POOLED); /* classtype, metadata strings in the block */
    size_t strs = str_size(r->msg), arrays;
    strs = (strs + 7) & ~(size_t)7; /* the arrays follow msg, aligned */
    arrays = r->n_refs * (sizeof *r->refs + sizeof *r->ref_urls) +
             r->n_metadata * sizeof *r->metadata;
    size_t rest = 0;
    if (own) {
        rest += str_size(r->classtype) + str_size(r->class_desc);
        for (uint32_t i = 0; i < r->n_metadata; i++)
            rest += kv_size(&r->metadata[i]);
    }
    for (uint32_t i = 0; i < r->n_refs; i++)
        rest += kv_size(&r->refs[i]) + str_size(r->ref_urls[i]);
    char *block = malloc(strs + arrays + rest);
    if (!block)
        return;
    struct rule_kv *refs = r->n_refs ? (struct rule_kv *)(void *)(block + strs) : NULL;
    char **urls = r->n_refs ? (char **)(void *)(block + strs + r->n_refs * sizeof *refs) : NULL;
    struct rule_kv *md = r->n_metadata ? (struct rule_kv *)(void *)(block + strs + r->n_refs *
                                              (sizeof *refs + sizeof *urls)) : NULL;
    char *at = block;
    put_str(&at, r->msg);
    at = block + strs + arrays;
    char *classtype = own ? put_str(&at, r->classtype) : r->classtype;
    char *class_desc = own ? put_str(&at, r->class_desc) : r->class_desc;
    for (uint32_t i = 0; i < r->n_refs; i++) {
        put_kv(&at, &refs[i], &r->refs[i]);
        urls[i] = put_str(&at, r->ref_urls[i]);
    }
    for (uint32_t i = 0; i < r->n_metadata; i++) {
        if (own)
            put_kv(&at, &md[i], &r->metadata[i]);
        else
            md[i] = r->metadata[i];
    }
    rule_meta_free(r);
    r->msg = block;
    r->classtype = classtype;
    r->class_desc = class_desc;
    r->refs = refs;
    r->ref_urls = urls;
    r->metadata = md;
    r->meta_flags |= RULE_META_PACKED;
}

void rule_meta_free(struct rule *r)
{
    int own = !(r->meta_flags & RULE_META_POOLED);
    free(r->msg);
    if (!(r->meta_flags & RULE_META_PACKED)) {
        if (own) {
            free(r->classtype);
            free(r->class_desc);
        }
        for (uint32_t i = 0; i < r->n_refs; i++) {
            free(r->refs[i].key); /* the value is in the key's allocation (kv_set) */
            free(r->ref_urls[i]);
        }
        free(r->refs);
        free(r->ref_urls);
        for (uint32_t i = 0; own && i < r->n_metadata; i++)
            free(r->metadata[i].key); /* and the value */
        free(r->metadata);
    }
    r->msg = r->classtype = r->class_desc = NULL;
    r->refs = r->metadata = NULL;
    r->ref_urls = NULL;
    r->meta_flags &= (uint8_t)~RULE_META_PACKED;
}
