/*
 * hash.c - the seeded hash every table keyed by traffic uses.
 *
 * SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF",
 * 2012): with a random 128-bit key per process an attacker who chooses
 * addresses and ports cannot aim collisions at a table.  core_random_key()
 * gives such a key from getrandom(2).
 */
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"

#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = ROTL64(v[1], 13);
    v[1] ^= v[0];
    v[0] = ROTL64(v[0], 32);
    v[2] += v[3];
    v[3] = ROTL64(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = ROTL64(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = ROTL64(v[1], 17);
    v[1] ^= v[2];
    v[2] = ROTL64(v[2], 32);
}

static uint64_t load_le64(const uint8_t *p, size_t n)
{
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)p[i] << (8 * i);
    return w;
}

/* SipHash-2-4 of data under key (k0, k1), words read little-endian. */
uint64_t core_siphash(const uint64_t key[2], const void *buf, size_t len)
{
    const uint8_t *data = buf;
    uint64_t v[4] = {key[0] ^ 0x736f6d6570736575ull, key[1] ^ 0x646f72616e646f6dull,
                     key[0] ^ 0x6c7967656e657261ull, key[1] ^ 0x7465646279746573ull};
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = load_le64(data + i, 8);
        v[3] ^= m;
        sip_round(v);
        sip_round(v);
        v[0] ^= m;
    }
    uint64_t last = ((uint64_t)len << 56) | load_le64(data + full, len - full);
    v[3] ^= last;
    sip_round(v);
    sip_round(v);
    v[0] ^= last;
    v[2] ^= 0xff;
    for (int i = 0; i < 4; i++)
        sip_round(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

void core_random_key(uint64_t key[2])
{
    if (getrandom(key, 2 * sizeof(uint64_t), GRND_NONBLOCK) != (ssize_t)(2 * sizeof(uint64_t))) {
        /* No entropy yet (early boot): a weaker key still varies per run. */
        key[0] = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ull;
        key[1] = (uint64_t)getpid() ^ ((uint64_t)(uintptr_t)key << 17);
    }
}
