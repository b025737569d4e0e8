#include "dataplane/proxy/category_list.h"

#include <fmt/format.h>

#include <algorithm>

#include "dataplane/proxy/list_file.h"

namespace vtps::proxy {
namespace {

bool isCategoryName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

}  // namespace

std::optional<CategoryList::CategoryId> CategoryList::idOf(std::string_view category) const {
  auto it = ids_.find(normalizeDomain(category));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

Status CategoryList::addLine(std::string_view pattern, std::string_view category) {
  const std::string name = normalizeDomain(category);
  if (!isCategoryName(name)) {
    return makeError(
        fmt::format("\"{}\" is not a category name (letters, digits, '-', '_')", category));
  }
  auto [it, inserted] = ids_.try_emplace(name, static_cast<CategoryId>(names_.size()));
  if (inserted) {
    if (names_.size() >= kMaxCategories) {
      return makeError(fmt::format("more than {} categories", kMaxCategories));
    }
    names_.push_back(name);
  }
  std::vector<CategoryId> set;
  if (std::optional<uint32_t> existing = domains_.find(pattern)) set = sets_[*existing];
  if (std::find(set.begin(), set.end(), it->second) != set.end()) return {};
  set.push_back(it->second);
  std::sort(set.begin(), set.end());
  // Most domains share one of a few category sets: store each distinct set once.
  auto [slot, fresh] = set_index_.try_emplace(set, static_cast<uint32_t>(sets_.size()));
  if (fresh) sets_.push_back(std::move(set));
  return domains_.add(pattern, slot->second);
}

Result<std::shared_ptr<const CategoryList>> CategoryList::load(
    const std::vector<std::string>& files) {
  auto list = std::make_shared<CategoryList>();
  for (const std::string& file : files) {
    Result<std::vector<ListLine>> lines = readListFile(file);
    if (!lines) return lines.error();
    for (const ListLine& line : *lines) {
      std::vector<std::string_view> fields = splitBlanks(line.text);
      if (fields.size() != 2) {
        return makeError(fmt::format("{}:{}: expected \"DOMAIN CATEGORY\", got {} field{}", file,
                                     line.number, fields.size(), fields.size() == 1 ? "" : "s"));
      }
      if (Status added = list->addLine(fields[0], fields[1]); !added) {
        return makeError(fmt::format("{}:{}: {}", file, line.number, added.message()));
      }
    }
  }
  return std::shared_ptr<const CategoryList>(std::move(list));
}

}  // namespace vtps::proxy
