// Helpers shared by the config tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/loader.h"

namespace vtps::config::test {

// Every diagnostic of loading `yaml` as "t.yaml", formatted as the CLI prints them.
inline std::vector<std::string> errorsOf(std::string_view yaml) {
  std::vector<std::string> out;
  for (const Diagnostic& d : loadString(yaml, "t.yaml").diagnostics)
    out.push_back(d.str());
  return out;
}

}  // namespace vtps::config::test
