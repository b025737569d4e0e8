# Applied per target by vtps_target_warnings() so that third-party headers stay outside -Werror.
function(vtps_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wcast-align -Wunused -Wnull-dereference
                                           -Wimplicit-fallthrough)
  if(VTPS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
