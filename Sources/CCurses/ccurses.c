#include "ccurses.h"
#include <langinfo.h>
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

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
    int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP, SIGCONT};
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaddset(&needed, signals[i]);
    pthread_sigmask(SIG_UNBLOCK, &needed, NULL);
    initscr();
    started = 1;
    signal(SIGINT, restore_and_reraise);
    signal(SIGTERM, restore_and_reraise);
    signal(SIGHUP, restore_and_reraise);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
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

void mc_clear(void) { clearok(curscr, TRUE); }
