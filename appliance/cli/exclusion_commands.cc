// `vtpsctl exclusions list|add|delete`: the global SSL client domain exclusions. Entries from the
// config (ssl.domain-exclusions.domains) are listed but edited in the config file; manual and
// automatic entries live in the exclusions state file (ssl.domain-exclusions.state-file, by
// default domain-exclusions.json in the keystore directory). The commands edit that file directly
// under its lock, so they work with or without a running vtpsd; a running vtpsd picks the change
// up within its sync interval (2 s) and on every reload.
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "appliance/cli/context.h"
#include "dataplane/proxy/domain_exclusions.h"

namespace vtps::cli {
namespace {

using proxy::ExclusionEntry;
using proxy::ExclusionStore;

// The store of the config in force; --store DIR stands in for device.keystore.
Result<std::unique_ptr<ExclusionStore>> openStore(const Context& ctx) {
  Result<std::shared_ptr<const config::Config>> cfg = ctx.loadConfig();
  if (!cfg) return cfg.error();
  config::Config effective = **cfg;
  if (!ctx.store_dir.empty()) effective.device.keystore = ctx.store_dir;
  return ExclusionStore::open(proxy::exclusionStatePath(effective),
                              proxy::ExclusionSettings::from(effective.domain_exclusions));
}

std::string padded(const std::string& s, size_t width) {
  return s.size() >= width ? s + "  " : s + std::string(width - s.size() + 2, ' ');
}

Status listExclusions(const Context& ctx, bool json) {
  Result<std::unique_ptr<ExclusionStore>> store = openStore(ctx);
  if (!store) return store.error();
  const std::vector<ExclusionEntry> entries = (*store)->list();
  if (json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const ExclusionEntry& e : entries) {
      out.push_back({{"domain", e.domain},
                     {"source", std::string(proxy::toString(e.source))},
                     {"reason", e.reason},
                     {"added", e.added}});
    }
    std::cout << out.dump(2) << '\n';
    return {};
  }
  size_t width = std::string("DOMAIN").size();
  for (const ExclusionEntry& e : entries)
    width = std::max(width, e.domain.size());
  std::cout << padded("DOMAIN", width) << "SOURCE     ADDED                 REASON\n";
  for (const ExclusionEntry& e : entries) {
    std::string line = padded(e.domain, width) + padded(std::string(proxy::toString(e.source)), 9) +
                       padded(e.added.empty() ? "-" : e.added, 20) + e.reason;
    while (!line.empty() && line.back() == ' ')
      line.pop_back();
    std::cout << line << '\n';
  }
  return {};
}

Status addExclusion(const Context& ctx, const std::string& domain, const std::string& reason) {
  Result<std::unique_ptr<ExclusionStore>> store = openStore(ctx);
  if (!store) return store.error();
  VTPS_RETURN_IF_ERROR((*store)->add(domain, reason));
  std::cout << "domain " << proxy::normalizeDomain(domain) << " excluded (" << (*store)->path()
            << ")\n";
  return {};
}

Status deleteExclusion(const Context& ctx, const std::string& domain) {
  Result<std::unique_ptr<ExclusionStore>> store = openStore(ctx);
  if (!store) return store.error();
  VTPS_RETURN_IF_ERROR((*store)->remove(domain));
  std::cout << "domain " << proxy::normalizeDomain(domain) << " no longer excluded ("
            << (*store)->path() << ")\n";
  return {};
}

}  // namespace

void addExclusionCommands(CLI::App& app, Context& ctx) {
  CLI::App* group = app.add_subcommand(
      "exclusions", "SSL client domain exclusions: domains no client policy decrypts");
  group->require_subcommand(1);

  auto json = std::make_shared<bool>(false);
  CLI::App* list =
      group->add_subcommand("list", "list the exclusions: config, manual and automatic entries");
  list->add_flag("--json", *json, "print a JSON array");
  list->callback([&ctx, json] { runCommand(ctx, [&] { return listExclusions(ctx, *json); }); });

  auto domain = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  CLI::App* add = group->add_subcommand("add", "exclude a domain (\"host\" or \"*.suffix\")");
  add->add_option("DOMAIN", *domain, "host name or *. wildcard")->required();
  add->add_option("--reason", *reason, "why (shown by list)");
  add->callback([&ctx, domain, reason] {
    runCommand(ctx, [&] { return addExclusion(ctx, *domain, *reason); });
  });

  auto gone = std::make_shared<std::string>();
  CLI::App* del = group->add_subcommand("delete", "remove a manual or automatic exclusion");
  del->add_option("DOMAIN", *gone, "the domain as listed")->required();
  del->callback([&ctx, gone] { runCommand(ctx, [&] { return deleteExclusion(ctx, *gone); }); });
}

}  // namespace vtps::cli
