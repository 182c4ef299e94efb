/* SPDX-License-Identifier: MIT */
/*
 * test_report_html.c: spans and info messages from bots, and the reports that show them: the
 * JSON (spans read back and merged exactly), the text summary, and the HTML report of a run
 * and of `mob report` on saved files (self-contained: no script, nothing fetched); failures
 * per second by class, from the timeline through JSON and merges to the HTML chart.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "mob_run.h"
#include "run/run.h"

/* Every run: span "outer" around two "inner" spans; the second inner fails (status) on odd
 * steps; a third span is left open and must not be counted. */
static int spanning(mob_worker *w)
{
    mob_span_enter(w, "outer");
    mob_span_enter(w, "inner");
    mob_span_exit(w, 0);
    mob_span_enter(w, "inner");
    mob_span_exit(w, w->step % 2 ? MOB_FAIL_STATUS : 0);
    mob_span_exit(w, 0);
    mob_span_enter(w, "left-open");
    mob_info(w, "bot %d step %lld", w->id, (long long)w->step);
    return 0;
}

static const mob_scenario table[] = {{"spanning", spanning, 1, 0}, {NULL, NULL, 0, 0}};
static const mob_suite suite = {.name = "spans", .scenarios = table};

static void tmpname(char *t)
{
    int fd = mkstemp(t);
    cr_assert_geq(fd, 0);
    close(fd);
}

static const mob_scenario_stats *span_named(const mob_result *r, const char *name,
                                            mob_scenario_stats *st)
{
    for (int i = 0; i < mob_result_nspans(r); i++) {
        mob_result_span(r, i, st);
        if (strcmp(st->name, name) == 0)
            return st;
    }
    return NULL;
}

Test(report_html, spans_are_counted_nested_and_merge_exactly, .timeout = 10)
{
    char a[] = "/tmp/mob-span-a-XXXXXX", b[] = "/tmp/mob-span-b-XXXXXX";
    tmpname(a);
    tmpname(b);
    char *argv[] = {"prog", "-w", "3", "-r", "4", "-q", "--json", a, NULL};
    cr_assert_eq(mob_main(8, argv, &suite), 0);
    mob_result *r, *r2;
    cr_assert_eq(mob_result_read_json(a, &r), 0);
    mob_scenario_stats st;
    cr_assert_eq(mob_result_nspans(r), 3, "outer, inner, and left-open (named, never closed)");
    cr_assert_not_null(span_named(r, "outer", &st));
    cr_assert_eq(st.ok, 12);
    cr_assert_eq(st.failures, 0);
    cr_assert_eq(mob_hist_count(st.latency), 12);
    cr_assert_not_null(span_named(r, "inner", &st));
    cr_assert_eq(st.ok, 18, "3 bots x 4 runs x 2 inner, minus the 6 odd-step failures");
    cr_assert_eq(st.fail[MOB_FAIL_STATUS], 6);
    cr_assert_not_null(span_named(r, "left-open", &st));
    cr_assert_eq(st.ok + st.failures, 0, "a span left open is dropped");
    cr_assert_eq(r->nmsgs + (int)r->msgs_dropped, 12, "every mob_info kept or counted");
    cr_assert_gt(r->nmsgs, 0);
    /* The same file merged with itself: every span count doubles, histograms too. */
    char a2[64];
    snprintf(a2, sizeof a2, "%s.again", a);
    test_copy_as_new_run(a, a2); /* the same file twice is refused: the same run twice */
    char *argv2[] = {"prog", "merge", "-q", "--json", b, a, a2, NULL};
    cr_assert_eq(mob_main(7, argv2, &suite), 0);
    cr_assert_eq(mob_result_read_json(b, &r2), 0);
    cr_assert_not_null(span_named(r2, "inner", &st));
    cr_assert_eq(st.ok, 36);
    cr_assert_eq(st.fail[MOB_FAIL_STATUS], 12);
    cr_assert_eq(mob_hist_count(st.latency), 36);
    cr_assert_eq(r2->nmsgs, 2 * r->nmsgs, "the messages of both runs");
    cr_assert_eq(r2->msgs_dropped, 2 * r->msgs_dropped);
    for (int i = 1; i < r2->nmsgs; i++)
        cr_assert_leq(r2->msgs[i - 1].t_ms, r2->msgs[i].t_ms, "oldest first");
    mob_result_free(r);
    mob_result_free(r2);
    unlink(a);
    unlink(a2);
    unlink(b);
}

