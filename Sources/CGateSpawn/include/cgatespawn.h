#ifndef CGATESPAWN_H
#define CGATESPAWN_H
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in a new process group of its own, its stdin on
/// /dev/null and its stdout and stderr on `output_fd`. The child is killed (SIGKILL) if the
/// calling process dies first, so a killed migctl leaves no gate program running.
/// Returns the child's pid (which is also its process group id), or -errno.
pid_t mg_spawn_gate(const char *path, char *const argv[], char *const envp[], int output_fd);

/// pipe2(fds, O_CLOEXEC): a pipe no other program started meanwhile inherits. 0 or -1.
int mg_pipe_cloexec(int fds[2]);

#endif
