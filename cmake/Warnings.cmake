# Applied per target by vtps_target_warnings() so that third-party headers stay outside -Werror.
function(vtps_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wcast-align -Wunused -Wnull-dereference
                                           -Wimplicit-fallthrough)
  # GCC 12 at -O3 reports -Wrestrict inside libstdc++'s std::string operator+ when it inlines it
  # into our code (GCC bug 105651/105329: false positives, fixed in GCC 13); Release builds of the
  # benchmarks stopped on it. Clang has no such warning.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(VTPS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
