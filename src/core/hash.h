/*
 * hash.h - seeded hashing for tables keyed by traffic (SipHash-2-4).
 */
#ifndef VIGIL_CORE_HASH_H
#define VIGIL_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 of len bytes under the 128-bit key (k0, k1). */
uint64_t core_siphash(const uint64_t key[2], const void *data, size_t len);

/* A random key from the kernel (getrandom), or a weaker per-run one when
 * the kernel has no entropy yet. */
void core_random_key(uint64_t key[2]);

#endif
