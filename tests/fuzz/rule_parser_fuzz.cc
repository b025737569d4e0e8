// Fuzzes the signature rule path with arbitrary rule-file text: RuleParser (header, address and
// port groups, options, content escapes, pcre compile checks), then — for small inputs — the
// Hyperscan compile of what loaded and a match of the input against it. Besides memory safety,
// it checks the loader's contract: every line is either a rule or an error with a message, every
// loaded rule has a sid and a fast pattern that is a non-negated match.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dataplane/filter/matcher.h"
#include "dataplane/filter/rule_compiler.h"
#include "dataplane/filter/rule_parser.h"

using namespace vtps::filter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const RuleParser parser;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  RuleSet set;
  parser.parseText(text, "fuzz.rules", set);
  for (const RuleError& e : set.errors) {
    if (e.message.empty() || e.line < 1) __builtin_trap();
  }
  for (const Rule& r : set.rules) {
    if (r.sid == 0 || r.fast_pattern_index >= r.matches.size()) __builtin_trap();
    const PayloadMatch& fp = r.matches[r.fast_pattern_index];
    if (fp.is_pcre ? fp.pcre.negated : fp.content.negated) __builtin_trap();
  }
  // Compiling costs milliseconds: do it for one small input in four (chosen by the input, so a
  // crash reproduces) so that the fuzzer keeps its pace on the parser.
  if (set.rules.empty() || set.rules.size() > 2 || size > 1024 || data[0] % 4 != 0) return 0;
  size_t loaded = set.loaded();
  auto compiled = CompiledRuleSet::compile(std::move(set), {});
  if (!compiled.ok()) __builtin_trap();  // every rule that parsed must compile
  if ((*compiled)->loaded() + (*compiled)->failed() < loaded) __builtin_trap();
  SignatureMatcher matcher(*compiled);
  FlowTraits flow;
  flow.http = true;
  flow.tls = true;
  std::vector<uint32_t> matched;
  matcher.matchStream(flow, true, {data, size}, 0, matched);
  matcher.matchTlsSni(flow, text.substr(0, 64), matched);
  for (uint32_t i : matched) {
    if (i >= (*compiled)->loaded()) __builtin_trap();
  }
  return 0;
}
