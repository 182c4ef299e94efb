/* SPDX-License-Identifier: MIT */
/*
 * scenario.c: the scenario table and how a bot picks from it. Scenarios are sorted by name and
 * picked molotov's way: a uniform number in [0, sum of weights), then the first scenario whose
 * cumulative weight is above it. The random stream is xoshiro256** per bot, seeded through
 * splitmix64 from (seed, bot id), so a run with the same --seed makes the same picks in every
 * bot whatever the interleaving. Also: failure classes.
 */
#include <errno.h>
#include <string.h>

#include "run.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void mob__rng_seed(uint64_t rng[4], uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull);
    for (int i = 0; i < 4; i++)
        rng[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t mob_worker_rand(mob_worker *w)
{
    uint64_t *s = w->rng;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const mob_scenario *const *)a)->name, (*(const mob_scenario *const *)b)->name);
}

int mob__table_build(struct mob__table *t, const mob_scenario *scenarios, const char *single)
{
    memset(t, 0, sizeof *t);
    int n = 0;
    for (const mob_scenario *sc = scenarios; sc && sc->name; sc++)
        n++;
    t->s = MOB_CALLOC((size_t)n + 1, sizeof *t->s);
    t->cum = MOB_CALLOC((size_t)n + 1, sizeof *t->cum);
    if (!t->s || !t->cum) {
        mob__table_free(t);
        return -ENOMEM;
    }
    for (const mob_scenario *sc = scenarios; sc && sc->name; sc++) {
        /* -s NAME runs that one whatever its weight; otherwise weight 0 disables. */
        if (single ? strcmp(sc->name, single) == 0 : sc->weight > 0)
            t->s[t->n++] = sc;
    }
    qsort(t->s, (size_t)t->n, sizeof *t->s, by_name);
    for (int i = 0; i < t->n; i++) {
        t->total += single ? 1 : (uint64_t)t->s[i]->weight;
        t->cum[i] = t->total;
    }
    return t->n > 0 ? 0 : -ENOENT;
}

void mob__table_free(struct mob__table *t)
{
    MOB_FREE(t->s);
    MOB_FREE(t->cum);
    memset(t, 0, sizeof *t);
}

int mob__table_find(const struct mob__table *t, const char *name)
{
    for (int i = 0; name && i < t->n; i++)
        if (strcmp(t->s[i]->name, name) == 0)
            return i;
    return -1;
}

int mob__table_pick(const struct mob__table *t, mob_worker *w)
{
    if (t->n == 1)
        return 0;
    /* Modulo bias is total / 2^64: nothing for any realistic sum of weights. */
    uint64_t r = mob_worker_rand(w) % t->total;
    int lo = 0, hi = t->n - 1;
    while (lo < hi) { /* first i with cum[i] > r */
        int mid = (lo + hi) / 2;
        if (t->cum[mid] > r)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}
