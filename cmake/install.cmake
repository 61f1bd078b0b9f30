# install.cmake: what `make install` / `cmake --install` puts where. Every destination is
# relative to CMAKE_INSTALL_PREFIX (default /usr/local), so the prefix, `cmake --install
# --prefix` and DESTDIR move all of it:
#   bin/bc260y                      the CLI (finds the rest relative to its own location)
#   lib/lua/5.4/bc260y/core.so      the C module   } where stock lua5.4 looks under
#   lib/lua/5.4/bc260y/signals.so   the stop signals (bc260y run)
#   lib/lua/5.4/bc260y/sim/core.so  the virtual module's C part (with the virtual module)
#   share/lua/5.4/bc260y/           the Lua modules, with their rooms (modem/, console/,
#                                   sim/, adapters/)} /usr/local (and /usr)
#   share/bc260y/                   examples, README.md, LICENSE, lab/checks (bc260y check)
#   lib/libbc260y.{a,so}, include/bc260y/*.h, lib/pkgconfig/bc260y.pc   the core for C
set(BC260Y_LUA_CDIR lib/lua/5.4 CACHE STRING "Where bc260y/core.so is installed (relative: under the prefix)")
set(BC260Y_LUA_DIR share/lua/5.4 CACHE STRING "Where the bc260y Lua modules are installed (relative: under the prefix)")
set(BC260Y_DATADIR ${CMAKE_INSTALL_DATADIR}/bc260y CACHE STRING "Where the examples and docs are installed")

if(TARGET bc260y_lua)
  install(TARGETS bc260y_lua bc260y_signals_lua LIBRARY DESTINATION ${BC260Y_LUA_CDIR}/bc260y COMPONENT lua)
  if(BC260Y_INSTALL_SIM) # the virtual module's C part goes with it
    install(TARGETS bc260y_sim_lua LIBRARY DESTINATION ${BC260Y_LUA_CDIR}/bc260y/sim COMPONENT lua)
  endif()
endif()

# The Lua modules; the virtual module and the demo (most of the Lua) only on request.
file(GLOB_RECURSE LUA_MODULES RELATIVE ${CMAKE_SOURCE_DIR}/lua CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/lua/bc260y/*.lua)
if(NOT BC260Y_INSTALL_SIM)
  list(FILTER LUA_MODULES EXCLUDE REGEX "^bc260y/(sim/|demo\\.lua$)")
endif()
if(BC260Y_BYTECODE)
  # luac's output loads on any target with the same lua_Integer/lua_Number sizes (Lua 5.4
  # checks them at load): for a cross build pass the host luac of the target's Lua.
  find_program(LUAC_EXE NAMES luac5.4 luac REQUIRED)
  set(LUA_INSTALL_ROOT ${CMAKE_BINARY_DIR}/luac)
  set(BYTECODE_FILES)
  foreach(rel ${LUA_MODULES})
    set(out ${LUA_INSTALL_ROOT}/${rel})
    get_filename_component(outdir ${out} DIRECTORY)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${outdir}
      COMMAND ${LUAC_EXE} -s -o ${out} ${CMAKE_SOURCE_DIR}/lua/${rel}
      DEPENDS ${CMAKE_SOURCE_DIR}/lua/${rel} VERBATIM)
    list(APPEND BYTECODE_FILES ${out})
  endforeach()
  add_custom_target(bc260y_bytecode ALL DEPENDS ${BYTECODE_FILES})
else()
  set(LUA_INSTALL_ROOT ${CMAKE_SOURCE_DIR}/lua)
endif()
foreach(rel ${LUA_MODULES})
  get_filename_component(reldir ${rel} DIRECTORY)
  install(FILES ${LUA_INSTALL_ROOT}/${rel} DESTINATION ${BC260Y_LUA_DIR}/${reldir} COMPONENT lua)
endforeach()

install(PROGRAMS ${CMAKE_SOURCE_DIR}/lua/bin/bc260y DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT lua)
if(BC260Y_INSTALL_EXAMPLES)
  install(DIRECTORY ${CMAKE_SOURCE_DIR}/examples DESTINATION ${BC260Y_DATADIR} COMPONENT lua)
  install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION ${BC260Y_DATADIR}
    COMPONENT lua)
  if(BC260Y_INSTALL_SIM) # `bc260y check` grades the lab's exercises by these (bc260y.sim.check)
    install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/lab/checks DESTINATION ${BC260Y_DATADIR}/lab COMPONENT lua)
  endif()
endif()

# The core for C programs: static and shared libbc260y, the headers under include/bc260y/
# (#include <bc260y/bc260y.h>), and bc260y.pc, which finds its prefix from its own
# location (a staged or moved tree works).
if(BC260Y_INSTALL_C)
  install(TARGETS bc260y_core bc260y_shared
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT c
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT c)
  install(FILES ${CORE_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bc260y COMPONENT c)
  set(PC_LIBS_PRIVATE "")
  if(BC260Y_HAVE_LIBSERIALPORT)
    set(PC_LIBS_PRIVATE "-lserialport")
  endif()
  file(RELATIVE_PATH PC_PREFIX_FROM_PCFILEDIR
    ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
  configure_file(${CMAKE_SOURCE_DIR}/cmake/bc260y.pc.in ${CMAKE_BINARY_DIR}/bc260y.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/bc260y.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT c)
endif()

# `cmake --build build --target uninstall` (make uninstall runs the same script with its
# PREFIX): removes what an install with the same prefix and DESTDIR would write, and the
# bc260y directories it leaves empty.
add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${CMAKE_BINARY_DIR} -DPREFIX=${CMAKE_INSTALL_PREFIX}
          -P ${CMAKE_SOURCE_DIR}/cmake/uninstall.cmake
  VERBATIM)
