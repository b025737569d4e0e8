// Loading the YAML config into typed structs, with every error at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "appliance/config/config.h"
#include "crypto/result.h"

namespace vtps::config {

// One rejection: printed as "FILE:LINE:COL: error: FIELD: MESSAGE".
struct Diagnostic {
  std::string file;
  Mark mark;
  std::string field;  // dotted path, e.g. "ssl.server-proxies[0].protocols"
  std::string message;
  std::string str() const;
};

struct LoadResult {
  std::shared_ptr<Config> config;  // null when diagnostics is non-empty
  std::vector<Diagnostic> diagnostics;
  bool ok() const { return diagnostics.empty(); }
  // All diagnostics, one per line.
  std::string report() const;
};

// Parses and validates YAML text; `file` is used in diagnostics only.
LoadResult loadString(std::string_view yaml, const std::string& file);
// Reads and loads a file. Never throws.
LoadResult loadFileDiagnostics(const std::string& path);
// Convenience: the config, or one Error whose message is the whole report.
Result<std::shared_ptr<Config>> loadFile(const std::string& path);

}  // namespace vtps::config
