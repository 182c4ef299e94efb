// SPDX-License-Identifier: MIT
//
// switch_boost.cpp: the yardstick for `mob-bench switch`. Two contexts ping-pong through
// Boost.Context's raw fcontext jump (boost::context::detail::jump_fcontext), the fastest
// switch Boost offers, with no scheduler at all. Prints ns per jump for the clean case and
// for the "dirty FP status" case, where one context has done an inexact division so its
// MXCSR status flags differ from the other's and Boost's unconditional ldmxcsr sees a
// changed value on every jump. Built and run by tools/compare-switch.sh; not part of mob.
//
// usage: switch_boost [--iters N] [--runs R]   (output: "clean <ns>\ndirty <ns>\n", medians)
#include <boost/context/detail/fcontext.hpp>

#include <algorithm>
#include <cfenv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ctx = boost::context::detail;

static volatile double three = 3.0;
static bool dirty;

static void partner(ctx::transfer_t t)
{
    if (dirty) {
        volatile double r = 1.0 / three;  // sets the inexact flag in this context only
        (void)r;
    }
    ctx::fcontext_t back = t.fctx;
    for (;;)
        back = ctx::jump_fcontext(back, nullptr).fctx;
}

static double run_once(long iters, bool make_dirty)
{
    const size_t size = 64 * 1024;
    std::vector<char> stack(size);
    dirty = make_dirty;
    ctx::fcontext_t c = ctx::make_fcontext(stack.data() + size, size, partner);
    c = ctx::jump_fcontext(c, nullptr).fctx;  // start it (and let it dirty its flags)
    if (make_dirty)
        std::feclearexcept(FE_ALL_EXCEPT);
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < iters; i++)
        c = ctx::jump_fcontext(c, nullptr).fctx;
    auto t1 = std::chrono::steady_clock::now();
    // Each iteration is two jumps: there and back.
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / (2.0 * iters);
}

int main(int argc, char **argv)
{
    long iters = 2000000;
    int runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--iters"))
            iters = std::atol(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--runs"))
            runs = std::atoi(argv[i + 1]);
    }
    for (int d = 0; d < 2; d++) {
        std::vector<double> v;
        for (int r = 0; r < runs; r++)
            v.push_back(run_once(d ? iters / 8 : iters, d));
        std::sort(v.begin(), v.end());
        std::printf("%s %.2f\n", d ? "dirty" : "clean", v[v.size() / 2]);
    }
    return 0;
}
