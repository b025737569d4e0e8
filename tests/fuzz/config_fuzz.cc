// libFuzzer target for the YAML config loader: arbitrary bytes through loadString(), which must
// never throw, crash or hang, and must either return a config or at least one diagnostic.
// yaml-cpp recurses per nesting level and throws on bad input; the loader bounds nesting before
// parsing and catches at its boundary (see loader.cc).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "appliance/config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  vtps::config::LoadResult result = vtps::config::loadString(text, "fuzz.yaml");
  if (result.ok() == (result.config == nullptr)) std::abort();
  for (const vtps::config::Diagnostic& d : result.diagnostics) {
    if (d.str().empty()) std::abort();
  }
  return 0;
}
