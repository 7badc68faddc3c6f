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
    r->classtype = rule_strndup(val, strlen(val));
    if (!r->classtype)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    if (c) {
        r->class_desc = rule_strndup(c->desc, strlen(c->desc));
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
        if (r->n_metadata >= 1024)
            return rule_fail(p, RULE_ERR_INVALID, "more than 1024 entries");
        struct rule_kv *nm = r->metadata;
        if (kv_grow(&nm, r->n_metadata) < 0)
            return rule_fail(p, RULE_ERR_INVALID, "out of memory");
        r->metadata = nm;
        if (kv_set(&nm[r->n_metadata], parts[i], value) < 0)
            return rule_fail(p, RULE_ERR_INVALID, "out of memory");
        r->n_metadata++;
    }
    return 0;
}
