/*
 * community_id.c - Community ID flow hashing, version 1.
 *
 * Spec: corelight/community-id-spec.  The hash input is, in order:
 * seed (2 bytes, network order), the smaller endpoint's address, the
 * other address, the IP protocol (1 byte), one zero byte, then for
 * protocols with ports (TCP, UDP, SCTP; ICMP/ICMPv6 with type and code
 * as ports) the two ports (2 bytes each, network order) in the same
 * order as the addresses.  The result is "1:" + base64(SHA-1(input)).
 *
 * ICMP: the source "port" is the type; the destination is the
 * counterpart type for request/reply pairs (echo 8/0, timestamp 13/14,
 * info 15/16, router 10/9, mask 17/18; ICMPv6 echo 128/129, MLD
 * 130/131, router 133/134, neighbor 135/136, node info 139/140, home
 * agent 144/145), else the code, and such a one-way flow is hashed in
 * the order given, not canonicalised.  Callers that already hold a
 * Zeek-style conn id (ICMP type in orig_p, counterpart or code in
 * resp_p) pass it as is: the mapping is idempotent on those ids.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "flow/flow.h"

static int icmp_map(bool v6, int type)
{
    static const uint8_t v4[][2] = {{8, 0}, {0, 8}, {13, 14}, {14, 13}, {15, 16}, {16, 15},
                                    {10, 9}, {9, 10}, {17, 18}, {18, 17}};
    static const uint8_t v6m[][2] = {{128, 129}, {129, 128}, {130, 131}, {131, 130},
                                     {133, 134}, {134, 133}, {135, 136}, {136, 135},
                                     {139, 140}, {140, 139}, {144, 145}, {145, 144}};
    const uint8_t(*m)[2] = v6 ? v6m : v4;
    size_t n = v6 ? sizeof(v6m) / sizeof(v6m[0]) : sizeof(v4) / sizeof(v4[0]);
    for (size_t i = 0; i < n; i++)
        if (m[i][0] == type)
            return m[i][1];
    return -1;
}

/* SHA-1 and a context fetched once per thread (see flow_conn.c's
 * sha256_parts: a fetch and a malloc per call cost more than the hash). */
static _Thread_local EVP_MD *alg;
static _Thread_local EVP_MD_CTX *ctx;

void community_id_thread_free(void)
{
    EVP_MD_free(alg);
    EVP_MD_CTX_free(ctx);
    alg = NULL;
    ctx = NULL;
}

int community_id_v1(uint16_t seed, const uint8_t *saddr, const uint8_t *daddr, int addr_len,
                    uint8_t proto, uint16_t sport, uint16_t dport, bool has_ports, char *out,
                    size_t outlen)
{
    if ((addr_len != 4 && addr_len != 16) || outlen < 32)
        return -1;
    bool one_way = false;
    if (has_ports && (proto == 1 || proto == 58)) {
        int cp = icmp_map(proto == 58, sport);
        if (cp >= 0)
            dport = (uint16_t)cp;
        else
            one_way = true;
    }
    int c = memcmp(saddr, daddr, (size_t)addr_len);
    bool ordered = one_way || c < 0 || (c == 0 && (!has_ports || sport <= dport));
    const uint8_t *a1 = ordered ? saddr : daddr, *a2 = ordered ? daddr : saddr;
    uint16_t p1 = ordered ? sport : dport, p2 = ordered ? dport : sport;
    uint8_t buf[2 + 32 + 2 + 4];
    size_t n = 0;
    buf[n++] = (uint8_t)(seed >> 8);
    buf[n++] = (uint8_t)seed;
    memcpy(buf + n, a1, (size_t)addr_len);
    n += (size_t)addr_len;
    memcpy(buf + n, a2, (size_t)addr_len);
    n += (size_t)addr_len;
    buf[n++] = proto;
    buf[n++] = 0;
    if (has_ports) {
        buf[n++] = (uint8_t)(p1 >> 8);
        buf[n++] = (uint8_t)p1;
        buf[n++] = (uint8_t)(p2 >> 8);
        buf[n++] = (uint8_t)p2;
    }
    if (!alg)
        alg = EVP_MD_fetch(NULL, "SHA1", NULL);
    if (!ctx)
        ctx = EVP_MD_CTX_new();
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!alg || !ctx || EVP_DigestInit_ex(ctx, alg, NULL) != 1 ||
        EVP_DigestUpdate(ctx, buf, n) != 1 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 ||
        mdlen != 20)
        return -1;
    char b64[40];
    int bl = EVP_EncodeBlock((unsigned char *)b64, md, 20);
    if (bl <= 0 || (size_t)bl + 3 > outlen)
        return -1;
    return snprintf(out, outlen, "1:%s", b64);
}
