/* Version and the names of codes and paths. */
#include "internal.h"

const char *techmv_version(void) {
  return TECHMV_VERSION_STRING;
}

int techmv_version_number(void) {
  return TECHMV_VERSION_NUMBER;
}

const char *techmv_rc_string(int rc) {
  switch (rc) {
  case TECHMV_OK:
    return "success";
  case TECHMV_EINVAL:
    return "invalid argument";
  case TECHMV_ENOMEM:
    return "out of memory";
  case TECHMV_ESTATE:
    return "connection not in a usable state";
  case TECHMV_ECONN:
    return "connection error";
  case TECHMV_ESERVER:
    return "server error";
  case TECHMV_EBUSY:
    return "refresh already running";
  case TECHMV_ETIMEOUT:
    return "lock timeout";
  case TECHMV_ENOTINSTALLED:
    return "not installed";
  case TECHMV_ESTALE:
    return "prepared statement lost inside a transaction block";
  case TECHMV_EREADONLY:
    return "read-only server";
  case TECHMV_ESCHEMA:
    return "installed schema too old";
  default:
    return "unknown result code";
  }
}

const char *techmv_path_string(int path) {
  switch (path) {
  case TECHMV_PATH_VIEW:
    return "view";
  case TECHMV_PATH_BASE:
    return "base";
  case TECHMV_PATH_FALLBACK:
    return "fallback";
  default:
    return "unknown";
  }
}
