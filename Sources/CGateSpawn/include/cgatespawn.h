#ifndef CGATESPAWN_H
#define CGATESPAWN_H
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in a new process group of its own, its stdin on
/// /dev/null and its stdout and stderr on `output_fd`. The child is killed (SIGKILL) if the
/// calling process dies first, so a killed migctl leaves no gate program running.
/// Returns the child's pid (which is also its process group id), or -errno.
pid_t mg_spawn_gate(const char *path, char *const argv[], char *const envp[], int output_fd);

/// As `mg_spawn_gate`, with the child's stdin on `input_fd` (the read end of a pipe), or on
/// /dev/null when `input_fd` is negative.
pid_t mg_spawn_gate_input(const char *path, char *const argv[], char *const envp[], int input_fd, int output_fd);

/// pipe2(fds, O_CLOEXEC): a pipe no other program started meanwhile inherits. 0 or -1.
int mg_pipe_cloexec(int fds[2]);

/// Makes writes to `fd` return EAGAIN instead of blocking. 0 or -1.
int mg_set_nonblocking(int fd);

/// write(2) that never raises SIGPIPE: a reader that has gone away is an EPIPE result, not a
/// signal that would end migctl. Returns the bytes written or -errno.
ssize_t mg_write_nosigpipe(int fd, const void *bytes, size_t count);

#endif
