// Linux system calls that Swift cannot reach directly (variadic C functions, or wrappers that
// older C libraries lack). Each returns 0 on success and -1 with errno set on failure.
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

#endif
