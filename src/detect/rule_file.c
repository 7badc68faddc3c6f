/*
 * rule_file.c - the file keywords: filemd5, filesha1, filesha256 (hash
 * lists), filesize, filename, fileext, filemagic and filestore, and the
 * hash-list loader.  The engine evaluates them when a file ends
 * (engine_file.c); filename, fileext and filemagic become contents on the
 * file.name / file.magic buffers, as Suricata 7 rewrites them.
 *
 * Follows the Suricata rules reference ("File Keywords"):
 *
 *     filemd5 / filesha1 / filesha256 := ["!"] LISTFILE
 *          LISTFILE: relative names are taken from the directory of the
 *          rules file (Suricata: its default-rule-path).  One hash per line,
 *          hex at the start of the line, anything after a blank ignored
 *          (md5sum output); empty lines and '#' comments skipped.  "!":
 *          the rule matches files whose hash is NOT in the list.
 *     filesize := NUM with an optional unit KB, MB, GB (1024-based):
 *          "N", "<N", ">N", "<=N", ">=N", "N<>M"
 *     filename := ["!"] '"' TEXT '"'    file.name; content:TEXT; nocase
 *     fileext  := ["!"] '"' EXT '"'     file.name; content:".EXT"; nocase; endswith
 *     filemagic := ["!"] '"' TEXT '"'   file.magic; content:TEXT; nocase
 *     filestore [:DIRECTION[,SCOPE]]    DIRECTION request|to_server|response|
 *          to_client|both, SCOPE file|tx|ssn|flow; parsed and kept
 *          (docs/alerts.md: what Vigil's store does with it)
 *
 * Hash lists are bounded (RULE_HASHLIST_MAX entries); a bad line rejects
 * the rule with "FILE:LINE: ..." naming the list.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/hex.h"
#include "detect/rule_int.h"

void rule_hashlist_free(struct rule_hashlist *h)
{
    if (!h)
        return;
    free(h->h);
    free(h);
}

void rule_file_free(struct rule_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < RULE_FILE_HASHES; i++)
        rule_hashlist_free(f->hash[i]);
    free(f);
}

static int cmp_hash(const void *a, const void *b, void *n)
{
    return memcmp(a, b, *(const size_t *)n);
}

/* Sort and drop duplicates (qsort_r is GNU; a tiny insertion pass would
 * be quadratic on lists of millions). */
static void hashlist_sort(struct rule_hashlist *h)
{
    size_t n = h->hlen;
    if (h->n < 2)
        return;
    qsort_r(h->h, h->n, n, cmp_hash, &n);
    size_t w = 1;
    for (size_t i = 1; i < h->n; i++)
        if (memcmp(h->h + (w - 1) * n, h->h + i * n, n) != 0) {
            if (w != i)
                memcpy(h->h + w * n, h->h + i * n, n);
            w++;
        }
    h->n = w;
}

int rule_hashlist_has(const struct rule_hashlist *h, const uint8_t *digest)
{
    size_t lo = 0, hi = h ? h->n : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(h->h + mid * h->hlen, digest, h->hlen);
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* One line: 0 (a hash added, or nothing on it), -1 with err set. */
static int hashlist_line(struct rule_hashlist *h, char *line, const char *path, unsigned ln,
                         char *err, size_t errlen)
{
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0' || *s == '#')
        return 0;
    size_t nhex = 0;
    while (isxdigit((unsigned char)s[nhex]))
        nhex++;
    if (nhex != h->hlen * 2 || (s[nhex] && s[nhex] != ' ' && s[nhex] != '\t')) {
        size_t tok = strcspn(s, " \t");
        snprintf(err, errlen, "%s:%u: '%.*s' is not a %zu-digit hex %s", path, ln,
                 (int)(tok < 72 ? tok : 72), s, h->hlen * 2,
                 h->hlen == 16 ? "MD5" : h->hlen == 20 ? "SHA-1" : "SHA-256");
        return -1;
    }
    if (h->n >= RULE_HASHLIST_MAX) {
        snprintf(err, errlen, "%s:%u: more than %u hashes", path, ln, RULE_HASHLIST_MAX);
        return -1;
    }
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        uint8_t *nh = realloc(h->h, cap * h->hlen);
        if (!nh) {
            snprintf(err, errlen, "%s:%u: out of memory", path, ln);
            return -1;
        }
        h->h = nh;
        h->cap = cap;
    }
    uint8_t *d = h->h + h->n * h->hlen;
    for (size_t i = 0; i < h->hlen; i++)
        d[i] = (uint8_t)(core_hexval(s[2 * i]) << 4 | core_hexval(s[2 * i + 1]));
    h->n++;
    return 0;
}

