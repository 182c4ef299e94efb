/* SPDX-License-Identifier: MIT */
/*
 * 11-events: molotov's session fixtures and events() in C (mob_run.h). Each bot logs in when
 * its session is made (session_setup, just before its first run) and out at its end
 * (session_teardown, before bot_teardown); the checkout scenario sends a custom event; one
 * listener counts everything the run says. A run of 4 bots x 100 runs with a fixed seed, so
 * the output is the same every time.
 *
 * Listeners run on the fiber of the bot the event is about, inside its work: they must not
 * block, and a slow one slows the load. This one only counts.
 *
 *     build/examples/11-events -w 50 -d 10s      the whole mob command line for this suite
 *
 * Read next: include/mob_run.h (mob_listener, mob_run_event), then src/run/events.c.
 */
#include <stdio.h>

#include "mob_events.h"

struct shopper {
    int logged_in;
    int basket;
};

static int logins, logouts;

static int login(mob_worker *w)
{
    struct shopper *s = w->state;
    s->logged_in = 1;
    logins++;
    return 0;
}

static int logout(mob_worker *w)
{
    struct shopper *s = w->state;
    logouts += s->logged_in;
    return 0;
}

static int browse(mob_worker *w)
{
    struct shopper *s = w->state;
    s->basket++;
    return 0;
}

/* An empty basket fails as "status"; a full one sends the custom event "checkout". */
static int checkout(mob_worker *w)
{
    struct shopper *s = w->state;
    if (s->basket == 0)
        return MOB_FAIL_STATUS;
    mob_run_event_send(w, "checkout", &s->basket);
    s->basket = 0;
    return 0;
}

static struct {
    int kind[MOB_EV_NKINDS];
    int items;          /* what the checkout events carried */
    char workers[64];   /* the live bot counts, in the order they were said */
    int len;
} heard;

static int count(mob_worker *w, const mob_run_event *ev, void *ud)
{
    (void)w, (void)ud;
    heard.kind[ev->kind]++;
    if (ev->kind == MOB_EV_CUSTOM)
        heard.items += *(const int *)ev->data;
    if (ev->kind == MOB_EV_CURRENT_WORKERS && heard.len < 48)
        heard.len += snprintf(heard.workers + heard.len, 16, " %d", ev->workers);
    return 0;
}

static const mob_scenario shop[] = {
    {"browse", browse, 4, 0},
    {"checkout", checkout, 1, 0},
    {NULL, NULL, 0, 0},
};

static const mob_listener listeners[] = {{count, NULL, "count", 0}, {NULL, NULL, NULL, 0}};

static const mob_suite suite = {
    .name = "shop",
    .scenarios = shop,
    .state_size = sizeof(struct shopper),
    .session_setup = login,
    .session_teardown = logout,
    .listeners = listeners,
};

int main(int argc, char **argv)
{
    if (argc > 1)
        return mob_main(argc, argv, &suite);

    mob_options o;
    mob_options_init(&o);
    o.bots = 4;
    o.max_runs = 100;
    o.duration_ns = 0;
    o.seed = 2017;
    o.quiet = 1;
    mob_result *r;
    if (mob_run_suite(&suite, &o, &r) != 0)
        return 1;
    printf("sessions: %d logged in, %d logged out\n", logins, logouts);
    printf("scenario_start %d = scenario_success %d + scenario_failure %d\n",
           heard.kind[MOB_EV_SCENARIO_START], heard.kind[MOB_EV_SCENARIO_SUCCESS],
           heard.kind[MOB_EV_SCENARIO_FAILURE]);
    printf("checkout events %d, %d items\n", heard.kind[MOB_EV_CUSTOM], heard.items);
    printf("current_workers:%s\n", heard.workers);
    mob_totals t;
    mob_result_totals(r, &t);
    printf("SUCCESSES: %llu | FAILURES: %llu\n", (unsigned long long)t.ok,
           (unsigned long long)t.failures);
    mob_result_free(r);
    return 0;
}
