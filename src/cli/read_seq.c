/*
 * read_seq.c - tcpdump's relative TCP sequence numbers for `vigil read`.
 *
 * tcpdump (without -S) prints sequence and acknowledgement numbers
 * relative to the first ones it saw in a conversation.  The rule, kept
 * exactly so the numbers agree with tcpdump's:
 *   - only segments with ACK set take part;
 *   - a conversation is keyed by its address pair and port pair, ordered
 *     so both directions share one entry (the side with the lower port -
 *     or, with equal ports, the lower address bytes - is "first");
 *   - the first ACK segment of a conversation, or any SYN+ACK, (re)sets the
 *     bases: first side's base = its seq, other side's base = ack - 1, and
 *     that segment is printed with absolute numbers;
 *   - every later ACK segment is printed as seq - base(sender),
 *     ack - base(receiver);
 *   - SACK block edges of any ACK segment whose conversation is known
 *     (including the one that set the bases) are printed minus
 *     base(receiver), since they are in the receiver's sequence space.
 * The table is keyed by traffic, so it hashes with core_siphash under a
 * random key, and it is capped: past READ_SEQ_MAX conversations new ones
 * are printed absolute (counted in shed).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/read_seq.h"
#include "core/hash.h"

#define READ_SEQ_MAX (1u << 20)

struct seq_key {
    uint8_t family;
    uint8_t pad[3];
    uint16_t port_lo, port_hi; /* first side's port, other side's */
    uint8_t a[16], b[16];      /* first side's address, other side's */
};

struct seq_entry {
    struct seq_key key;
    uint32_t base_first, base_other;
    struct seq_entry *next;
};

struct read_seq {
    uint64_t hkey[2];
    struct seq_entry **buckets;
    size_t nbuckets, count;
    uint64_t shed;
};

struct read_seq *read_seq_new(void)
{
    struct read_seq *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->nbuckets = 1u << 16;
    s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
    if (!s->buckets) {
        free(s);
        return NULL;
    }
    core_random_key(s->hkey);
    return s;
}

void read_seq_free(struct read_seq *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nbuckets; i++) {
        struct seq_entry *e = s->buckets[i];
        while (e) {
            struct seq_entry *n = e->next;
            free(e);
            e = n;
        }
    }
    free(s->buckets);
    free(s);
}

/* Build the key; returns 1 when the sender is the key's "other" side. */
static int seq_key_make(const struct pkt_ip *ip, struct seq_key *k)
{
    size_t alen = ip->version == 6 ? 16 : 4;
    uint16_t sp = ip->t.sport, dp = ip->t.dport;
    int rev = sp > dp || (sp == dp && memcmp(ip->src, ip->dst, alen) > 0);
    memset(k, 0, sizeof(*k));
    k->family = ip->version;
    k->port_lo = rev ? dp : sp;
    k->port_hi = rev ? sp : dp;
    memcpy(k->a, rev ? ip->dst : ip->src, alen);
    memcpy(k->b, rev ? ip->src : ip->dst, alen);
    return rev;
}

void read_seq_adjust(struct read_seq *s, const struct pkt_ip *ip, uint32_t *seq, uint32_t *ack,
                     uint32_t *sack_base)
{
    const struct pkt_l4 *t = &ip->t;
    *sack_base = 0;
    if (!s || !(t->tcp_flags & 0x10))
        return;
    struct seq_key k;
    int rev = seq_key_make(ip, &k);
    size_t b = (size_t)(core_siphash(s->hkey, &k, sizeof(k)) & (s->nbuckets - 1));
    struct seq_entry *e = s->buckets[b];
    while (e && memcmp(&e->key, &k, sizeof(k)) != 0)
        e = e->next;
    if (e && !(t->tcp_flags & 0x02)) {
        *seq -= rev ? e->base_other : e->base_first;
        *ack -= rev ? e->base_first : e->base_other;
        *sack_base = rev ? e->base_first : e->base_other;
        return;
    }
    if (!e) {
        if (s->count >= READ_SEQ_MAX) {
            s->shed++;
            return;
        }
        e = calloc(1, sizeof(*e));
        if (!e)
            return;
        e->key = k;
        e->next = s->buckets[b];
        s->buckets[b] = e;
        s->count++;
    }
    /* New conversation (or a SYN+ACK restarting it): absolute this time. */
    e->base_first = rev ? *ack - 1 : *seq;
    e->base_other = rev ? *seq : *ack - 1;
    *sack_base = rev ? e->base_first : e->base_other;
}
