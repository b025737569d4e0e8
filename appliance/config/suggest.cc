#include "appliance/config/suggest.h"

#include <algorithm>
#include <cctype>
#include <vector>

namespace vtps::config {
namespace {

// Edit distance (optimal string alignment: insert, delete, substitute, swap two neighbours) in
// units of half an edit: a substitution that only changes letter case costs 1, every other edit
// costs 2. Inputs longer than kMaxLength are never suggested for.
constexpr std::size_t kMaxLength = 128;

int halfEdits(std::string_view a, std::string_view b) {
  // Three rows: two back for the swap, one back for the rest.
  std::vector<int> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    prev[j] = static_cast<int>(2 * j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(2 * i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      int subst = 0;
      if (a[i - 1] != b[j - 1]) {
        bool case_only = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                         std::tolower(static_cast<unsigned char>(b[j - 1]));
        subst = case_only ? 1 : 2;
      }
      cur[j] = std::min({prev[j] + 2, cur[j - 1] + 2, prev[j - 1] + subst});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], before[j - 2] + 2);
      }
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

template <typename S>
std::optional<std::string_view> closest(std::string_view value, std::span<const S> candidates) {
  if (value.empty() || value.size() > kMaxLength) return std::nullopt;
  std::optional<std::string_view> best;
  int best_cost = 0;
  for (const S& c : candidates) {
    std::string_view candidate(c);
    if (candidate.empty() || candidate == value || candidate.size() > kMaxLength) continue;
    int cost = halfEdits(value, candidate);
    int allowed =
        2 * std::max<int>(1, static_cast<int>(std::max(value.size(), candidate.size())) / 3);
    if (cost <= allowed && (!best || cost < best_cost)) {
      best = candidate;
      best_cost = cost;
    }
  }
  return best;
}

std::string phrase(std::optional<std::string_view> match) {
  if (!match) return {};
  return "; did you mean \"" + std::string(*match) + "\"?";
}

}  // namespace

std::optional<std::string_view> closestMatch(std::string_view value,
                                             std::span<const std::string_view> candidates) {
  return closest(value, candidates);
}

std::optional<std::string_view> closestMatch(std::string_view value,
                                             std::span<const std::string> candidates) {
  return closest(value, candidates);
}

std::string didYouMean(std::string_view value, std::span<const std::string_view> candidates) {
  return phrase(closestMatch(value, candidates));
}

std::string didYouMean(std::string_view value, std::span<const std::string> candidates) {
  return phrase(closestMatch(value, candidates));
}

}  // namespace vtps::config