struct rule_hashlist *rule_hashlist_load(const char *path, size_t hlen, char *err, size_t errlen)
{
    /* a regular file only: a FIFO or a device would block or never end */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "cannot read hash list %s: %s", path,
                 fd < 0 || !S_ISREG(sb.st_mode) ? (fd < 0 ? strerror(errno) : "not a regular file")
                                                : strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    FILE *fp = fdopen(fd, "r");
    if (!fp) {
        snprintf(err, errlen, "cannot read hash list %s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    struct rule_hashlist *h = calloc(1, sizeof(*h));
    char line[1024];
    unsigned ln = 0;
    int rc = h ? 0 : -1;
    if (!h)
        snprintf(err, errlen, "out of memory loading %s", path);
    while (rc == 0 && fgets(line, sizeof(line), fp)) {
        ln++;
        if (!strchr(line, '\n') && !feof(fp)) { /* a line longer than any hash line */
            snprintf(err, errlen, "%s:%u: line longer than %zu bytes", path, ln,
                     sizeof(line) - 2);
            rc = -1;
            break;
        }
        h->hlen = hlen;
        rc = hashlist_line(h, line, path, ln, err, errlen);
    }
    if (rc == 0 && ferror(fp)) {
        snprintf(err, errlen, "cannot read hash list %s: %s", path, strerror(errno));
        rc = -1;
    }
    fclose(fp);
    if (rc < 0) {
        rule_hashlist_free(h);
        return NULL;
    }
    h->hlen = hlen;
    hashlist_sort(h);
    return h;
}

static struct rule_file *file_of(struct rule_pctx *p)
{
    if (!p->r->file)
        p->r->file = calloc(1, sizeof(*p->r->file));
    return p->r->file;
}

/* The list's path: absolute, or beside the rules file being parsed. */
static void list_path(const struct rule_pctx *p, const char *name, char *out, size_t n)
{
    const char *slash = p->file ? strrchr(p->file, '/') : NULL;
    if (name[0] == '/' || !slash)
        snprintf(out, n, "%s", name);
    else
        snprintf(out, n, "%.*s/%s", (int)(slash - p->file), p->file, name);
}

/* filemd5 (arg 0), filesha1 (1), filesha256 (2). */
int rule_kw_filehash(struct rule_pctx *p, char *val, int arg)
{
    static const size_t hlen[RULE_FILE_HASHES] = {16, 20, 32};
    if (arg < 0 || arg >= RULE_FILE_HASHES)
        return rule_fail(p, RULE_ERR_INVALID, "internal: bad hash");
    struct rule_file *f = file_of(p);
    if (!f)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    if (f->hash[arg])
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    int neg = rule_take_neg(&val);
    val = rule_unquote(val);
    if (!*val)
        return rule_fail(p, RULE_ERR_INVALID, "needs a hash list file name");
    char path[4096], err[RULE_ERR_MAX - 128];
    list_path(p, val, path, sizeof(path));
    f->hash[arg] = rule_hashlist_load(path, hlen[arg], err, sizeof(err));
    if (!f->hash[arg])
        return rule_fail(p, RULE_ERR_INVALID, "%s", err);
    f->hash_neg[arg] = (uint8_t)neg;
    return 0;
}

/* "100", "10KB", " 2 MB": bytes (KB, MB, GB: 1024-based, as Suricata). */
static int size_value(const char *s, uint64_t *out)
{
    char *end;
    while (*s == ' ')
        s++;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return -1;
    while (*end == ' ')
        end++;
    uint64_t mul = 1;
    if (strncasecmp(end, "kb", 2) == 0)
        mul = 1024, end += 2;
    else if (strncasecmp(end, "mb", 2) == 0)
        mul = 1024 * 1024, end += 2;
    else if (strncasecmp(end, "gb", 2) == 0)
        mul = 1024ull * 1024 * 1024, end += 2;
    while (*end == ' ')
        end++;
    if (*end || (v && mul > UINT64_MAX / v))
        return -1;
    *out = v * mul;
    return 0;
}

int rule_kw_filesize(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule_file *f = file_of(p);
    if (!f)
        return rule_fail(p, RULE_ERR_INVALID, "out of memory");
    if (f->has_size)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    char *s = rule_unquote(rule_trim(val));
    struct rule_num *n = &f->size;
    memset(n, 0, sizeof(*n));
    char *mid = strstr(s, "<>");
    int rc;
    if (mid) {
        *mid = '\0';
        n->op = RULE_NUM_RANGE;
        rc = size_value(s, &n->a) < 0 || size_value(mid + 2, &n->b) < 0 || n->a >= n->b ? -1 : 0;
    } else {
        n->op = RULE_NUM_EQ;
        if (s[0] == '<' && s[1] == '=')
            n->op = RULE_NUM_LE, s += 2;
        else if (s[0] == '>' && s[1] == '=')
            n->op = RULE_NUM_GE, s += 2;
        else if (s[0] == '<')
            n->op = RULE_NUM_LT, s++;
        else if (s[0] == '>')
            n->op = RULE_NUM_GT, s++;
        rc = size_value(s, &n->a);
    }
    if (rc < 0)
        return rule_fail(p, RULE_ERR_INVALID,
                         "'%.40s' is not a size (N, <N, >N, <=N, >=N, N<>M; units KB MB GB)",
                         val);
    f->has_size = 1;
    return 0;
}

/* filename (arg 0), fileext (1), filemagic (2): a content on the buffer. */
int rule_kw_filename(struct rule_pctx *p, char *val, int arg)
{
    int neg = rule_take_neg(&val);
    size_t n = strlen(val);
    if (n < 2 || val[0] != '"' || val[n - 1] != '"' || rule_escaped(val, n - 1))
        return rule_fail(p, RULE_ERR_INVALID, "value must be a quoted string");
    char text[RULE_NAME_MAX + 8];
    if (n > RULE_NAME_MAX)
        return rule_fail(p, RULE_ERR_INVALID, "value longer than %d bytes", RULE_NAME_MAX);
    snprintf(text, sizeof(text), "%s\"%s%.*s\"", neg ? "!" : "", arg == 1 ? "." : "",
             (int)(n - 2), val + 1);
    int buf = arg == 2 ? RULE_BUF_FILE_MAGIC : RULE_BUF_FILE_NAME;
    if (rule_buffer_check_proto(p, buf) < 0)
        return -1;
    int cur = p->cur_buf;
    uint8_t nx = p->n_xforms;
    p->cur_buf = buf;
    p->n_xforms = 0;
    int rc = rule_kw_content(p, text, 0);
    p->cur_buf = cur;
    p->n_xforms = nx;
    if (rc < 0)
        return -1;
    struct rule_content *c = rule_last_content(p);
    if (!c)
        return rule_fail(p, RULE_ERR_INVALID, "internal: no content");
    c->flags |= RULE_CONTENT_NOCASE | (arg == 1 ? RULE_CONTENT_ENDSWITH : 0);
    /* what follows (content, relative keywords) stays with the sticky buffer */
    p->last_list = p->last_rel_list = -1;
    return 0;
}

int rule_kw_filestore(struct rule_pctx *p, char *val, int arg)
{
    (void)arg;
    struct rule *r = p->r;
    if (r->filestore)
        return rule_fail(p, RULE_ERR_INVALID, "given twice");
    uint8_t dir = RULE_STORE_DIR_RULE, scope = RULE_STORE_SCOPE_FILE;
    if (val && *rule_trim(val)) {
        char *parts[3];
        int k = rule_split(val, ',', parts, 2);
        if (k < 1)
            return rule_fail(p, RULE_ERR_INVALID, "wants DIRECTION[,SCOPE]");
        static const struct {
            const char *name;
            uint8_t v;
        } dirs[] = {{"request", RULE_STORE_DIR_TO_SERVER}, {"to_server", RULE_STORE_DIR_TO_SERVER},
                    {"response", RULE_STORE_DIR_TO_CLIENT}, {"to_client", RULE_STORE_DIR_TO_CLIENT},
                    {"both", RULE_STORE_DIR_BOTH}},
          scopes[] = {{"file", RULE_STORE_SCOPE_FILE}, {"tx", RULE_STORE_SCOPE_TX},
                      {"ssn", RULE_STORE_SCOPE_FLOW}, {"flow", RULE_STORE_SCOPE_FLOW}};
        size_t i;
        for (i = 0; i < sizeof dirs / sizeof dirs[0] && strcmp(parts[0], dirs[i].name); i++)
            ;
        if (i == sizeof dirs / sizeof dirs[0])
            return rule_fail(p, RULE_ERR_INVALID, "unknown direction '%.20s'", parts[0]);
        dir = dirs[i].v;
        if (k == 2) {
            for (i = 0; i < sizeof scopes / sizeof scopes[0] && strcmp(parts[1], scopes[i].name);
                 i++)
                ;
            if (i == sizeof scopes / sizeof scopes[0])
                return rule_fail(p, RULE_ERR_INVALID, "unknown scope '%.20s'", parts[1]);
            scope = scopes[i].v;
        }
    }
    r->filestore = (uint8_t)(0x80 | dir << 2 | scope);
    return 0;
}
