#ifndef CGATESPAWN_H
#define CGATESPAWN_H
#include <spawn.h>
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in a new process group of its own, its stdin on
/// /dev/null and its stdout and stderr on `output_fd`. The child is killed (SIGKILL) if the
/// calling process dies first, so a killed migctl leaves no gate program running. Like every
/// program migctl starts, it has no signal blocked, every signal at its default action and no
/// descriptor but 0, 1 and 2 (``mg_child_default_signals``, ``mg_child_close_others``).
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

/// Makes a posix_spawn start its program with no signal blocked and every signal at its default
/// action (POSIX_SPAWN_SETSIGMASK with an empty set, POSIX_SPAWN_SETSIGDEF with all of them),
/// keeping the flags already set. A spawned program otherwise inherits the calling thread's
/// mask, and libdispatch's worker threads (where Swift concurrency, and so every Swift Testing
/// test, runs) block nearly every signal: a tmux server started from one could not even obey
/// its own `kill-server`. 0 or an errno.
int mg_spawnattr_default_signals(posix_spawnattr_t *attributes);

/// The same for a forked child before it execs: every signal back to its default action, then
/// none blocked. Async-signal-safe.
void mg_child_default_signals(void);

/// Closes every descriptor from 3 up, in a forked child before it execs, so a program started
/// by a process with many threads never holds another thread's pipe open. Async-signal-safe.
void mg_child_close_others(void);

/// Starts `path` (no PATH search) with `argv` and `envp`, in `directory` when not NULL, in a
/// process group of its own, with stdin, stdout and stderr on `input_fd`, `output_fd` and
/// `error_fd` (each /dev/null when negative), no other descriptor, no signal blocked and every
/// signal at its default action (``mg_spawnattr_default_signals``). The descriptors are closed
/// in the child at exec, so nothing another thread opens meanwhile can leak into it, whether
/// or not it is close-on-exec. Returns the child's pid, or -errno (the exec's too).
pid_t mg_spawn_program(const char *path, char *const argv[], char *const envp[], const char *directory,
                       int input_fd, int output_fd, int error_fd);

#endif
