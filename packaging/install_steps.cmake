# Install-time steps for agora, run by `cmake --install` and by cpack (see CMakeLists.txt here).
#
# AGORA_STEP=runtime, after the binary is copied: strips its debug info and symbols and links it
# to its debug file (.gnu_debuglink), then installs the man page and shell completions (made by
# running the built binary: `agora manpage`, `agora completions <shell>`) and the systemd user
# unit (pointing at the installed binary).
# AGORA_STEP=debug: installs the debug file as lib/debug/.build-id/<xx>/<rest>.debug, where gdb
# looks for it by the binary's build id.
#
# The debug file is cut from the built binary once per link (named by its build id, cached under
# AGORA_WORK_DIR/debug), so installing and packaging never compile anything again. Where that
# directory cannot be written (an install by another user than the one who built), the step
# works in a temporary directory instead.
#
# Inputs: AGORA_STEP, AGORA_BUILT (the built binary), AGORA_WORK_DIR, AGORA_UNIT_TEMPLATE,
# AGORA_BINDIR (relative to the prefix), AGORA_OBJCOPY, AGORA_READELF.

function(agora_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "agora install: `${command}` failed (${rc}): ${err}")
  endif()
endfunction()

# Sets `out` to a directory this run may write: `preferred` if it can, else a new temporary one
# (listed in AGORA_TEMP_DIRS for removal at the end).
function(agora_writable_dir preferred out)
  execute_process(COMMAND ${CMAKE_COMMAND} -E make_directory ${preferred}
    RESULT_VARIABLE made OUTPUT_QUIET ERROR_QUIET)
  execute_process(COMMAND ${CMAKE_COMMAND} -E touch ${preferred}/.writable
    RESULT_VARIABLE touched OUTPUT_QUIET ERROR_QUIET)
  if(made EQUAL 0 AND touched EQUAL 0)
    set(${out} ${preferred} PARENT_SCOPE)
    return()
  endif()
  set(tmp "$ENV{TMPDIR}")
  if(NOT tmp)
    set(tmp /tmp)
  endif()
  string(RANDOM LENGTH 12 tag)
  file(MAKE_DIRECTORY ${tmp}/agora-install-${tag})
  set(AGORA_TEMP_DIRS ${AGORA_TEMP_DIRS} ${tmp}/agora-install-${tag} PARENT_SCOPE)
  set(${out} ${tmp}/agora-install-${tag} PARENT_SCOPE)
endfunction()

# Sets `out_dir` (.build-id/<xx>) and `out_file` (<the cached debug file>) for AGORA_BUILT.
function(agora_debug_file out_dir out_file)
  execute_process(COMMAND ${AGORA_READELF} -n ${AGORA_BUILT} OUTPUT_VARIABLE notes
    RESULT_VARIABLE rc)
  string(REGEX MATCH "Build ID: ([0-9a-f]+)" found "${notes}")
  if(NOT rc EQUAL 0 OR NOT found)
    message(FATAL_ERROR "agora install: ${AGORA_BUILT} has no build id (link with --build-id)")
  endif()
  string(SUBSTRING ${CMAKE_MATCH_1} 0 2 head)
  string(SUBSTRING ${CMAKE_MATCH_1} 2 -1 tail)
  agora_writable_dir(${AGORA_WORK_DIR}/debug cache)
  set(AGORA_TEMP_DIRS ${AGORA_TEMP_DIRS} PARENT_SCOPE)
  set(file ${cache}/.build-id/${head}/${tail}.debug)
  if(NOT EXISTS ${file})
    # A new link: drop the files of older ones, write beside and rename, so that a concurrent
    # install never sees half a file.
    file(REMOVE_RECURSE ${cache}/.build-id)
    file(MAKE_DIRECTORY ${cache}/.build-id/${head})
    string(RANDOM LENGTH 12 tag)
    agora_run(${AGORA_OBJCOPY} --only-keep-debug --compress-debug-sections=zlib ${AGORA_BUILT}
      ${file}.${tag})
    file(RENAME ${file}.${tag} ${file})
  endif()
  set(${out_dir} .build-id/${head} PARENT_SCOPE)
  set(${out_file} ${file} PARENT_SCOPE)
endfunction()

function(agora_strip_installed debug_file)
  set(installed "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${AGORA_BINDIR}/agora")
  agora_run(${AGORA_OBJCOPY} --strip-unneeded --remove-section=.comment ${installed})
  agora_run(${AGORA_OBJCOPY} --add-gnu-debuglink=${debug_file} ${installed})
endfunction()

# Man page, completions and unit, generated in a directory of this run's own and installed.
function(agora_install_generated)
  string(RANDOM LENGTH 12 tag)
  agora_writable_dir(${AGORA_WORK_DIR}/generated-${tag} gen)
  set(AGORA_TEMP_DIRS ${AGORA_TEMP_DIRS} PARENT_SCOPE)
  execute_process(COMMAND ${AGORA_BUILT} manpage OUTPUT_FILE ${gen}/agora.1 RESULT_VARIABLE rc)
  foreach(shell bash zsh fish)
    execute_process(COMMAND ${AGORA_BUILT} completions ${shell} OUTPUT_FILE ${gen}/${shell}
      RESULT_VARIABLE shell_rc)
    list(APPEND rc ${shell_rc})
  endforeach()
  if(NOT rc STREQUAL "0;0;0;0")
    file(REMOVE_RECURSE ${gen})
    message(FATAL_ERROR "agora install: `agora manpage` or `agora completions` failed: ${rc}")
  endif()
  set(AGORA_BINARY "${CMAKE_INSTALL_PREFIX}/${AGORA_BINDIR}/agora")
  configure_file(${AGORA_UNIT_TEMPLATE} ${gen}/agora.service @ONLY)

  set(share "${CMAKE_INSTALL_PREFIX}/share")
  file(INSTALL ${gen}/agora.1 DESTINATION ${share}/man/man1)
  file(INSTALL ${gen}/bash DESTINATION ${share}/bash-completion/completions RENAME agora)
  file(INSTALL ${gen}/zsh DESTINATION ${share}/zsh/vendor-completions RENAME _agora)
  file(INSTALL ${gen}/fish DESTINATION ${share}/fish/vendor_completions.d RENAME agora.fish)
  file(INSTALL ${gen}/agora.service DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/user")
  file(REMOVE_RECURSE ${gen})
endfunction()

agora_debug_file(debug_dir debug_file)
if(AGORA_STEP STREQUAL "runtime")
  agora_strip_installed(${debug_file})
  agora_install_generated()
elseif(AGORA_STEP STREQUAL "debug")
  file(INSTALL ${debug_file} DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/debug/${debug_dir}")
else()
  message(FATAL_ERROR "agora install: unknown step '${AGORA_STEP}'")
endif()
if(AGORA_TEMP_DIRS)
  file(REMOVE_RECURSE ${AGORA_TEMP_DIRS})
endif()
