/* SPDX-License-Identifier: MIT */
/*
 * kinds.c: kinds of bot (aiotest's user classes; mob_kind in mob_run.h). How many bots each
 * kind gets and which bot is which kind, how the report names the kinds' scenarios
 * ("KIND/SCENARIO", so names stay unique), and the kinds' lines in a result (bots per kind,
 * added up by every merge). A suite without kinds runs as one kind without a name, made of
 * its own scenarios and hooks, so the runner has a single path.
 *
 * Which bot is which kind. Bot ids are global (gp * cap + slot, gp counting processes over
 * machines), and every process starts its bots slot by slot at the same time, so bots join a
 * run in the order rank = slot * ptotal + gp. The final split is aiotest's weight_users over
 * all the run's bots; then, rank by rank, each bot goes to the kind furthest below
 * weight_users(rank + 1) among those still short of their final count. So whatever number of
 * bots ramp-up or the stages have started, their mix is that number's split, or as close as
 * the final split allows (1:1:1 gives one bot to the first kind and two to the last two: no
 * order of bots is both). That costs O(bots x kinds) at the start of each process, and only
 * when two kinds or more have bots.
 *
 * Read next: src/run/runner.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

/* Python's round(): halves go to the even neighbour. */
static double round_half_even(double x)
{
    double f = floor(x), d = x - f;
    return d > 0.5 || (d == 0.5 && fmod(f, 2.0) != 0) ? f + 1 : f;
}

/* Stable insertion sort of order[0..m) by res, descending or ascending: Python's sorted(),
 * whose reverse=True keeps equal keys in their first order too. */
static void sort_by_residual(int *order, int m, const double *res, int desc)
{
    for (int a = 1; a < m; a++) {
        int x = order[a], b = a;
        while (b > 0 && (desc ? res[order[b - 1]] < res[x] : res[order[b - 1]] > res[x])) {
            order[b] = order[b - 1];
            b--;
        }
        order[b] = x;
    }
}

/* weight_users(amount) into out, with scratch res[n] and order[n]; sum is the weights' sum. */
static void split(const int *w, int n, double sum, int64_t amount, int64_t *out, double *res,
                  int *order)
{
    int64_t total = 0;
    int m = 0;
    for (int i = 0; i < n; i++) {
        out[i] = 0;
        if (w[i] <= 0)
            continue;
        double exact = (double)amount * ((double)w[i] / sum), r = round_half_even(exact);
        out[i] = (int64_t)r;
        res[i] = exact - r;
        total += out[i];
        order[m++] = i;
    }
    /* Each rounding is off by half a bot at most, so the fix takes one bot from or gives one
     * bot to each of fewer than m kinds. */
    if (total != amount)
        sort_by_residual(order, m, res, total < amount);
    for (int j = 0; j < m && total != amount; j++) {
        out[order[j]] += total < amount ? 1 : -1;
        total += total < amount ? 1 : -1;
    }
}

int mob_kinds_apportion(const int *weights, int n, int64_t amount, int64_t *out)
{
    if (n < 1 || amount < 0)
        return -EINVAL;
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (weights[i] < 0)
            return -EINVAL;
        sum += weights[i];
    }
    if (sum <= 0)
        return -EINVAL;
    double *res = MOB_CALLOC((size_t)n, sizeof *res);
    int *order = MOB_CALLOC((size_t)n, sizeof *order);
    if (res && order)
        split(weights, n, sum, amount, out, res, order);
    MOB_FREE(res);
    MOB_FREE(order);
    return res && order ? 0 : -ENOMEM;
}

int mob__kinds_check(const mob_suite *s)
{
    if (!s->kinds)
        return 0;
    if (s->scenarios || s->bot_setup || s->bot_teardown || s->picker || s->state_size)
        return -EINVAL; /* each kind has its own: two places would be ambiguous */
    for (const mob_kind *k = s->kinds; k->name; k++) {
        if (!k->name[0] || strchr(k->name, '/') || k->weight < 0)
            return -EINVAL;
        for (const mob_kind *o = s->kinds; o < k; o++)
            if (strcmp(o->name, k->name) == 0)
                return -EINVAL;
    }
    return 0;
}

void mob__kinds_free(struct mob__kinds *ks)
{
    for (int i = 0; i < ks->n; i++)
        mob__table_free(&ks->k[i].table);
    for (int i = 0; i < ks->nnames; i++)
        MOB_FREE((char *)ks->names[i]);
    MOB_FREE(ks->names);
    MOB_FREE(ks->k);
    MOB_FREE(ks->of_slot);
    MOB_FREE(ks->index_of_slot);
    memset(ks, 0, sizeof *ks);
}

