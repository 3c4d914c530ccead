/* libgancore — the library's version (gancore.h). The build defines
 * GANCORE_VERSION from the project's version. */
#include "gancore.h"

const char *
gc_version (void)
{
  return GANCORE_VERSION;
}