Test(report_html, info_messages_print_on_stderr_only_with_verbose, .timeout = 10)
{
    char e[] = "/tmp/mob-span-e-XXXXXX";
    tmpname(e);
    int fd = open(e, O_WRONLY | O_TRUNC);
    int saved = dup(2);
    dup2(fd, 2);
    char *argv[] = {"prog", "-w", "2", "-r", "3", "-v", "--no-live", NULL};
    int code = mob_main(7, argv, &suite);
    char *argv2[] = {"prog", "-w", "2", "-r", "3", "--no-live", NULL};
    fflush(stderr);
    off_t verbose_len = lseek(fd, 0, SEEK_END);
    int code2 = mob_main(6, argv2, &suite);
    fflush(stderr);
    dup2(saved, 2);
    close(fd);
    cr_assert_eq(code, 0);
    cr_assert_eq(code2, 0);
    char *text = test_read_file(e);
    cr_assert_not_null(strstr(text, "[W:1] bot 1 step 2"), "%s", text);
    cr_assert_null(strstr(text + verbose_len, "step"), "without -v, nothing printed: %s", text);
    unlink(e);
}

Test(report_html, html_report_is_self_contained_with_the_runs_totals, .timeout = 10)
{
    char j[] = "/tmp/mob-html-j-XXXXXX", h[] = "/tmp/mob-html-h-XXXXXX",
         h2[] = "/tmp/mob-html-k-XXXXXX";
    tmpname(j);
    tmpname(h);
    tmpname(h2);
    char *argv[] = {"prog", "-w", "3", "-r", "4", "-q", "--json", j, "--html", h, NULL};
    cr_assert_eq(mob_main(10, argv, &suite), 0);
    char *page = test_read_file(h);
    cr_assert_not_null(strstr(page, "<!DOCTYPE html>"));
    cr_assert_not_null(strstr(page, "id=\"total-ok\">12<"), "12 runs: %.400s", page);
    cr_assert_not_null(strstr(page, "id=\"total-failures\">0<"));
    cr_assert_not_null(strstr(page, "id=\"exit-status\" class=\"good\">0<"));
    cr_assert_not_null(strstr(page, "<svg"), "charts are inline SVG");
    cr_assert_not_null(strstr(page, "Throughput"));
    cr_assert_not_null(strstr(page, "Latency by percentile"));
    cr_assert_not_null(strstr(page, "<td>inner</td><td>18</td>"), "the span table");
    cr_assert_not_null(strstr(page, "<td>spanning</td><td>12</td>"), "the scenario table");
    cr_assert_null(strstr(page, "<script"), "readable without JavaScript");
    cr_assert_null(strstr(page, "src="), "nothing fetched");
    cr_assert_null(strstr(page, "href="), "nothing linked");
    cr_assert_null(strstr(page, "url("), "nothing fetched by the style either");
    /* `mob report` builds the same page from the saved JSON, merged twice here. */
    char j2[64];
    snprintf(j2, sizeof j2, "%s.again", j);
    test_copy_as_new_run(j, j2); /* the same file twice is refused: the same run twice */
    char *argv2[] = {"prog", "report", j, j2, "--html", h2, "-q", NULL};
    cr_assert_eq(mob_main(7, argv2, &suite), 0);
    page = test_read_file(h2);
    cr_assert_not_null(strstr(page, "id=\"total-ok\">24<"));
    cr_assert_not_null(strstr(page, "<td>inner</td><td>36</td>"));
    cr_assert_not_null(strstr(page, "<table id=\"messages\">"), "the messages table");
    cr_assert_not_null(strstr(page, "<td>bot 2 step 3</td>"), "%.4000s", page);
    cr_assert_not_null(strstr(page, "id=\"exit-status\">not recorded<"));
    char *argv3[] = {"prog", "report", "--html", NULL};
    cr_assert_eq(mob_main(3, argv3, &suite), 2, "a flag without its file is a usage error");
    char *argv4[] = {"prog", "report", "/nonexistent.json", NULL};
    cr_assert_eq(mob_main(3, argv4, &suite), 2);
    unlink(j);
    unlink(j2);
    unlink(h);
    unlink(h2);
}

