/*
 * rule_load.c - a ruleset: rules files read line by line into rules, the
 * variables, classification.config and reference.config, the count of
 * loaded, rejected and disabled rules, and one error per rejection.
 *
 * Follows the Suricata user guide ("Rules format", "Rule Management":
 * one rule per line, a line ending in '\' continues on the next, '#'
 * starts a comment; a commented-out rule "#alert ..." is disabled;
 * classification.config lines "config classification: name,desc,prio";
 * reference.config lines "config reference: system url").  Vars file
 * grammar (Vigil's own, YAML-ish):
 *
 *     line := NAME ":" VALUE | "#" comment | blank     VALUE may be quoted
 *
 * Default variables are those of Suricata's default suricata.yaml.
 * Duplicate (gid, sid) pairs are rejected as Suricata rejects them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule_int.h"

static const char *const default_vars[][2] = {
    {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
    {"EXTERNAL_NET", "!$HOME_NET"},
    {"HTTP_SERVERS", "$HOME_NET"},
    {"SMTP_SERVERS", "$HOME_NET"},
    {"SQL_SERVERS", "$HOME_NET"},
    {"DNS_SERVERS", "$HOME_NET"},
    {"TELNET_SERVERS", "$HOME_NET"},
    {"AIM_SERVERS", "$EXTERNAL_NET"},
    {"DC_SERVERS", "$HOME_NET"},
    {"DNP3_SERVER", "$HOME_NET"},
    {"DNP3_CLIENT", "$HOME_NET"},
    {"MODBUS_CLIENT", "$HOME_NET"},
    {"MODBUS_SERVER", "$HOME_NET"},
    {"ENIP_CLIENT", "$HOME_NET"},
    {"ENIP_SERVER", "$HOME_NET"},
    {"HTTP_PORTS", "80"},
    {"SHELLCODE_PORTS", "!80"},
    {"ORACLE_PORTS", "1521"},
    {"SSH_PORTS", "22"},
    {"DNP3_PORTS", "20000"},
    {"MODBUS_PORTS", "502"},
    {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
    {"FTP_PORTS", "21"},
    {"GENEVE_PORTS", "6081"},
    {"VXLAN_PORTS", "4789"},
    {"TEREDO_PORTS", "3544"},
};

int ruleset_init(struct ruleset *rs)
{
    memset(rs, 0, sizeof *rs);
    rs->set_memo = rule_set_memo_new(); /* NULL (out of memory): sets are not shared */
    rs->strpool = rule_strpool_new();   /* NULL: strings are not shared */
    for (size_t i = 0; i < sizeof default_vars / sizeof default_vars[0]; i++)
        if (rule_vars_set(&rs->vars, default_vars[i][0], default_vars[i][1]) < 0)
            return -1;
    return 0;
}

void ruleset_free(struct ruleset *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        rule_free(rs->rules[i]);
    free(rs->rules);
    rule_set_memo_free(rs->set_memo);
    rule_strpool_free(rs->strpool);
    free(rs->errors);
    rule_vars_free(&rs->vars);
    for (size_t i = 0; i < rs->n_classes; i++) {
        free(rs->classes[i].name);
        free(rs->classes[i].desc);
    }
    free(rs->classes);
    for (size_t i = 0; i < rs->n_refsys; i++) {
        free(rs->refsys[i].name);
        free(rs->refsys[i].url);
    }
    free(rs->refsys);
    free(rs->sid_slots);
    memset(rs, 0, sizeof *rs);
}

