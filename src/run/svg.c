/* SPDX-License-Identifier: MIT */
/*
 * svg.c: line charts as inline SVG for the HTML report (html.c). A chart is a frame, "nice"
 * ticks on both axes (1, 2 or 5 times a power of ten), one polyline per series and a legend,
 * all in one <svg> element with a viewBox, so the browser scales it and needs nothing else:
 * no script, no font file, no fetch. Values that are not finite (a second with no latency) are
 * gaps in the line. What the charts show is html.c's business; this file only draws.
 *
 * Read next: src/run/html.c.
 */
#include <math.h>
#include <string.h>

#include "html.h"

#define W 760.0
#define H 240.0
#define LEFT 70.0
#define RIGHT 12.0
#define TOP 30.0
#define BOTTOM 34.0
#define LEGEND_ROW 16.0  /* a legend line of its own, under the title */
#define LEGEND_STEP 85.0 /* room for a swatch and a name of about 10 letters */

/* The largest "nice" step (1, 2 or 5 times a power of ten) giving at most `most` intervals. */
static double nice_step(double span, int most)
{
    if (!(span > 0))
        return 1;
    double raw = span / most, p = pow(10, floor(log10(raw)));
    static const double m[] = {1, 2, 5, 10};
    for (int i = 0; i < 4; i++)
        if (m[i] * p >= raw)
            return m[i] * p;
    return 10 * p;
}

void mob__svg_fmt(char *buf, size_t n, double v, int unit)
{
    if (unit == MOB__SVG_NS) {
        if (v < 1e3)
            snprintf(buf, n, "%.0fns", v);
        else if (v < 1e6)
            snprintf(buf, n, "%.4gus", v / 1e3);
        else if (v < 1e9)
            snprintf(buf, n, "%.4gms", v / 1e6);
        else
            snprintf(buf, n, "%.4gs", v / 1e9);
    } else if (unit == MOB__SVG_PCT) {
        snprintf(buf, n, "%.10g%%", v);
    } else if (unit == MOB__SVG_SEC) {
        snprintf(buf, n, "%.10gs", v);
    } else if (fabs(v) >= 1e9) {
        snprintf(buf, n, "%.4gG", v / 1e9);
    } else if (fabs(v) >= 1e6) {
        snprintf(buf, n, "%.4gM", v / 1e6);
    } else if (fabs(v) >= 1e4) {
        snprintf(buf, n, "%.4gk", v / 1e3);
    } else {
        snprintf(buf, n, "%.10g", v);
    }
}

void mob__html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* x of a sample: its value, or for the percentile curve the "nines" scale -log10(1 - p/100),
 * on which 90, 99 and 99.9 are equally spaced (HdrHistogram's plots). */
static double xval(const struct mob__chart *c, int i)
{
    double x = c->x ? c->x[i] : (double)i;
    if (c->xunit == MOB__SVG_PCT)
        x = -log10(1 - (x < 99.9999 ? x : 99.9999) / 100);
    return x;
}

void mob__svg_chart(FILE *f, const struct mob__chart *c)
{
    double x0 = INFINITY, x1 = -INFINITY, y1 = 0;
    for (int i = 0; i < c->n; i++) {
        double x = xval(c, i);
        x0 = x < x0 ? x : x0;
        x1 = x > x1 ? x : x1;
        for (int s = 0; s < c->nseries; s++) {
            double y = c->series[s].y[i];
            if (isfinite(y) && y > y1)
                y1 = y;
        }
    }
    if (c->n == 0)
        x0 = 0, x1 = 1;
    if (x1 <= x0)
        x1 = x0 + 1;
    double ystep = nice_step(y1 > 0 ? y1 : 1, 5);
    y1 = ystep * ceil((y1 > 0 ? y1 : 1) / ystep);
    /* Up to three series, the legend shares the title's line; more get a line of their own
     * under it, left to right, and the plot starts lower. */
    int wide = c->nseries > 3;
    double top = TOP + (wide ? LEGEND_ROW : 0), pw = W - LEFT - RIGHT, ph = H - top - BOTTOM;
#define PX(x) (LEFT + ((x) - x0) / (x1 - x0) * pw)
#define PY(y) (top + ph - (y) / y1 * ph)
    fputs("<figure class=\"chart\"", f);
    if (c->id)
        fprintf(f, " id=\"%s\"", c->id);
    fprintf(f, "><svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", W, H);
    mob__html_text(f, c->title);
    fprintf(f, "\" xmlns=\"http://www.w3.org/2000/svg\" font-family=\"sans-serif\" "
               "font-size=\"11\">\n<text x=\"%.0f\" y=\"16\" font-size=\"13\" "
               "font-weight=\"bold\">",
            LEFT);
    mob__html_text(f, c->title);
    fputs("</text>\n", f);
    char lab[32];
    for (double y = 0; y <= y1 * 1.0000001; y += ystep) {
        mob__svg_fmt(lab, sizeof lab, y, c->yunit);
        fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                LEFT, W - RIGHT, PY(y), PY(y), LEFT - 6, PY(y) + 4, lab);
    }
    if (c->xunit == MOB__SVG_PCT) {
        static const double marks[] = {0, 90, 99, 99.9, 99.99, 99.999};
        for (int i = 0; i < 6; i++) {
            double x = -log10(1 - marks[i] / 100);
            if (x > x1 + 1e-9)
                break;
            mob__svg_fmt(lab, sizeof lab, marks[i], MOB__SVG_PCT);
            fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                    PX(x), PX(x), top, top + ph, PX(x), H - BOTTOM + 16, lab);
        }
    } else {
        double xstep = nice_step(x1 - x0, 8);
        for (double x = ceil(x0 / xstep) * xstep; x <= x1 + 1e-9; x += xstep) {
            mob__svg_fmt(lab, sizeof lab, x, c->xunit);
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", PX(x),
                    H - BOTTOM + 16, lab);
        }
    }
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#888\"/>\n",
            LEFT, top, pw, ph);
    if (c->xlabel)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
                LEFT + pw / 2, H - 4, c->xlabel);
    for (int s = 0; s < c->nseries; s++) {
        const struct mob__series *se = &c->series[s];
        int open = 0;
        for (int i = 0; i < c->n; i++) {
            double y = se->y[i];
            if (!isfinite(y)) {
                if (open)
                    fputs("\"/>\n", f);
                open = 0;
                continue;
            }
            if (!open)
                fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" "
                           "points=\"",
                        se->color);
            fprintf(f, "%s%.1f,%.1f", open ? " " : "", PX(xval(c, i)), PY(y));
            open = 1;
        }
        if (open)
            fputs("\"/>\n", f);
        /* The legend: one swatch and name per series. */
        double lx = wide ? LEFT + LEGEND_STEP * s : W - RIGHT - 110.0 * (c->nseries - s);
        double ly = wide ? 8 + LEGEND_ROW : 8;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"12\" height=\"4\" fill=\"%s\"/>"
                   "<text class=\"legend\" x=\"%.1f\" y=\"%.0f\">",
                lx, ly, se->color, lx + 16, ly + 6);
        mob__html_text(f, se->name);
        fputs("</text>\n", f);
    }
    fputs("</svg></figure>\n", f);
#undef PX
#undef PY
}
