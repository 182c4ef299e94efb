/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c: libFuzzer entry point for molotov config files (`mob --config FILE NAME`),
 * read through the same JSON parser as the reports (jtree.c): parse the run "smoke", then
 * check what came back. Built and run by `make fuzz CC=clang` next to the other fuzz_*.c; the
 * seed corpus is tests/corpus/config/. What is checked: no crash, no out-of-bounds read (ASan),
 * a refusal always says why in one line, and an accepted run's flags are all long options or
 * values and its environment comes in name, value pairs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "run/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mob__config_run r;
    char err[512] = "";
    if (mob__cli_config_parse((const char *)data, size, "smoke", &r, err, sizeof err) < 0) {
        if (!err[0] || strchr(err, '\n'))
            abort();
        return 0;
    }
    if (r.nenv % 2 != 0)
        abort();
    for (int i = 0; i < r.argc; i++)
        if (!r.argv[i])
            abort();
    mob__cli_config_free(&r);
    return 0;
}