/* The name of kind k's scenario sc in reports: KIND/SCENARIO, or bare without kinds. */
static char *report_name(const struct mob__kind *k, const char *sc)
{
    const char *kn = k->def.name ? k->def.name : "";
    size_t a = strlen(kn), b = strlen(sc);
    char *s = MOB_MALLOC(a + b + 2);
    if (s)
        snprintf(s, a + b + 2, "%s%s%s", kn, a ? "/" : "", sc);
    return s;
}

/* Kind k's table under -s: a kind runs `single` only when it is "KIND/NAME" of its own. */
static int build_table(struct mob__kind *k, const char *single)
{
    const char *one = single;
    if (single && k->def.name) {
        size_t l = strlen(k->def.name);
        one = strncmp(single, k->def.name, l) == 0 && single[l] == '/' ? single + l + 1 : NULL;
        if (!one)
            return -ENOENT;
    }
    return mob__table_build(&k->table, k->def.scenarios, one);
}

int mob__kinds_build(struct mob__kinds *ks, const mob_suite *s, const char *single)
{
    memset(ks, 0, sizeof *ks);
    if (mob__kinds_check(s) < 0)
        return -EINVAL;
    int n = s->kinds ? 0 : 1;
    for (const mob_kind *k = s->kinds; k && k->name; k++)
        n++;
    ks->k = MOB_CALLOC((size_t)(n > 0 ? n : 1), sizeof *ks->k);
    if (!ks->k)
        return -ENOMEM;
    ks->n = n;
    if (s->kinds) {
        for (int i = 0; i < n; i++)
            ks->k[i].def = s->kinds[i];
    } else {
        mob_kind *d = &ks->k[0].def;
        d->weight = 1;
        d->scenarios = s->scenarios;
        d->bot_setup = s->bot_setup;
        d->bot_teardown = s->bot_teardown;
        d->picker = s->picker;
        d->state_size = s->state_size;
    }
    int total = 0, live = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        struct mob__kind *k = &ks->k[i];
        rc = build_table(k, single);
        if (rc == -ENOMEM)
            goto fail;
        if (rc < 0)
            k->def.weight = 0; /* nothing to run: no bot of this kind */
        k->first = total;
        if (k->def.weight > 0) {
            total += k->table.n;
            live++;
        }
    }
    rc = -ENOENT;
    if (live == 0)
        goto fail;
    rc = -ENOMEM;
    ks->names = MOB_CALLOC((size_t)total + 1, sizeof *ks->names);
    if (!ks->names)
        goto fail;
    for (int i = 0; i < n; i++)
        for (int j = 0; ks->k[i].def.weight > 0 && j < ks->k[i].table.n; j++)
            if (!(ks->names[ks->nnames++] = report_name(&ks->k[i], ks->k[i].table.s[j]->name)))
                goto fail;
    return 0;
fail:
    mob__kinds_free(ks);
    return rc;
}

int mob__kinds_has_scenario(const mob_suite *s, const char *name)
{
    struct mob__kinds ks;
    int found = 0;
    if (mob__kinds_build(&ks, s, NULL) < 0)
        return 0;
    for (int i = 0; i < ks.nnames && !found; i++)
        found = strcmp(ks.names[i], name) == 0;
    mob__kinds_free(&ks);
    return found;
}