/* The report keeps the latest MOB__MSG_RING messages by time, oldest first, and counts the rest;
 * one older than every one kept is counted, not kept. */
Test(report_html, messages_are_bounded_to_the_latest_and_count_the_rest)
{
    static mob_result r; /* only its messages are used */
    struct mob__info_entry e = {0, 7, "x"};
    for (int i = 0; i < 100; i++) {
        e.t_ms = 1000 + (i * 37) % 100; /* each of 1000..1099 once, out of order */
        snprintf(e.text, sizeof e.text, "m%d", (int)e.t_ms);
        mob__result_add_msg(&r, &e);
    }
    cr_assert_eq(r.nmsgs, MOB__MSG_RING);
    cr_assert_eq(r.msgs_dropped, 100 - MOB__MSG_RING);
    cr_assert_eq(r.msgs[0].t_ms, 1100 - MOB__MSG_RING, "the latest are kept");
    cr_assert_str_eq(r.msgs[MOB__MSG_RING - 1].text, "m1099");
    for (int i = 1; i < r.nmsgs; i++)
        cr_assert_lt(r.msgs[i - 1].t_ms, r.msgs[i].t_ms);
}

/* ---- failures per second by class ------------------------------------------------------- */

static char *json_text(const mob_result *r, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    cr_assert_not_null(f);
    mob__result_json_write(r, f);
    cr_assert_eq(fclose(f), 0);
    return text;
}

static mob_result *json_read(const char *text, const char *run_id)
{
    mob_result *r;
    cr_assert_eq(mob__result_parse_json(text, strlen(text), &r), 0, "%s", mob__json_why());
    cr_assert_eq(mob__result_set_run(r, run_id), 0);
    return r;
}

/* The failures chart of an HTML page, up to its end. */
static char *failures_chart(mob_result *r)
{
    char h[] = "/tmp/mob-html-fc-XXXXXX";
    tmpname(h);
    cr_assert_eq(mob_result_write_html(r, h, -1), 0);
    char *page = test_read_file(h);
    char *fig = strstr(page, "<figure class=\"chart\" id=\"failures-chart\"");
    unlink(h);
    cr_assert_not_null(fig, "%.2000s", page);
    char *end = strstr(fig, "</figure>");
    cr_assert_not_null(end);
    end[0] = 0;
    return fig;
}

/* Two seconds: 2 ok, 3 timeouts and 1 refused connect, then 2 status failures. */
static mob_result *two_seconds(void)
{
    static const char *const names[] = {"s"};
    mob_result *r = mob__result_new("suite", "http://127.0.0.1:1/", names, 1);
    cr_assert_not_null(r);
    cr_assert_eq(mob__result_set_run(r, "r:classes"), 0);
    mob__result_record(r, 0, 0, 1000000);
    mob__result_record(r, 0, 0, 2000000);
    for (int i = 0; i < 3; i++)
        mob__result_record(r, 0, MOB_FAIL_TIMEOUT, 0);
    mob__result_record(r, 0, MOB_FAIL_CONNECT, 0);
    mob__result_tick(r);
    mob__result_record(r, 0, MOB_FAIL_STATUS, 0);
    mob__result_record(r, 0, MOB_FAIL_STATUS, 0);
    mob__result_tick(r);
    return r;
}

