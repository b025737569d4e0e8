// Internal to the filter engine (rule_compiler.cc, matcher.cc): owning handles for Hyperscan
// objects and the databases a compiled rule set holds. This header is about Hyperscan, so it
// exposes Hyperscan types; public headers must not include it.
#pragma once

#include <hs.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "dataplane/filter/rule.h"
#include "dataplane/filter/rule_compiler.h"

namespace vtps::filter::hs {

struct DatabaseDeleter {
  void operator()(hs_database_t* p) const { hs_free_database(p); }
};
struct ScratchDeleter {
  void operator()(hs_scratch_t* p) const { hs_free_scratch(p); }
};
struct CompileErrorDeleter {
  void operator()(hs_compile_error_t* p) const { hs_free_compile_error(p); }
};
using DatabasePtr = std::unique_ptr<hs_database_t, DatabaseDeleter>;
using ScratchPtr = std::unique_ptr<hs_scratch_t, ScratchDeleter>;
using CompileErrorPtr = std::unique_ptr<hs_compile_error_t, CompileErrorDeleter>;

}  // namespace vtps::filter::hs

namespace vtps::filter {

struct CompiledRuleSet::Databases {
  // One prefilter database per buffer kind (null when no rule's fast pattern is in it). Pattern
  // id = rule index; a match makes the rule a candidate for full verification.
  std::array<hs::DatabasePtr, kBufferKindCount> prefilter;
  // One database per pcre keyword, for exact verification. The k-th pcre of rule r is
  // pcre[pcre_base[r] + k].
  std::vector<hs::DatabasePtr> pcre;
  std::vector<uint32_t> pcre_base;
  // Sized for every database above; worker threads clone it (hs_clone_scratch).
  hs::ScratchPtr prototype;
};

}  // namespace vtps::filter
