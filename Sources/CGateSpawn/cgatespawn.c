#define _GNU_SOURCE
#include "cgatespawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

int mg_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

pid_t mg_spawn_gate(const char *path, char *const argv[], char *const envp[], int output_fd) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -errno;
    if (pid == 0) {
        // Only async-signal-safe calls between fork and exec.
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int null_fd = open("/dev/null", O_RDONLY);
        if (null_fd >= 0) dup2(null_fd, 0);
        dup2(output_fd, 1);
        dup2(output_fd, 2);
        execve(path, argv, envp);
        _exit(127);
    }
    // Also from the parent, so a kill of the group right after this call cannot miss it.
    setpgid(pid, pid);
    return pid;
}
