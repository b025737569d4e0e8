// Filter commands for a running vtpsd (control socket, or --remote; cli/daemon_call.h):
//   show filters              rule sets (loaded and failed rule counts, first rule errors), the
//                             cleartext inspection tuples, and the counters per action and stage
//   show filters top [--count N]   the rules with the most hits (10 by default)
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "appliance/cli/context.h"
#include "appliance/cli/daemon_call.h"

namespace vtps::cli {
namespace {

using mgmt::Json;

std::string padded(std::string text, size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

void printRuleSets(const Json& sets) {
  std::cout << "Rule sets\n";
  for (const Json& s : sets) {
    std::string glob = s.at("glob").get<std::string>();
    std::string profiles;
    for (const Json& p : s.at("profiles")) {
      std::string name = p.get<std::string>();
      profiles += (profiles.empty() ? "" : ", ") + (name.empty() ? std::string("(default)") : name);
    }
    std::cout << "  " << (glob.empty() ? std::string("(no rule files)") : glob) << "\n"
              << "    profiles: " << profiles << "\n"
              << "    files: " << s.at("files").size() << ", loaded: " << s.at("loaded").dump()
              << ", failed: " << s.at("failed").dump()
              << (s.at("from_cache").get<bool>() ? ", databases from cache" : "") << "\n";
    for (const Json& e : s.at("errors"))
      std::cout << "    " << e.get<std::string>() << "\n";
  }
}

Status showFilters(const Context& ctx, bool json) {
  auto r = askDaemon(ctx, Json{{"method", "filters"}});
  if (!r.ok()) return r.error();
  if (json) {
    std::cout << r->dump(2) << '\n';
    return {};
  }
  printRuleSets(r->at("rule_sets"));
  std::cout << "Cleartext inspection tuples\n";
  const Json tuples = r->value("cleartext_tuples", Json::array());
  if (tuples.empty()) std::cout << "  (none: only SSL tuples reach the proxy)\n";
  for (const Json& t : tuples) {
    auto list = [](const Json& items) {
      std::string out;
      for (const Json& i : items)
        out += (out.empty() ? "" : ", ") + i.get<std::string>();
      return out;
    };
    const std::string profile = t.value("profile", std::string());
    std::cout << "  " << t.value("name", std::string()) << ": " << list(t.at("destinations"))
              << " port " << list(t.at("ports")) << ", profile "
              << (profile.empty() ? std::string("(default)") : profile)
              << (t.value("tcp_reset", false) ? ", tcp-reset" : "") << "\n";
  }
  std::cout << "Counters\n";
  for (const auto& [name, value] : r->at("counters").items())
    std::cout << "  " << padded(name, 34) << value.dump() << "\n";
  return {};
}

Status showTopRules(const Context& ctx, int count, bool json) {
  auto r = askDaemon(ctx, Json{{"method", "filters-top"}, {"count", count}});
  if (!r.ok()) return r.error();
  if (json) {
    std::cout << r->dump(2) << '\n';
    return {};
  }
  std::cout << padded("SID", 12) << padded("REV", 5) << padded("ACTION", 8) << padded("HITS", 12)
            << "MSG\n";
  for (const Json& rule : r->at("rules")) {
    std::cout << padded(rule.at("sid").dump(), 12) << padded(rule.at("rev").dump(), 5)
              << padded(rule.at("action").get<std::string>(), 8)
              << padded(rule.at("hits").dump(), 12) << rule.at("msg").get<std::string>() << "\n";
  }
  return {};
}

}  // namespace

void addFilterCommands(CLI::App& app, Context& ctx) {
  CLI::App* show = app.get_subcommand("show");
  auto json = std::make_shared<bool>(false);
  auto count = std::make_shared<int>(10);
  auto* filters = show->add_subcommand(
      "filters", "filter rule sets (loaded and failed rules) and counters per action");
  filters->add_flag("--json", *json, "print the daemon's JSON answer");
  auto* top = filters->add_subcommand("top", "the rules with the most hits");
  top->add_option("--count", *count, "how many rules (1-1000)")->check(CLI::Range(1, 1000));
  top->add_flag("--json", *json, "print the daemon's JSON answer");
  top->callback(
      [&ctx, count, json] { runCommand(ctx, [&] { return showTopRules(ctx, *count, *json); }); });
  filters->callback([&ctx, filters, json] {
    if (!filters->get_subcommands().empty()) return;  // `top` ran
    runCommand(ctx, [&] { return showFilters(ctx, *json); });
  });
}

}  // namespace vtps::cli
