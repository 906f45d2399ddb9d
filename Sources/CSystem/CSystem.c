#define _GNU_SOURCE
#include <strings.h>
#include "CSystem.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int gfn_rename_exchange(const char *a, const char *b) {
#ifdef SYS_renameat2
    return (int)syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int gfn_set_parent_death_signal(int signal) {
    return prctl(PR_SET_PDEATHSIG, (unsigned long)signal, 0, 0, 0);
}

int gfn_cpu_can_run_openblas_core(const char *core) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    static const char *const baseline[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom", "Nano", "Opteron",
                                           "Opteron_SSE3", "Barcelona", "Bobcat", 0};
    static const char *const avx[] = {"Sandybridge", "Bulldozer", "Piledriver", 0};
    static const char *const avx2[] = {"Haswell", "Zen", "Steamroller", "Excavator", 0};
    for (int i = 0; baseline[i]; i++) if (!strcasecmp(core, baseline[i])) return __builtin_cpu_supports("sse3");
    for (int i = 0; avx[i]; i++) if (!strcasecmp(core, avx[i])) return __builtin_cpu_supports("avx");
    for (int i = 0; avx2[i]; i++) if (!strcasecmp(core, avx2[i])) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
                       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd");
    if (!strcasecmp(core, "SkylakeX")) return avx512;
    if (!strcasecmp(core, "Cooperlake")) return avx512 && __builtin_cpu_supports("avx512bf16");
#else
    (void)core;
#endif
    return 0;
}