Test(report_html, failures_per_second_keep_their_class_through_json_merge_and_html)
{
    mob_result *r = two_seconds();
    size_t len;
    char *text = json_text(r, &len);
    cr_assert_not_null(strstr(text, "{\"mob\":2,"), "format version 2: %.40s", text);
    cr_assert_not_null(strstr(text, "\"fail\":{\"connect\":1,\"timeout\":3}"), "%s", text);
    mob_result *a = json_read(text, "r:a"), *b = json_read(text, "r:b");
    cr_assert_eq(mob_result_merge(a, b), 0);
    cr_assert_eq(a->nsecs, 2);
    cr_assert(a->secs[0].byclass && a->secs[1].byclass);
    cr_assert_eq(a->secs[0].f[MOB_FAIL_TIMEOUT], 6, "merged exactly");
    cr_assert_eq(a->secs[0].f[MOB_FAIL_CONNECT], 2);
    cr_assert_eq(a->secs[1].f[MOB_FAIL_STATUS], 4);
    cr_assert_eq(a->secs[1].f[MOB_FAIL_TIMEOUT], 0);
    char *fig = failures_chart(a);
    cr_assert_not_null(strstr(fig, "by class"), "%s", fig);
    for (int c = 1; c < MOB_FAIL_NCLASS; c++) {
        const char *legend = "class=\"legend\" x=", *p = fig;
        int found = 0;
        while ((p = strstr(p, legend))) {
            p = strchr(p, '>') + 1;
            found |= strncmp(p, mob_fail_name(c), strlen(mob_fail_name(c))) == 0 &&
                     p[strlen(mob_fail_name(c))] == '<';
        }
        int want = c == MOB_FAIL_TIMEOUT || c == MOB_FAIL_CONNECT || c == MOB_FAIL_STATUS;
        cr_assert_eq(found, want, "class %s in the legend: %s", mob_fail_name(c), fig);
    }
    /* A second whose classes do not add up to its failures is refused. */
    char *bad = strdup(text), *tl = strstr(bad, "\"timeline\":");
    cr_assert_not_null(tl);
    char *t3 = strstr(tl, "\"timeout\":3");
    cr_assert_not_null(t3);
    t3[10] = '4';
    mob_result *x;
    cr_assert_eq(mob__result_parse_json(bad, strlen(bad), &x), -EBADMSG);
    cr_assert_str_eq(mob__json_why(), "a second's failures are not the sum of their classes");
    /* A version 1 report (seconds without classes) still reads; merged, those seconds have only
     * their totals, and the chart says so. */
    char *old = strdup(text);
    memcpy(strstr(old, "{\"mob\":2,"), "{\"mob\":1,", 9);
    for (char *p = strstr(old, "\"timeline\":"); (p = strstr(p, ",\"fail\":{"));)
        memmove(p, strchr(p, '}') + 1, strlen(strchr(p, '}') + 1) + 1);
    mob_result *o = json_read(old, "r:old");
    cr_assert(!o->secs[0].byclass && o->secs[0].fail == 4);
    cr_assert_eq(mob_result_merge(a, o), 0);
    cr_assert(!a->secs[0].byclass, "a merge with an unknown second is unknown");
    cr_assert_eq(a->secs[0].fail, 12);
    fig = failures_chart(a);
    cr_assert_not_null(strstr(fig, "this report has no classes per second"), "%s", fig);
    cr_assert_not_null(strstr(fig, ">failures/s<"), "the total instead: %s", fig);
    free(bad);
    free(old);
    free(text);
    mob_result_free(o);
    mob_result_free(a);
    mob_result_free(b);
    mob_result_free(r);
}
