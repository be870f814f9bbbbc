# Until the top-level CMakeLists.txt adds bench/ itself, configure with
#   -DCMAKE_PROJECT_agora_INCLUDE=<repo>/bench/add_to_build.cmake
# to read bench/CMakeLists.txt after the top-level file (so it gets the same compile options).
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL include ${CMAKE_SOURCE_DIR}/bench/CMakeLists.txt)
