# The link graph's rules (docs/ARCHITECTURE.md): which libraries must never reach which, directly or
# through others. Included at the end of the top-level CMakeLists.txt: it writes the transitive link
# closure of every rule's target to ${CMAKE_BINARY_DIR}/link_graph.txt and checks it with
# cmake/check_link_graph.cmake, so a forbidden edge fails the configure step. ctest runs the same
# check again (test link_graph) and checks that the checker refuses a bad graph (link_graph_rejects).

# The rules: "<target> <forbidden>;<forbidden>…". The checker reads them from the graph file.
set(SCCACHE_LINK_RULES
  "sccache_compiler sccache_server"
  "sccache_client sccache_server sccache_compiler"  # cache: only for --help's backend table
  "sccache_cache sccache_compiler sccache_server"
  "sccache_dist_common sccache_dist_client sccache_dist_auth sccache_dist_scheduler sccache_dist_build_server sccache_server sccache_compiler sccache_cache"
  "sccache_dist_auth sccache_dist_client sccache_dist_scheduler sccache_dist_build_server sccache_server sccache_compiler sccache_cache"
  "sccache_dist_client sccache_dist_auth sccache_dist_scheduler sccache_dist_build_server sccache_server"
  "sccache_dist_scheduler sccache_dist_client sccache_dist_build_server sccache_server sccache_compiler sccache_cache sccache_client"
  "sccache_dist_build_server sccache_dist_client sccache_dist_scheduler sccache_server sccache_compiler sccache_cache sccache_client")

# The project targets that `target` links, directly or not (LINK_LIBRARIES and
# INTERFACE_LINK_LIBRARIES, $<LINK_ONLY:…> unwrapped; imported and unknown names are skipped).
function(sccache_link_closure target out)
  set(seen "")
  set(queue ${target})
  while(queue)
    list(POP_FRONT queue t)
    foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      get_target_property(libs ${t} ${prop})
      if(NOT libs)
        continue()
      endif()
      foreach(lib IN LISTS libs)
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" lib "${lib}")
        if(NOT TARGET "${lib}" OR lib IN_LIST seen)
          continue()
        endif()
        get_target_property(imported "${lib}" IMPORTED)
        if(imported)
          continue()
        endif()
        list(APPEND seen "${lib}")
        list(APPEND queue "${lib}")
      endforeach()
    endforeach()
  endwhile()
  set(${out} "${seen}" PARENT_SCOPE)
endfunction()

function(sccache_check_link_graph)
  set(graph "${CMAKE_BINARY_DIR}/link_graph.txt")
  set(text "")
  foreach(rule IN LISTS SCCACHE_LINK_RULES)
    string(REPLACE " " ";" words "${rule}")
    list(GET words 0 target)
    if(NOT TARGET ${target})
      message(FATAL_ERROR "link graph rule names an unknown target: ${target}")
    endif()
    sccache_link_closure(${target} closure)
    string(REPLACE ";" " " closure "${closure}")
    string(APPEND text "rule ${rule}\nlinks ${target} ${closure}\n")
  endforeach()
  file(WRITE "${graph}" "${text}")
  execute_process(COMMAND ${CMAKE_COMMAND} -DGRAPH=${graph} -P ${PROJECT_SOURCE_DIR}/cmake/check_link_graph.cmake
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the link graph breaks a rule of cmake/LinkGraph.cmake (see above)")
  endif()
endfunction()
