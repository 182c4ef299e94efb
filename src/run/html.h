/* SPDX-License-Identifier: MIT */
/*
 * html.h: what the HTML report (html.c) and its SVG charts (svg.c) share.
 */
#ifndef MOB_RUN_HTML_H
#define MOB_RUN_HTML_H

#include <stdio.h>

/* Units of an axis: a plain count, nanoseconds shown as ns/us/ms/s, seconds, percentiles
 * (drawn on the "nines" scale). */
enum { MOB__SVG_COUNT, MOB__SVG_NS, MOB__SVG_SEC, MOB__SVG_PCT };

struct mob__series {
    const char *name, *color;
    const double *y;           /* n values; not finite: a gap */
};

struct mob__chart {
    const char *title, *xlabel;
    int xunit, yunit;
    const double *x;           /* n values, or NULL for 0 .. n-1 */
    int n;
    const struct mob__series *series;
    int nseries;
    const char *id;            /* the figure's id, or NULL */
};

void mob__svg_chart(FILE *f, const struct mob__chart *c);
/* A value as an axis label in the given unit. */
void mob__svg_fmt(char *buf, size_t n, double v, int unit);
/* Text with <, >, &, " and ' escaped. */
void mob__html_text(FILE *f, const char *s);

#endif /* MOB_RUN_HTML_H */
