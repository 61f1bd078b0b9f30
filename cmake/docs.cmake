# docs.cmake: `make docs` (the target `docs`, never part of ALL): the lab's figures drawn
# again from the virtual module (bc260y.sim.lab_figures, into docs/lab/figures: committed,
# and spec/lua/lab_figures_spec.lua checks they are current) and the printable handouts,
# build/docs/lab-handout.{en,zh}.pdf (docs/lab/handout.sh: headless Chromium).
if(NOT TARGET bc260y_sim_lua) # no virtual module in this build (a cross build)
  return()
endif()
add_custom_target(docs
  COMMAND ${CMAKE_COMMAND} -E env "LUA_PATH=${BC260Y_LUA_PATH}" "LUA_CPATH=${BC260Y_LUA_CPATH}"
          ${LUA_EXE} -e "require('bc260y.sim.lab_figures').write('${CMAKE_SOURCE_DIR}/docs/lab/figures')"
  COMMAND sh ${CMAKE_SOURCE_DIR}/docs/lab/handout.sh ${CMAKE_BINARY_DIR}/docs
  DEPENDS bc260y_lua bc260y_sim_lua
  COMMENT "lab figures and handouts (build/docs/lab-handout.en.pdf, lab-handout.zh.pdf)"
  VERBATIM)
