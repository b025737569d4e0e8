// Internal to the rule parser: turns the options of one rule, in order, into a Rule, and checks
// the rule as a whole once they are all in (buffers, direction, fast pattern).
#pragma once

#include <optional>
#include <string_view>

#include "crypto/result.h"
#include "dataplane/filter/rule.h"

namespace vtps::filter::detail {

class RuleBuilder {
 public:
  explicit RuleBuilder(Rule& rule) : rule_(rule) {}

  // Applies one "name[:value]" option. `value` is nullopt for a bare keyword ("nocase").
  Status apply(std::string_view name, std::optional<std::string_view> value);
  // Validates the whole rule and derives unit, direction and fast pattern.
  Status finish();

 private:
  using Value = std::optional<std::string_view>;

  Status applyMeta(std::string_view name, Value value, bool& handled);
  Status applyContent(Value value);
  Status applyPcre(Value value);
  Status applyModifier(std::string_view name, Value value, bool& handled);
  Status applyBufferModifier(std::string_view name, BufferKind buffer);
  Status applyFastPattern(Value value);
  Status applyFlow(Value value);
  Status applyTag(Value value);
  Status applyClasstype(Value value);
  Status checkRelative();
  Status checkHostCase();
  Status deriveUnit();
  Status deriveDirection();
  Status chooseFastPattern();
  ContentMatch* lastContent(std::string_view keyword, Status& status);

  Rule& rule_;
  BufferKind sticky_ = BufferKind::kStream;
  std::optional<size_t> last_content_;
  bool has_sid_ = false;
  bool has_priority_ = false;
  bool has_flow_ = false;
  bool has_fast_pattern_ = false;
  std::optional<uint32_t> classtype_priority_;
};

}  // namespace vtps::filter::detail
