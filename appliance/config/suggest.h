// "Did you mean" for names an operator mistyped: keys, enum values, cipher suites, references.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace vtps::config {

// The candidate closest to `value` by edit distance (letter case counts half), if it is close
// enough to be a plausible typo: at most a third of the longer string's length, and at least 1.
std::optional<std::string_view> closestMatch(std::string_view value,
                                             std::span<const std::string_view> candidates);
std::optional<std::string_view> closestMatch(std::string_view value,
                                             std::span<const std::string> candidates);

// `; did you mean "X"?` or an empty string.
std::string didYouMean(std::string_view value, std::span<const std::string_view> candidates);
std::string didYouMean(std::string_view value, std::span<const std::string> candidates);

}  // namespace vtps::config