int mob__kinds_assign(struct mob__kinds *ks, int cap, int gp, int ptotal)
{
    int n = ks->n, live = 0, only = 0;
    MOB_FREE(ks->of_slot);
    MOB_FREE(ks->index_of_slot);
    ks->of_slot = MOB_CALLOC((size_t)(cap > 0 ? cap : 1), sizeof *ks->of_slot);
    ks->index_of_slot = MOB_CALLOC((size_t)(cap > 0 ? cap : 1), sizeof *ks->index_of_slot);
    if (!ks->of_slot || !ks->index_of_slot)
        return -ENOMEM;
    int *w = MOB_CALLOC((size_t)n, sizeof *w), *order = MOB_CALLOC((size_t)n, sizeof *order);
    int64_t *fin = MOB_CALLOC((size_t)n * 3, sizeof *fin);
    double *res = MOB_CALLOC((size_t)n, sizeof *res);
    int rc = w && order && fin && res ? 0 : -ENOMEM;
    double sum = 0;
    for (int i = 0; rc == 0 && i < n; i++) {
        w[i] = ks->k[i].def.weight;
        sum += w[i];
        if (w[i] > 0) {
            live++;
            only = i;
        }
    }
    if (rc == 0 && live <= 1) {
        for (int i = 0; i < cap; i++)
            ks->of_slot[i] = only;
    } else if (rc == 0) {
        int64_t *target = fin + n, *have = fin + 2 * n;
        int64_t last = (int64_t)(cap - 1) * ptotal + gp;
        split(w, n, sum, (int64_t)cap * ptotal, fin, res, order);
        for (int64_t r = 0; r <= last; r++) {
            split(w, n, sum, r + 1, target, res, order);
            int best = -1;
            for (int k = 0; k < n; k++)
                if (have[k] < fin[k] &&
                    (best < 0 || target[k] - have[k] > target[best] - have[best]))
                    best = k;
            have[best]++; /* someone is short: the final counts add up to every rank */
            if (r % ptotal == gp)
                ks->of_slot[r / ptotal] = best;
        }
    }
    for (int i = 0; i < n; i++)
        ks->k[i].slots = 0;
    for (int i = 0; rc == 0 && i < cap; i++)
        ks->index_of_slot[i] = ks->k[ks->of_slot[i]].slots++;
    MOB_FREE(w);
    MOB_FREE(order);
    MOB_FREE(fin);
    MOB_FREE(res);
    return rc;
}

int mob_worker_kind_index(const mob_worker *w, int *slots)
{
    const struct mob__wstate *ws = w->internal;
    if (slots)
        *slots = ws->kind_slots;
    return ws->kind_index;
}

int mob__kinds_result(const struct mob__kinds *ks, mob_result *r)
{
    for (int i = 0; i < ks->n; i++)
        if (ks->k[i].def.name && mob__result_kind(r, ks->k[i].def.name, ks->k[i].def.weight) < 0)
            return -ENOMEM;
    return 0;
}

/* ---- in results ----------------------------------------------------------------------- */

int mob__result_kind(mob_result *r, const char *name, int weight)
{
    for (int i = 0; i < r->nkinds; i++)
        if (strcmp(r->kinds[i].name, name) == 0)
            return i;
    struct mob__kstat *k = MOB_REALLOC(r->kinds, (size_t)(r->nkinds + 1) * sizeof *k);
    if (!k)
        return -ENOMEM;
    r->kinds = k;
    size_t len = strlen(name) + 1;
    k[r->nkinds].name = MOB_MALLOC(len);
    if (!k[r->nkinds].name)
        return -ENOMEM;
    memcpy(k[r->nkinds].name, name, len);
    k[r->nkinds].weight = weight;
    k[r->nkinds].bots = 0;
    return r->nkinds++;
}

int mob__result_kinds_merge(mob_result *dst, const mob_result *src)
{
    int over = 0;
    for (int i = 0; i < src->nkinds; i++) {
        int j = mob__result_kind(dst, src->kinds[i].name, src->kinds[i].weight);
        if (j < 0)
            return j;
        over |= dst->kinds[j].bots > UINT64_MAX - src->kinds[i].bots;
        dst->kinds[j].bots += src->kinds[i].bots;
    }
    return over ? -EOVERFLOW : 0;
}

void mob__result_kinds_free(mob_result *r)
{
    for (int i = 0; i < r->nkinds; i++)
        MOB_FREE(r->kinds[i].name);
    MOB_FREE(r->kinds);
    r->kinds = NULL;
    r->nkinds = 0;
}

int mob_result_nkinds(const mob_result *r)
{
    return r->nkinds;
}

int mob_result_kind(const mob_result *r, int i, mob_kind_stats *out)
{
    if (i < 0 || i >= r->nkinds)
        return -ENOENT;
    out->name = r->kinds[i].name;
    out->weight = r->kinds[i].weight;
    out->bots = r->kinds[i].bots;
    return 0;
}

void mob__result_kinds_print(const mob_result *r, FILE *out)
{
    if (r->nkinds == 0)
        return;
    fputs("  Kinds:", out);
    for (int i = 0; i < r->nkinds; i++)
        fprintf(out, "%s %s %d (%llu bot%s)", i ? "," : "", r->kinds[i].name,
                r->kinds[i].weight, (unsigned long long)r->kinds[i].bots,
                r->kinds[i].bots == 1 ? "" : "s");
    fputc('\n', out);
}
