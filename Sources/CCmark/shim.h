// cmark-gfm and its GitHub extensions (task lists), from Debian's libcmark-gfm-dev.
#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
