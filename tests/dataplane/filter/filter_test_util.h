// Helpers shared by the filter tests: a temporary directory, rule sets compiled from inline text,
// and an event sink that records what the engine reports.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/filter/filter_event.h"
#include "dataplane/filter/rule_compiler.h"
#include "dataplane/filter/rule_parser.h"

namespace vtps::filter::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vtps-filter-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string write(const std::string& name, std::string_view text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::string path_;
};

inline std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Parses `text` as one rule file and compiles it; every line must load.
inline std::shared_ptr<const CompiledRuleSet> compileRules(std::string_view text,
                                                           const std::string& cache_dir = {}) {
  RuleSet set;
  RuleParser parser;
  parser.parseText(text, "test.rules", set);
  for (const auto& e : set.errors)
    ADD_FAILURE() << e.toString();
  auto compiled = CompiledRuleSet::compile(std::move(set), CompileOptions{cache_dir});
  EXPECT_TRUE(compiled.ok()) << (compiled.ok() ? "" : compiled.message());
  return compiled.ok() ? *compiled : nullptr;
}

class RecordingSink : public FilterEventSink {
 public:
  void filterEvent(const FilterEvent& event) override {
    std::lock_guard lock(mutex_);
    events.push_back(event);
  }
  void traceCaptured(TraceCapture capture) override {
    std::lock_guard lock(mutex_);
    traces.push_back(std::move(capture));
  }
  std::vector<FilterEvent> events;
  std::vector<TraceCapture> traces;

 private:
  std::mutex mutex_;
};

}  // namespace vtps::filter::testing
