// CategoryList: which content categories a domain belongs to, for the "categories" of SSL client
// decryption policies (the TPS takes them from its ThreatDV URL reputation feed; vtps reads them
// from plain-text files named by ssl.category-files, which a feed importer or the operator
// writes). File format, one entry per line ('#' comments and blank lines ignored):
//
//     DOMAIN-PATTERN  CATEGORY
//     bank.example        financial
//     *.bank.example      financial
//     clinic.example      health
//
// DOMAIN-PATTERN is a host name or "*." wildcard (DomainMatcher rules), CATEGORY a name of
// letters, digits, '-' and '_' (case-insensitive). A pattern may appear on several lines, once
// per category. A host belongs to the categories of every pattern that covers it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/result.h"
#include "dataplane/proxy/domain_matcher.h"

namespace vtps::proxy {

class CategoryList {
 public:
  using CategoryId = uint16_t;
  static constexpr size_t kMaxCategories = 4096;

  // Loads every file in order. Errors name the file and line, e.g.
  // "/etc/vtps/categories.txt:12: expected \"DOMAIN CATEGORY\", got 3 fields".
  static Result<std::shared_ptr<const CategoryList>> load(const std::vector<std::string>& files);

  std::optional<CategoryId> idOf(std::string_view category) const;  // case-insensitive
  const std::string& nameOf(CategoryId id) const { return names_[id]; }
  size_t categoryCount() const { return names_.size(); }
  size_t patternCount() const { return domains_.size(); }

  // Calls fn(id) for every category of `host` (lowercase), most specific pattern first; an id
  // may repeat when several patterns name it.
  template <typename Fn>
  void forEachCategory(std::string_view host, Fn&& fn) const {
    domains_.forEachMatch(host, [&](uint32_t set) {
      for (CategoryId id : sets_[set])
        fn(id);
    });
  }

 private:
  Status addLine(std::string_view pattern, std::string_view category);

  DomainMatcher domains_;                      // tag: index into sets_
  std::vector<std::vector<CategoryId>> sets_;  // distinct category sets, shared by patterns
  std::map<std::vector<CategoryId>, uint32_t> set_index_;  // set -> its index in sets_
  std::vector<std::string> names_;
  std::unordered_map<std::string, CategoryId> ids_;
};

}  // namespace vtps::proxy
