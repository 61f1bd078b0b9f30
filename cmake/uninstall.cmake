# uninstall.cmake: removes an install (cmake -DBUILD_DIR=build -DPREFIX=/usr/local -P
# uninstall.cmake; DESTDIR from the environment). It installs the same build into a
# scratch directory to learn the file list, so it needs no manifest of an earlier install
# and removes nothing that install would not write. Directories are removed only when
# empty and named for bc260y (lib/lua/5.4/bc260y, share/bc260y/examples...).
if(NOT BUILD_DIR OR NOT PREFIX)
  message(FATAL_ERROR "usage: cmake -DBUILD_DIR=<build> -DPREFIX=<prefix> -P uninstall.cmake")
endif()
get_filename_component(BUILD_DIR "${BUILD_DIR}" ABSOLUTE) # make passes build/
set(scratch ${BUILD_DIR}/uninstall-scratch)
file(REMOVE_RECURSE ${scratch})
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env DESTDIR=${scratch} ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
  RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot list the installed files (cmake --install failed)")
endif()
file(GLOB_RECURSE installed LIST_DIRECTORIES false RELATIVE ${scratch} ${scratch}/*)
set(dirs)
foreach(rel ${installed})
  set(target "$ENV{DESTDIR}/${rel}")
  if(EXISTS ${target} OR IS_SYMLINK ${target})
    message(STATUS "Removing: ${target}")
    file(REMOVE ${target})
  endif()
  get_filename_component(dir ${rel} DIRECTORY)
  while(dir MATCHES "/bc260y(/|$)")
    list(APPEND dirs ${dir})
    get_filename_component(dir ${dir} DIRECTORY)
  endwhile()
endforeach()
file(REMOVE_RECURSE ${scratch})
# Deepest first, so a parent is tried once its children are gone.
list(REMOVE_DUPLICATES dirs)
list(SORT dirs)
list(REVERSE dirs)
foreach(dir ${dirs})
  file(GLOB left LIST_DIRECTORIES true "$ENV{DESTDIR}/${dir}/*" "$ENV{DESTDIR}/${dir}/.*")
  if(IS_DIRECTORY "$ENV{DESTDIR}/${dir}" AND NOT left)
    message(STATUS "Removing: $ENV{DESTDIR}/${dir}/")
    file(REMOVE_RECURSE "$ENV{DESTDIR}/${dir}")
  endif()
endforeach()
