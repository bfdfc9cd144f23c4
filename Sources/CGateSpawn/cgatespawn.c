#define _GNU_SOURCE
#include "cgatespawn.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

int mg_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int mg_set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ? -1 : 0;
}

ssize_t mg_write_nosigpipe(int fd, const void *bytes, size_t count) {
    // Block SIGPIPE on this thread for the write; if the write raised one (EPIPE), take it
    // back out of the thread's pending set, unless one was already pending before.
    sigset_t pipe_only, previous, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
    ssize_t written = write(fd, bytes, count);
    int error = errno;
    if (written < 0 && error == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_only, NULL, &zero) < 0 && errno == EINTR) {}
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return written < 0 ? -error : written;
}

pid_t mg_spawn_gate(const char *path, char *const argv[], char *const envp[], int output_fd) {
    return mg_spawn_gate_input(path, argv, envp, -1, output_fd);
}

pid_t mg_spawn_gate_input(const char *path, char *const argv[], char *const envp[], int input_fd, int output_fd) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
        // Only async-signal-safe calls between fork and exec.
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        // A program started by migctl gets every signal deliverable and at its default
        // action, whatever the starting thread blocks (a dispatch worker blocks nearly all)
        // or migctl ignores, and only descriptors 0, 1 and 2.
        mg_child_default_signals();
        if (input_fd >= 0) {
            dup2(input_fd, 0);
        } else {
            int null_fd = open("/dev/null", O_RDONLY);
            if (null_fd >= 0) dup2(null_fd, 0);
        }
        dup2(output_fd, 1);
        dup2(output_fd, 2);
        mg_child_close_others();
        execve(path, argv, envp);
        _exit(127);
    }
    // Also from the parent, so a kill of the group right after this call cannot miss it.
    setpgid(pid, pid);
    return pid;
}
