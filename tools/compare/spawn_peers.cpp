// SPDX-License-Identifier: MIT
//
// spawn_peers.cpp: the yardsticks for `mob-bench spawn`. Creates N fibers that each run once
// and park, with no scheduler and no timer, through one of:
//   boost     Boost.Context's raw fcontext (make_fcontext, jump_fcontext), the cheapest way
//             Boost offers to start a fiber;
//   ucontext  glibc's getcontext, makecontext and swapcontext (each of which, unlike the
//             others, also saves or sets the signal mask with a system call).
// Both get the same kind of stacks as mob's: 64 KiB carved from one mapping, a guard page
// below each installed with MADV_GUARD_INSTALL where the kernel has it (Boost's own
// protected_fixedsize_stack maps each stack apart, and a million stacks would pass the
// kernel's default limit of 65,530 mappings), handed back on a LIFO free list. As
// mob-bench spawn does, round 1 is cold (fresh stacks: guard install and first-touch fault),
// then every fiber is resumed to its end, and round 2 reuses the stacks (warm).
// Built and run by tools/compare-spawn.sh; not part of mob.
//
// usage: spawn_peers boost|ucontext [--bots N]
// output: "cold <wall ns per fiber> <on-CPU ns per fiber>\nwarm ... ...\n"
#include <boost/context/detail/fcontext.hpp>

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

namespace ctx = boost::context::detail;

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 // Linux 6.13
#endif

static const size_t kStack = 64 * 1024;

struct Stacks {
    char *base = nullptr;
    size_t stride = 0, page = 0;
    int fresh = 0, n = 0;
    std::vector<int> free; // LIFO, as mob's pool
    bool Init(int count)
    {
        page = (size_t)sysconf(_SC_PAGESIZE);
        stride = kStack + page;
        n = count;
        void *m = mmap(nullptr, stride * (size_t)n, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        base = m == MAP_FAILED ? nullptr : static_cast<char *>(m);
        free.reserve((size_t)n);
        return base != nullptr;
    }
    int Get() // a stack's index; its usable bytes are [Lo(i), Lo(i) + kStack)
    {
        if (!free.empty()) {
            int i = free.back();
            free.pop_back();
            return i;
        }
        int i = fresh++;
        madvise(base + (size_t)i * stride, page, MADV_GUARD_INSTALL); // none when refused
        return i;
    }
    char *Lo(int i) const { return base + (size_t)i * stride + page; }
};

// This thread's time on a CPU, in ns.
static unsigned long long OnCpuNs()
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static long started;

// ---- Boost.Context ------------------------------------------------------------------------

struct BoostFiber {
    ctx::fcontext_t fc;
    int stack;
};

static void BoostBody(ctx::transfer_t t)
{
    started++;
    t = ctx::jump_fcontext(t.fctx, nullptr); // park until resumed to finish
    ctx::jump_fcontext(t.fctx, nullptr);     // finished: never resumed again
}

static void BoostRound(Stacks &s, std::vector<BoostFiber> &f)
{
    for (auto &x : f) {
        x.stack = s.Get();
        x.fc = ctx::make_fcontext(s.Lo(x.stack) + kStack, kStack, BoostBody);
    }
    for (auto &x : f)
        x.fc = ctx::jump_fcontext(x.fc, nullptr).fctx;
}

static void BoostFinish(Stacks &s, std::vector<BoostFiber> &f)
{
    for (auto &x : f) {
        ctx::jump_fcontext(x.fc, nullptr);
        s.free.push_back(x.stack);
    }
}

// ---- ucontext -----------------------------------------------------------------------------

struct UFiber {
    ucontext_t uc;
    int stack;
};

static ucontext_t host;
static UFiber *running;

static void UBody()
{
    started++;
    swapcontext(&running->uc, &host); // park
    setcontext(&host);                // finished
}

static void URound(Stacks &s, std::vector<UFiber> &f)
{
    for (auto &x : f) {
        x.stack = s.Get();
        getcontext(&x.uc);
        x.uc.uc_stack.ss_sp = s.Lo(x.stack);
        x.uc.uc_stack.ss_size = kStack;
        x.uc.uc_link = nullptr;
        makecontext(&x.uc, UBody, 0);
    }
    for (auto &x : f) {
        running = &x;
        swapcontext(&host, &x.uc);
    }
}

static void UFinish(Stacks &s, std::vector<UFiber> &f)
{
    for (auto &x : f) {
        running = &x;
        swapcontext(&host, &x.uc);
        s.free.push_back(x.stack);
    }
}

// ---- driver -------------------------------------------------------------------------------

template <class F, class R, class D>
static void Measure(const char *name, Stacks &s, std::vector<F> &f, R round, D finish)
{
    started = 0;
    unsigned long long c0 = OnCpuNs();
    auto t0 = std::chrono::steady_clock::now();
    round(s, f);
    auto t1 = std::chrono::steady_clock::now();
    unsigned long long c1 = OnCpuNs();
    if (started != (long)f.size()) {
        fprintf(stderr, "spawn_peers: %ld of %zu fibers ran\n", started, f.size());
        exit(1);
    }
    double n = (double)f.size();
    printf("%s %.1f %.1f\n", name,
           (double)std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count() / n,
           (double)(c1 - c0) / n);
    finish(s, f);
}

template <class F, class R, class D> static void Rounds(int n, R round, D finish)
{
    Stacks s;
    if (!s.Init(n)) {
        perror("spawn_peers: mmap");
        exit(1);
    }
    std::vector<F> f((size_t)n);
    Measure("cold", s, f, round, finish);
    Measure("warm", s, f, round, finish);
}

int main(int argc, char **argv)
{
    long n = 100000;
    if (argc >= 4 && !strcmp(argv[2], "--bots"))
        n = atol(argv[3]);
    if (argc < 2 || (argc != 2 && argc != 4) || n < 1 || n > 10000000 ||
        (strcmp(argv[1], "boost") && strcmp(argv[1], "ucontext"))) {
        fprintf(stderr, "usage: spawn_peers boost|ucontext [--bots N]\n");
        return 2;
    }
    if (!strcmp(argv[1], "boost"))
        Rounds<BoostFiber>((int)n, BoostRound, BoostFinish);
    else
        Rounds<UFiber>((int)n, URound, UFinish);
    return 0;
}
