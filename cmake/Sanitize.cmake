# SANITIZE=address,undefined -> instrumented build. Unknown names are a configure error so that
# a typo never silently produces an uninstrumented "sanitizer" run.
if(SANITIZE)
  string(REPLACE "," ";" _vtps_sanitizers "${SANITIZE}")
  foreach(_s IN LISTS _vtps_sanitizers)
    if(NOT _s MATCHES "^(address|undefined)$")
      message(FATAL_ERROR "SANITIZE: unknown sanitizer '${_s}' (allowed: address, undefined)")
    endif()
  endforeach()
  set(_vtps_san_flags "-fsanitize=${SANITIZE}" -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${_vtps_san_flags})
  add_link_options(${_vtps_san_flags})
  message(STATUS "vtps: sanitizers ${SANITIZE}")
endif()
