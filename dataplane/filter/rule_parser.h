// RuleParser: reads signature rules in the subset of the Suricata/Snort rule language described in
// docs/filters.md. One line is one rule (a trailing backslash continues it); `#` starts a comment
// line. A rule that cannot be loaded is reported with file:line and a message and skipped; the
// other rules load, so an operator's one typo never disables the whole rule set. pcre patterns are
// compile-checked with Hyperscan here, so every rule that loads can be compiled.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/result.h"
#include "dataplane/filter/address_group.h"
#include "dataplane/filter/rule.h"

namespace vtps::filter {

// A rule that did not load: "FILE:LINE: MESSAGE".
struct RuleError {
  std::string file;
  int line = 0;
  std::string message;
  std::string toString() const;
};

// The outcome of loading rule files: the rules that loaded and one error per rule that did not.
struct RuleSet {
  std::vector<Rule> rules;
  std::vector<RuleError> errors;
  std::vector<std::string> files;  // files read, in load order

  size_t loaded() const { return rules.size(); }
  size_t failed() const { return errors.size(); }

  // Appends a rule unless its sid is already taken (then an error naming the first one).
  void add(Rule rule);
  void addError(std::string file, int line, std::string message);

 private:
  std::unordered_map<uint32_t, size_t> sid_index_;
};

class RuleParser {
 public:
  // Rules longer than this (after joining continuation lines) are refused.
  static constexpr size_t kMaxRuleBytes = 65536;

  explicit RuleParser(RuleVariables vars = RuleVariables::defaults());

  // Parses one rule. Errors are messages without location, e.g.
  //   unknown action "block" (expected alert, drop, reject or pass)
  //   "nocase" needs a preceding content
  //   pcre "/(a)\1/" is not supported by Hyperscan: Back-references are unsupported.
  Result<Rule> parse(std::string_view text) const;

  // Parses a file's text: every rule that loads is added to `set`, every other one becomes an
  // error at `file`:line.
  void parseText(std::string_view text, std::string_view file, RuleSet& set) const;

  // Reads and parses one file. Fails only when the file cannot be read.
  Status parseFile(const std::string& path, RuleSet& set) const;

  // Reads every file matching the glob (sorted). A glob matching nothing gives an empty set.
  Result<RuleSet> loadGlob(const std::string& pattern) const;

 private:
  RuleVariables vars_;
};

}  // namespace vtps::filter
