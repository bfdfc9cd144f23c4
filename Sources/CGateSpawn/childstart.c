// How every program migctl (and its tests) start begins: no signal blocked, every signal at
// its default action, no descriptor but 0, 1 and 2. One place for both ways of starting one:
// posix_spawn attributes and a forked child about to exec.
#define _GNU_SOURCE
#include "cgatespawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <unistd.h>

int mg_spawnattr_default_signals(posix_spawnattr_t *attributes) {
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    short flags = 0;
    int failed = posix_spawnattr_getflags(attributes, &flags);
    if (!failed) failed = posix_spawnattr_setsigmask(attributes, &none);
    if (!failed) failed = posix_spawnattr_setsigdefault(attributes, &all);
    if (!failed) failed = posix_spawnattr_setflags(attributes, flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    return failed;
}

void mg_child_default_signals(void) {
    // Dispositions first, while the inherited mask still holds signals back; sigaction refuses
    // SIGKILL, SIGSTOP and the C library's own signals, which is fine: exec resets handlers,
    // and those cannot be ignored by a program anyway.
    struct sigaction action;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &action, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

void mg_child_close_others(void) {
    if (close_range(3, ~0U, 0) == 0) return;
    // A kernel before 5.9: close them one by one, up to the descriptor limit.
    struct rlimit limit;
    int highest = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < 1048576
                      ? (int)limit.rlim_cur : 65536;
    for (int fd = 3; fd < highest; fd++) close(fd);
}

pid_t mg_spawn_program(const char *path, char *const argv[], char *const envp[], const char *directory,
                       int input_fd, int output_fd, int error_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int failed = posix_spawn_file_actions_init(&actions);
    if (failed) return -failed;
    failed = posix_spawnattr_init(&attributes);
    if (failed) {
        posix_spawn_file_actions_destroy(&actions);
        return -failed;
    }
    int sources[3] = {input_fd, output_fd, error_fd};
    for (int target = 0; target < 3 && !failed; target++) {
        failed = sources[target] < 0
                     ? posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
                     : posix_spawn_file_actions_adddup2(&actions, sources[target], target);
    }
    if (!failed) failed = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (!failed && directory != NULL) failed = posix_spawn_file_actions_addchdir_np(&actions, directory);
    if (!failed) failed = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    if (!failed) failed = posix_spawnattr_setpgroup(&attributes, 0);
    if (!failed) failed = mg_spawnattr_default_signals(&attributes);
    pid_t pid = 0;
    if (!failed) failed = posix_spawn(&pid, path, &actions, &attributes, argv, envp);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    return failed ? -failed : pid;
}
