#include "ccurses.h"
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int started = 0;
static int colors = 0;

static void restore_and_reraise(int sig) {
    if (started) {
        endwin();
        started = 0;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/// The handlers that were in place for crash signals (the Swift runtime's backtracer).
static struct sigaction previous_crash_handlers[NSIG];
static const int crash_signals[] = {SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV};

/// A crash: restore the terminal first, then hand the signal to whoever handled it before
/// (the backtracer then prints its report on a usable terminal).
static void restore_then_chain(int sig, siginfo_t *info, void *context) {
    (void)context;
    if (started) {
        endwin();
        started = 0;
    }
    if (info != NULL && info->si_code > 0) {
        // A fault: on return its instruction runs again and reaches the previous handler
        // (the backtracer), which reports it on the restored terminal.
        sigaction(sig, &previous_crash_handlers[sig], NULL);
    } else {
        // Sent by a process, raise() or abort(): end with the signal's default action.
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

/// Home, End and Delete as terminals send them, whatever TERM's terminfo says: tmux and screen
/// send ESC [ 1 ~ and ESC [ 4 ~, xterm ESC O H or ESC [ H. Curses knows only its terminfo's
/// sequences; any other would reach the console as Esc (closing a dialog) and then as letters.
static void define_usual_keys(void) {
    static const struct { const char *sequence; int key; } usual[] = {
        {"\033[1~", KEY_HOME}, {"\033[7~", KEY_HOME}, {"\033[H", KEY_HOME}, {"\033OH", KEY_HOME},
        {"\033[4~", KEY_END},  {"\033[8~", KEY_END},  {"\033[F", KEY_END},  {"\033OF", KEY_END},
        {"\033[3~", KEY_DC},
    };
    for (unsigned i = 0; i < sizeof usual / sizeof usual[0]; i++) {
        if (key_defined(usual[i].sequence) == 0) define_key(usual[i].sequence, usual[i].key);
    }
}

int mc_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

int mc_start(int want_color) {
    setlocale(LC_ALL, "");
    // A parent may have started us with these blocked (signal masks are inherited);
    // the console relies on them for resize, suspend and a clean exit.
    sigset_t needed;
    sigemptyset(&needed);
    int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGTSTP, SIGCONT};
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&needed, signals[i]);
    pthread_sigmask(SIG_UNBLOCK, &needed, NULL);
    initscr();
    started = 1;
    signal(SIGINT, restore_and_reraise);
    signal(SIGTERM, restore_and_reraise);
    signal(SIGHUP, restore_and_reraise);
    signal(SIGQUIT, restore_and_reraise);
    for (unsigned i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = restore_then_chain;
        action.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigemptyset(&action.sa_mask);
        sigaction(crash_signals[i], &action, &previous_crash_handlers[crash_signals[i]]);
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    define_usual_keys();
    set_escdelay(25);
    curs_set(0);
    colors = 0;
    if (want_color && has_colors()) {
        start_color();
        use_default_colors();
        short palette[] = {COLOR_RED, COLOR_GREEN, COLOR_YELLOW, COLOR_BLUE, COLOR_MAGENTA, COLOR_CYAN, COLOR_WHITE};
        for (short i = 0; i < 7; i++) init_pair(i + 1, palette[i], -1);
        colors = 1;
    }
    return colors;
}

void mc_stop(void) {
    if (started) {
        endwin();
        started = 0;
    }
}

int mc_width(void) { return getmaxx(stdscr); }
int mc_height(void) { return getmaxy(stdscr); }

int mc_read(int timeout_ms, unsigned int *code) {
    wint_t ch = 0;
    timeout(timeout_ms);
    int rc = get_wch(&ch);
    *code = (unsigned int)ch;
    if (rc == KEY_CODE_YES) return MC_KEY;
    if (rc == OK) return MC_CHAR;
    struct pollfd input = { .fd = STDIN_FILENO, .events = POLLIN, .revents = 0 };
    if (poll(&input, 1, 0) < 0 || (input.revents & (POLLHUP | POLLERR | POLLNVAL))) return MC_GONE;
    return MC_NONE;
}

void mc_put(int y, int x, const char *utf8, int style) {
    attr_t attrs = A_NORMAL;
    if (style & MC_BOLD) attrs |= A_BOLD;
    if (style & MC_DIM) attrs |= A_DIM;
    if (style & MC_REVERSE) attrs |= A_REVERSE;
    if (style & MC_UNDERLINE) attrs |= A_UNDERLINE;
    short pair = colors ? (short)(style & MC_COLOR_MASK) : 0;
    attr_set(attrs, pair, NULL);
    mvaddstr(y, x, utf8);
    attr_set(A_NORMAL, 0, NULL);
}

void mc_refresh(void) { refresh(); }

// Blanks the window as well: after a resize curses keeps the old content where the sizes
// overlap, and the bottom-right cell, which the console never writes, would show it.
void mc_clear(void) {
    erase();
    clearok(curscr, TRUE);
}
