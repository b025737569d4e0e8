#include "dataplane/proxy/decryption_policy.h"

#include <fmt/format.h>

#include "dataplane/proxy/list_file.h"

namespace vtps::proxy {

Result<std::unique_ptr<DecryptionPolicyRuntime>> DecryptionPolicyRuntime::build(
    const config::DecryptionPolicy& policy, std::shared_ptr<const CategoryList> categories) {
  std::unique_ptr<DecryptionPolicyRuntime> runtime(new DecryptionPolicyRuntime);
  runtime->name_ = policy.name;
  const std::string what = fmt::format("decryption policy {}", policy.name);
  size_t entries = policy.domains.size();
  std::vector<std::pair<const std::string*, std::vector<ListLine>>> files;
  for (const std::string& file : policy.domain_files) {
    Result<std::vector<ListLine>> lines = readListFile(file);
    if (!lines) return makeError(fmt::format("{}: {}", what, lines.message()));
    entries += lines->size();
    files.emplace_back(&file, std::move(*lines));
  }
  if (entries > kMaxPolicyDomains) {
    return makeError(fmt::format("{}: {} domains (domains and domain-files); the limit is {}", what,
                                 entries, kMaxPolicyDomains));
  }
  for (const std::string& domain : policy.domains) {
    if (Status added = runtime->domains_.add(domain); !added) {
      return makeError(fmt::format("{}: domains: {}", what, added.message()));
    }
  }
  for (const auto& [file, lines] : files) {
    for (const ListLine& line : lines) {
      if (Status added = runtime->domains_.add(line.text); !added) {
        return makeError(fmt::format("{}: {}:{}: {}", what, *file, line.number, added.message()));
      }
    }
  }
  for (const std::string& domain : policy.category_overrides) {
    if (Status added = runtime->overrides_.add(domain); !added) {
      return makeError(fmt::format("{}: category-overrides: {}", what, added.message()));
    }
  }
  if (!policy.categories.empty()) {
    const size_t known = categories ? categories->categoryCount() : 0;
    runtime->excluded_categories_.assign(known, false);
    for (const std::string& category : policy.categories) {
      std::optional<CategoryList::CategoryId> id =
          categories ? categories->idOf(category) : std::nullopt;
      if (!id) {
        return makeError(fmt::format(
            "{}: category \"{}\" is in no category list (ssl.category-files)", what, category));
      }
      runtime->excluded_categories_[*id] = true;
    }
    runtime->categories_ = std::move(categories);
  }
  return runtime;
}

DecryptionPolicyRuntime::Outcome DecryptionPolicyRuntime::evaluate(std::string_view host) const {
  Outcome out;
  if (std::optional<DomainMatch> m = domains_.match(host)) {
    out.verdict = Verdict::kDomain;
    out.pattern = std::move(m->pattern);
    return out;
  }
  if (std::optional<DomainMatch> m = overrides_.match(host)) {
    out.verdict = Verdict::kOverride;
    out.pattern = std::move(m->pattern);
    return out;
  }
  if (!categories_) return out;
  categories_->forEachCategory(host, [&](CategoryList::CategoryId id) {
    if (out.verdict == Verdict::kNoOpinion && id < excluded_categories_.size() &&
        excluded_categories_[id]) {
      out.verdict = Verdict::kCategory;
      out.category = categories_->nameOf(id);
    }
  });
  return out;
}

}  // namespace vtps::proxy
