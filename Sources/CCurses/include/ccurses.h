// The one header that includes curses. Only the Terminal target imports this module.
#ifndef MIGCTL_CCURSES_H
#define MIGCTL_CCURSES_H

#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <ncursesw/curses.h>

/// Style bits shared with Swift: colour index in bits 0-3, then attributes.
enum {
    MC_COLOR_MASK = 0x0F,
    MC_BOLD = 0x10,
    MC_DIM = 0x20,
    MC_REVERSE = 0x40,
    MC_UNDERLINE = 0x80,
};

/// Result kinds of mc_read.
enum { MC_NONE = 0, MC_CHAR = 1, MC_KEY = 2, MC_GONE = 3 };

/// Sets the locale, enters curses mode and installs signal handlers that restore the
/// terminal on SIGINT, SIGTERM and SIGHUP. Returns 1 when colours are in use.
int mc_start(int want_color);
/// Leaves curses mode; safe to call more than once.
void mc_stop(void);
/// 1 when the locale's character set is UTF-8.
int mc_locale_is_utf8(void);
int mc_width(void);
int mc_height(void);
/// Waits up to timeout_ms for input. Returns MC_NONE, MC_CHAR (a character in *code),
/// MC_KEY (a curses KEY_ code in *code) or MC_GONE when the terminal hung up or was closed
/// (curses then returns at once, every time: a caller looping on it would spin).
int mc_read(int timeout_ms, unsigned int *code);
/// Writes UTF-8 text at row y, column x in a style.
void mc_put(int y, int x, const char *utf8, int style);
/// Pushes what was written to the terminal.
void mc_refresh(void);
/// Forgets what the terminal shows and blanks the window, so the next refresh repaints everything
/// and a cell not drawn again (the bottom-right corner) shows nothing old.
void mc_clear(void);

#endif
