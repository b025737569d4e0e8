// Internal to the filter engine: the quoting used in every error message ("bad port \"x\"").
#pragma once

#include <string>
#include <string_view>

namespace vtps::filter::detail {

// Built by appending: GCC 12 at -O3 reports a bogus -Wrestrict for "\"" + std::string(s).
inline std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(s);
  out.push_back('"');
  return out;
}

}  // namespace vtps::filter::detail