/* Read a whole file (capped at 256 MiB).  Caller frees. */
static char *file_slurp(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap >= (256u << 20)) {
                snprintf(err, errlen, "%s is larger than 256 MiB", path);
                free(buf);
                buf = NULL;
                break;
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
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (buf && ferror(f)) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        free(buf);
        buf = NULL;
    } else if (!buf && !err[0]) {
        snprintf(err, errlen, "out of memory reading %s", path);
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* Iterate over the lines of a config file: calls fn(line, lineno). */
static int config_lines(const char *path, int (*fn)(struct ruleset *, char *, unsigned, char *,
                                                     size_t),
                        struct ruleset *rs, char *err, size_t errlen)
{
    size_t len;
    err[0] = '\0';
    char *text = file_slurp(path, &len, err, errlen);
    if (!text)
        return -1;
    unsigned lineno = 0;
    char *save = text;
    for (char *line = text; line && *line; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        char *t = rule_trim(line);
        if (!*t || *t == '#')
            continue;
        if (fn(rs, t, lineno, err, errlen) < 0) {
            size_t el = strlen(err);
            char tmp[512];
            snprintf(tmp, sizeof tmp, "%s:%u: %.*s", path, lineno, (int)el, err);
            snprintf(err, errlen, "%s", tmp);
            free(text);
            return -1;
        }
    }
    free(text);
    return 0;
}

static int vars_line(struct ruleset *rs, char *t, unsigned lineno, char *err, size_t errlen)
{
    (void)lineno;
    char *colon = strchr(t, ':');
    if (!colon) {
        snprintf(err, errlen, "expected 'NAME: value'");
        return -1;
    }
    *colon = '\0';
    char *name = rule_trim(t), *val = rule_trim(colon + 1);
    if (*name == '$')
        name++;
    val = rule_unquote(val);
    if (!rule_valid_name(name) || strpbrk(name, "|&:/.") || !*val) {
        snprintf(err, errlen, "bad variable name or empty value");
        return -1;
    }
    if (rule_vars_set(&rs->vars, name, val) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int ruleset_load_vars(struct ruleset *rs, const char *path, char *err, size_t errlen)
{
    return config_lines(path, vars_line, rs, err, errlen);
}

static int class_line(struct ruleset *rs, char *t, unsigned lineno, char *err, size_t errlen)
{
    (void)lineno;
    static const char pfx[] = "config classification:";
    if (strncmp(t, pfx, sizeof pfx - 1) != 0) {
        snprintf(err, errlen, "expected 'config classification: name,description,priority'");
        return -1;
    }
    char *parts[4];
    uint32_t prio;
    if (rule_split(t + sizeof pfx - 1, ',', parts, 3) != 3 || !rule_valid_name(parts[0]) ||
        rule_parse_u32(parts[2], 255, &prio) < 0 || prio == 0) {
        snprintf(err, errlen, "expected 'name,description,priority (1-255)'");
        return -1;
    }
    if (rs->n_classes >= 4096) {
        snprintf(err, errlen, "more than 4096 classes");
        return -1;
    }
    struct rule_class *nc = realloc(rs->classes, (rs->n_classes + 1) * sizeof *nc);
    if (!nc)
        goto oom;
    rs->classes = nc;
    nc[rs->n_classes] = (struct rule_class){rule_strndup(parts[0], strlen(parts[0])),
                                            rule_strndup(parts[1], strlen(parts[1])), (int)prio};
    rs->n_classes++;
    if (!nc[rs->n_classes - 1].name || !nc[rs->n_classes - 1].desc)
        goto oom;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

int ruleset_load_classification(struct ruleset *rs, const char *path, char *err, size_t errlen)
{
    rs->have_classes = 1;
    return config_lines(path, class_line, rs, err, errlen);
}

static int ref_line(struct ruleset *rs, char *t, unsigned lineno, char *err, size_t errlen)
{
    (void)lineno;
    static const char pfx[] = "config reference:";
    if (strncmp(t, pfx, sizeof pfx - 1) != 0) {
        snprintf(err, errlen, "expected 'config reference: system url'");
        return -1;
    }
    char *s = rule_trim(t + sizeof pfx - 1), *sp = s;
    while (*sp && !isspace((unsigned char)*sp))
        sp++;
    if (!*sp) {
        snprintf(err, errlen, "expected 'config reference: system url'");
        return -1;
    }
    *sp = '\0';
    char *url = rule_trim(sp + 1);
    if (rs->n_refsys >= 4096) {
        snprintf(err, errlen, "more than 4096 reference systems");
        return -1;
    }
    struct rule_refsys *nr = realloc(rs->refsys, (rs->n_refsys + 1) * sizeof *nr);
    if (!nr) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rs->refsys = nr;
    nr[rs->n_refsys] =
        (struct rule_refsys){rule_strndup(s, strlen(s)), rule_strndup(url, strlen(url))};
    rs->n_refsys++;
    if (!nr[rs->n_refsys - 1].name || !nr[rs->n_refsys - 1].url) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int ruleset_load_reference(struct ruleset *rs, const char *path, char *err, size_t errlen)
{
    rs->have_refsys = 1;
    return config_lines(path, ref_line, rs, err, errlen);
}

/* ---- duplicate sids -------------------------------------------------- */

static uint64_t sid_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

/* 1 if newly added, 0 if present, -1 on allocation failure. */
static int sid_add(struct ruleset *rs, uint32_t gid, uint32_t sid)
{
    uint64_t key = (uint64_t)gid << 32 | sid; /* sid >= 1 so key != 0 */
    if ((rs->sid_used + 1) * 2 > rs->sid_cap) {
        size_t cap = rs->sid_cap ? rs->sid_cap * 2 : 1024;
        uint64_t *ns = calloc(cap, sizeof *ns);
        if (!ns)
            return -1;
        for (size_t i = 0; i < rs->sid_cap; i++) {
            if (!rs->sid_slots[i])
                continue;
            size_t j = sid_hash(rs->sid_slots[i]) & (cap - 1);
            while (ns[j])
                j = (j + 1) & (cap - 1);
            ns[j] = rs->sid_slots[i];
        }
        free(rs->sid_slots);
        rs->sid_slots = ns;
        rs->sid_cap = cap;
    }
    size_t j = sid_hash(key) & (rs->sid_cap - 1);
    while (rs->sid_slots[j]) {
        if (rs->sid_slots[j] == key)
            return 0;
        j = (j + 1) & (rs->sid_cap - 1);
    }
    rs->sid_slots[j] = key;
    rs->sid_used++;
    return 1;
}

/* ---- rules ----------------------------------------------------------- */

static void ruleset_reject(struct ruleset *rs, const struct rule_error *e)
{
    rs->rejected++;
    if (rs->n_errors == rs->cap_errors) {
        size_t cap = rs->cap_errors ? rs->cap_errors * 2 : 64;
        struct rule_error *ne = realloc(rs->errors, cap * sizeof *ne);
        if (!ne)
            return; /* counted, message dropped */
        rs->errors = ne;
        rs->cap_errors = cap;
    }
    rs->errors[rs->n_errors++] = *e;
}

static int ruleset_add(struct ruleset *rs, struct rule *r)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 256;
        struct rule **nr = realloc(rs->rules, cap * sizeof *nr);
        if (!nr)
            return -1;
        rs->rules = nr;
        rs->cap = cap;
    }
    rs->rules[rs->n++] = r;
    return 0;
}

static int is_action_word(const char *s)
{
    static const char *const acts[] = {"alert", "pass", "drop", "reject", "rejectsrc",
                                       "rejectdst", "rejectboth"};
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
        size_t n = strlen(acts[i]);
        if (strncmp(s, acts[i], n) == 0 && isspace((unsigned char)s[n]))
            return 1;
    }
    return 0;
}

static void rule_text_load(struct ruleset *rs, const char *name, unsigned lineno, const char *t,
                           size_t len)
{
    struct rule_error e;
    struct rule *r = rule_parse(rs, t, len, name, lineno, &e);
    if (!r) {
        ruleset_reject(rs, &e);
        return;
    }
    int added = sid_add(rs, r->gid, r->sid);
    if (added <= 0) {
        memset(&e, 0, sizeof e);
        e.kind = RULE_ERR_INVALID;
        e.sid = r->sid;
        snprintf(e.keyword, sizeof e.keyword, "sid");
        snprintf(e.msg, sizeof e.msg, "%s:%u: rule sid %u: sid: %s", name, lineno, r->sid,
                 added == 0 ? "duplicate sid (gid and sid already loaded)" : "out of memory");
        rule_free(r);
        ruleset_reject(rs, &e);
        return;
    }
    if (ruleset_add(rs, r) < 0) {
        rule_free(r);
        rs->rejected++;
    }
}

int ruleset_load_text(struct ruleset *rs, const char *name, const char *text, size_t len)
{
    size_t pos = 0;
    unsigned lineno = 0;
    char *acc = malloc(RULE_TEXT_MAX + 1);
    if (!acc)
        return -1;
    size_t alen = 0;
    unsigned start_line = 0;
    int overflow = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos); /* 20 MB for ET Open */
        size_t e = nl ? (size_t)(nl - text) : len;
        lineno++;
        size_t l = e - pos;
        const char *line = text + pos;
        pos = e < len ? e + 1 : e;
        while (l > 0 && (line[l - 1] == '\r' || isspace((unsigned char)line[l - 1])))
            l--;
        if (alen == 0) {
            while (l > 0 && isspace((unsigned char)*line))
                line++, l--;
            if (l == 0)
                continue;
            start_line = lineno;
        }
        int cont = l > 0 && line[l - 1] == '\\';
        if (cont)
            l--;
        if (alen + l > RULE_TEXT_MAX)
            overflow = 1;
        else {
            memcpy(acc + alen, line, l);
            alen += l;
        }
        if (cont && pos < len)
            continue;
        acc[alen] = '\0';
        const char *t = acc;
        if (overflow) {
            struct rule_error er = {.kind = RULE_ERR_INVALID};
            snprintf(er.keyword, sizeof er.keyword, "syntax");
            snprintf(er.msg, sizeof er.msg, "%s:%u: rule without sid: longer than %u bytes",
                     name, start_line, RULE_TEXT_MAX);
            ruleset_reject(rs, &er);
        } else if (*t == '#') {
            t++;
            while (*t == ' ' || *t == '\t' || *t == '#')
                t++;
            if (is_action_word(t) && strchr(t, '(') && acc[alen - 1] == ')')
                rs->disabled++;
        } else {
            rule_text_load(rs, name, start_line, t, alen);
        }
        alen = 0;
        overflow = 0;
    }
    free(acc);
    return 0;
}

int ruleset_load_file(struct ruleset *rs, const char *path, char *err, size_t errlen)
{
    size_t len;
    err[0] = '\0';
    char *text = file_slurp(path, &len, err, errlen);
    if (!text)
        return -1;
    int rc = ruleset_load_text(rs, path, text, len);
    if (rc < 0)
        snprintf(err, errlen, "out of memory loading %s", path);
    free(text);
    return rc;
}
