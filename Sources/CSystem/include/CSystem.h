// Linux system calls that Swift cannot reach directly (variadic C functions, or wrappers that
// older C libraries lack; each returns 0 on success and -1 with errno set on failure), and a
// team of spinning helper threads built on pthreads, C11 atomics and the futex call.
#ifndef GFN_CSYSTEM_H
#define GFN_CSYSTEM_H

/// Atomically exchanges two paths (renameat2 with RENAME_EXCHANGE): both must exist.
/// Fails with EINVAL or ENOSYS where the kernel or file system does not support it.
int gfn_rename_exchange(const char *a, const char *b);

/// Asks the kernel to send `signal` to this process when its parent thread exits (PR_SET_PDEATHSIG).
int gfn_set_parent_death_signal(int signal);

/// 1 when this CPU has the instructions OpenBLAS's kernels for `core` (a core name as
/// openblas_get_corename() prints it, e.g. "Haswell", "Zen", "SkylakeX", "Cooperlake") need, so
/// that OPENBLAS_CORETYPE may name it; 0 for a core it lacks them for or does not know.
int gfn_cpu_can_run_openblas_core(const char *core);

/// A team of persistent helper threads for fork-join sections that come every few hundred
/// microseconds (a sampler's products and rows, step after step), where waking a sleeping thread
/// for each section costs more than the section saves. Helpers spin (yielding the core) for
/// `spin_nanoseconds` after a section, then sleep until the next.
typedef struct gfn_team gfn_team;

/// A section's work: part `part` of it.
typedef void (*gfn_team_body)(void *context, long part);

/// Starts `helpers` (1…63) threads; NULL when they cannot be started.
gfn_team *gfn_team_create(int helpers, long spin_nanoseconds);

/// Runs body(context, part) once for every part in 0..<parts (1 ≤ parts ≤ 65535), each on whichever thread claims it
/// first (the caller or a helper; a helper late to the section leaves its parts to the caller),
/// and returns 0 once all have finished. Returns −1, having run nothing, when `parts` is out of
/// range or the team is running another caller's section (a nested or concurrent call): the
/// caller then shares out the work another way.
int gfn_team_run(gfn_team *team, gfn_team_body body, void *context, long parts);

#endif
