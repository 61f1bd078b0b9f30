/* web_files.h: the web page's static files (platform/web/), built into the program by
 * cmake/embed_files.cmake so that `bc260y platform` serves them from wherever it is
 * installed. */
#ifndef BC260Y_PLATFORM_WEB_FILES_H
#define BC260Y_PLATFORM_WEB_FILES_H

#include <stddef.h>

struct web_file {
  const char *path;      /* "/index.html" */
  const unsigned char *data;
  size_t len;
};

extern const struct web_file web_files[];
extern const size_t web_files_count;

#endif
