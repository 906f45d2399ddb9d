// A team of persistent helper threads for short fork-join sections (see CSystem.h).
#define _GNU_SOURCE
#include "CSystem.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define GFN_PAUSE() _mm_pause()
#else
#define GFN_PAUSE() ((void)0)
#endif

enum { GFN_TEAM_MAX_HELPERS = 63 };

// A section's parts are claimed, one at a time, by whichever thread gets there first: the caller
// and the helpers alike. A helper that is slow to wake (or descheduled) costs nothing but its
// share; the caller then runs the parts itself.
//
// `section` packs the section's number (high 32 bits), its part count (16 bits) and the next
// unclaimed part (low 16 bits), so a claim is one compare-and-swap that fails if the section
// has moved on, and whether a part is left is read from the same word. The body and context are
// atomics: a helper may read them while the caller is already writing the next section's; its
// claim then fails and it discards what it read.
struct gfn_team {
    long spin_nanoseconds;
    atomic_int busy;                 // the caller holds the team while it runs a section
    _Atomic uint64_t section;
    atomic_uint wake;                // futex word: moves at every section
    atomic_int sleepers;             // helpers asleep on `wake`
    atomic_long done;                // parts of the current section finished
    _Atomic(gfn_team_body) body;
    _Atomic(void *) context;
};

static long now_nanoseconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

// Claims and runs parts of section `number` until none is left; returns how many it ran.
static long run_parts(struct gfn_team *team, uint32_t number) {
    long ran = 0;
    for (;;) {
        uint64_t state = atomic_load_explicit(&team->section, memory_order_acquire);
        if ((uint32_t)(state >> 32) != number) return ran;
        const long parts = (long)((state >> 16) & 0xffff), part = (long)(state & 0xffff);
        if (part >= parts) return ran;
        gfn_team_body body = atomic_load_explicit(&team->body, memory_order_relaxed);
        void *context = atomic_load_explicit(&team->context, memory_order_relaxed);
        if (!atomic_compare_exchange_weak_explicit(&team->section, &state, state + 1, memory_order_acq_rel, memory_order_acquire)) continue;
        body(context, part);
        atomic_fetch_add_explicit(&team->done, 1, memory_order_release);
        ran++;
    }
}

static void *helper_main(void *argument) {
    struct gfn_team *team = argument;
    uint32_t seen = 0;       // section 0 is the team's start: a section published before this thread runs is not missed
    long spin_until = now_nanoseconds() + team->spin_nanoseconds;
    for (int round = 0;; round++) {
        uint32_t wake = atomic_load_explicit(&team->wake, memory_order_acquire);
        uint32_t number = (uint32_t)(atomic_load_explicit(&team->section, memory_order_acquire) >> 32);
        if (number != seen) {
            seen = number;
            run_parts(team, number);
            spin_until = now_nanoseconds() + team->spin_nanoseconds;
            continue;
        }
        // Between sections: spin a while (in a sampling loop they come every few hundred
        // microseconds), yielding the core to any other runnable thread; then sleep.
        for (int i = 0; i < 32; i++) GFN_PAUSE();
        if ((round & 15) != 15) continue;
        if (now_nanoseconds() < spin_until) { sched_yield(); continue; }
        atomic_fetch_add_explicit(&team->sleepers, 1, memory_order_seq_cst);
        // `wake` was read before `section`: a section published since then has moved it, and the
        // futex returns at once.
        syscall(SYS_futex, (unsigned *)&team->wake, FUTEX_WAIT_PRIVATE, wake, NULL, NULL, 0);
        atomic_fetch_sub_explicit(&team->sleepers, 1, memory_order_seq_cst);
        spin_until = now_nanoseconds() + team->spin_nanoseconds;
    }
    return NULL;
}

gfn_team *gfn_team_create(int helpers, long spin_nanoseconds) {
    if (helpers < 1 || helpers > GFN_TEAM_MAX_HELPERS) return NULL;
    struct gfn_team *team = calloc(1, sizeof *team);
    if (!team) return NULL;
    team->spin_nanoseconds = spin_nanoseconds;
    for (int h = 0; h < helpers; h++) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, helper_main, team);
        pthread_attr_destroy(&attributes);
        // Helpers already started are harmless: the caller runs every part it cannot hand out.
        if (failed) break;
    }
    return team;
}

int gfn_team_run(gfn_team *team, gfn_team_body body, void *context, long parts) {
    if (parts < 1 || parts > 0xffff) return -1;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&team->busy, &expected, 1)) return -1;
    atomic_store_explicit(&team->body, body, memory_order_relaxed);
    atomic_store_explicit(&team->context, context, memory_order_relaxed);
    atomic_store_explicit(&team->done, 0, memory_order_relaxed);
    uint32_t number = (uint32_t)(atomic_load_explicit(&team->section, memory_order_relaxed) >> 32) + 1;
    atomic_store_explicit(&team->section, (uint64_t)number << 32 | (uint64_t)parts << 16, memory_order_seq_cst);
    atomic_fetch_add_explicit(&team->wake, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&team->sleepers, memory_order_seq_cst) > 0)
        syscall(SYS_futex, (unsigned *)&team->wake, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
    run_parts(team, number);
    // The parts helpers claimed: wait for them (yielding now and then, should one have been
    // descheduled mid-part).
    for (int round = 0; atomic_load_explicit(&team->done, memory_order_acquire) < parts; round++) {
        GFN_PAUSE();
        if ((round & 255) == 255) sched_yield();
    }
    atomic_store_explicit(&team->busy, 0, memory_order_release);
    return 0;
}
