// Commands for a running vtpsd, over its control socket (--socket, else the config's
// device.control-socket): status, show tse ssl-inspection, debug np stats show GROUP,
// debug np ssl-clear, debug np proxy-stall, config apply FILE.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "appliance/cli/context.h"
#include "appliance/cli/daemon_call.h"
#include "appliance/daemon/crypto_setup.h"
#include "appliance/mgmt/control_client.h"
#include "crypto/file_util.h"

namespace vtps::cli {
namespace {

using mgmt::Json;

// Over the control socket, or with --remote through the REST API (daemon_call.h).
Result<Json> ask(const Context& ctx, Json request) {
  return askDaemon(ctx, request);
}

std::string scalarText(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v)
      out += (out.empty() ? "" : ",") + scalarText(e);
    return "[" + out + "]";
  }
  return v.dump();
}

Status showStatus(const Context& ctx, bool json) {
  auto r = ask(ctx, Json{{"method", "status"}});
  if (!r.ok()) return r.error();
  if (json) {
    std::cout << r->dump(2) << '\n';
    return {};
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [key, value] : r->items())
    rows.push_back({key + ":", scalarText(value)});
  printTable(rows);
  return {};
}

std::string age(double seconds) {
  auto s = static_cast<long>(seconds);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
}

// `show crypto`: what the running vtpsd chose at start (seed source, AES-GCM provider) with the
// CPU features and live counters behind it.
Status showCrypto(const Context& ctx, bool json) {
  auto r = ask(ctx, Json{{"method", "crypto"}});
  if (!r.ok()) return r.error();
  std::cout << (json ? r->dump(2) + "\n" : daemon::formatCrypto(*r));
  return {};
}

// `debug trace set|off|show`: the daemon's trace options (dataplane/proxy/trace.h).
Status trace(const Context& ctx, Json request) {
  request["method"] = "trace";
  auto r = ask(ctx, std::move(request));
  if (!r.ok()) return r.error();
  std::cout << "trace: level " << r->value("level", "") << ", flags " << r->value("flags", "")
            << (r->value("profile", "").empty() ? "" : ", profile " + r->value("profile", ""))
            << "; " << r->value("emitted", 0) << " events so far, written to "
            << r->value("file", "") << '\n';
  return {};
}

void addTraceCommands(CLI::App* debug, Context& ctx) {
  auto* tr = debug->add_subcommand("trace", "session and configuration tracing (off by default)");
  tr->require_subcommand(1);
  struct Options {
    std::string level = "brief";
    std::vector<std::string> flags;
    std::string profile;
  };
  auto o = std::make_shared<Options>();
  auto* set = tr->add_subcommand("set", "turn tracing on (replaces the current settings)");
  set->add_option("--level", o->level, "brief | detail | extensive | verbose")
      ->capture_default_str();
  set->add_option("--flag", o->flags, "configuration | termination | initiation | proxy")
      ->required()
      ->delimiter(',');
  set->add_option("--profile", o->profile, "trace only the sessions of this profile");
  set->callback([&ctx, o] {
    runCommand(ctx, [&] {
      return trace(ctx, Json{{"action", "set"},
                             {"level", o->level},
                             {"flags", o->flags},
                             {"profile", o->profile}});
    });
  });
  tr->add_subcommand("off", "turn tracing off")->callback([&ctx] {
    runCommand(ctx, [&] { return trace(ctx, Json{{"action", "off"}}); });
  });
  tr->add_subcommand("show", "print the trace settings")->callback([&ctx] {
    runCommand(ctx, [&] { return trace(ctx, Json{{"action", "show"}}); });
  });
}

Status showSslInspection(const Context& ctx, bool json) {
  auto r = ask(ctx, Json{{"method", "sessions"}});
  if (!r.ok()) return r.error();
  const Json& sessions = r->at("sessions");
  if (json) {
    std::cout << sessions.dump(2) << '\n';
    return {};
  }
  std::vector<std::vector<std::string>> rows{{"CLIENT", "SERVER", "SNI", "PROXY", "POLICY",
                                              "DECISION", "VERSION", "CIPHER", "AGE", "C>S BYTES",
                                              "S>C BYTES"}};
  for (const auto& s : sessions) {
    rows.push_back({s.at("client").get<std::string>(), s.at("server").get<std::string>(),
                    s.at("sni").get<std::string>(), s.at("proxy").get<std::string>(),
                    s.at("profile").get<std::string>() + "/" + s.at("policy").get<std::string>(),
                    s.at("decision").get<std::string>(), s.at("client_version").get<std::string>(),
                    s.at("client_cipher").get<std::string>(), age(s.at("age_s").get<double>()),
                    std::to_string(s.at("bytes_client_to_server").get<uint64_t>()),
                    std::to_string(s.at("bytes_server_to_client").get<uint64_t>())});
  }
  printTable(rows);
  std::cout << sessions.size()
            << (sessions.size() == 1 ? " live SSL session" : " live SSL sessions") << '\n';
  return {};
}

Status showCounters(const Context& ctx, const std::string& group, bool json) {
  Json request{{"method", "counters"}};
  if (!group.empty()) request["group"] = group;
  auto r = ask(ctx, request);
  if (!r.ok()) return r.error();
  if (json) {
    std::cout << r->at("groups").dump(2) << '\n';
    return {};
  }
  for (const auto& g : r->at("groups")) {
    std::cout << g.at("name").get<std::string>() << ":\n";
    for (const auto& [name, value] : g.at("values").items()) {
      std::cout << "  " << name << ": " << value.dump() << '\n';
    }
  }
  return {};
}

Status clearSessions(const Context& ctx) {
  auto r = ask(ctx, Json{{"method", "clear-sessions"}});
  if (!r.ok()) return r.error();
  auto n = r->at("cleared").get<uint64_t>();
  std::cout << n << (n == 1 ? " SSL session" : " SSL sessions") << " cleared\n";
  return {};
}

Status stallProxy(const Context& ctx, int seconds) {
  auto r = ask(ctx, Json{{"method", "proxy-stall"}, {"seconds", seconds}});
  if (!r.ok()) return r.error();
  auto n = r->at("stalled_workers").get<uint64_t>();
  std::cout << n << (n == 1 ? " proxy worker" : " proxy workers") << " stalled for " << seconds
            << " s\n";
  return {};
}

Status applyConfig(const Context& ctx, const std::string& file) {
  // The daemon may not share our working directory or file permissions: send the text.
  auto text = crypto::readFile(file);
  if (!text.ok()) return text.error();
  auto r = ask(ctx, Json{{"method", "apply"}, {"yaml", *text}, {"file", file}});
  if (!r.ok()) return makeError("config apply refused: " + r.message());
  for (const auto& w : r->value("warnings", Json::array())) {
    std::cerr << "warning: " << w.get<std::string>() << '\n';
  }
  std::cout << "applied " << file << " to the running vtpsd\n";
  return {};
}

CLI::App* configGroup(CLI::App& app) {
  auto found = app.get_subcommands([](CLI::App* s) { return s->get_name() == "config"; });
  if (!found.empty()) return found.front();
  auto* config = app.add_subcommand("config", "validate, apply and export configuration");
  config->require_subcommand(1);
  return config;
}

}  // namespace

void addDaemonCommands(CLI::App& app, Context& ctx) {
  auto json = std::make_shared<bool>(false);

  auto* status = app.add_subcommand("status", "show the running vtpsd's state");
  status->add_flag("--json", *json, "print the daemon's JSON answer");
  status->callback([&ctx, json] { runCommand(ctx, [&] { return showStatus(ctx, *json); }); });

  auto* show = app.add_subcommand("show", "show live state of the running vtpsd");
  show->require_subcommand(1);
  auto* tse = show->add_subcommand("tse", "threat suppression engine state");
  tse->require_subcommand(1);
  auto* ssl = tse->add_subcommand("ssl-inspection", "live SSL inspection sessions");
  ssl->add_flag("--json", *json, "print the sessions as JSON");
  ssl->callback([&ctx, json] { runCommand(ctx, [&] { return showSslInspection(ctx, *json); }); });
  auto* crypto = show->add_subcommand(
      "crypto", "CPU crypto features, the DRBG seed source and the AES-GCM provider in use");
  crypto->add_flag("--json", *json, "print as JSON");
  crypto->callback([&ctx, json] { runCommand(ctx, [&] { return showCrypto(ctx, *json); }); });

  auto* debug = app.add_subcommand("debug", "troubleshooting commands");
  debug->require_subcommand(1);
  auto* np = debug->add_subcommand("np", "network processor (proxy) state");
  np->require_subcommand(1);
  auto* stats = np->add_subcommand("stats", "counters");
  stats->require_subcommand(1);
  auto* stats_show = stats->add_subcommand("show", "print a counter group (all when omitted)");
  auto group = std::make_shared<std::string>();
  stats_show
      ->add_option("GROUP", *group, "npSslInspStats | npSslInspProtocolStats | npTcpProxyStats")
      ->check(CLI::IsMember({"npSslInspStats", "npSslInspProtocolStats", "npTcpProxyStats"}));
  stats_show->add_flag("--json", *json, "print the counters as JSON");
  stats_show->callback(
      [&ctx, group, json] { runCommand(ctx, [&] { return showCounters(ctx, *group, *json); }); });
  auto* clear = np->add_subcommand("ssl-clear", "close every live SSL inspection session");
  clear->callback([&ctx] { runCommand(ctx, [&] { return clearSessions(ctx); }); });
  auto* stall = np->add_subcommand(
      "proxy-stall", "diagnostic: every proxy worker sleeps N seconds (SSL inspection stops)");
  auto stall_seconds = std::make_shared<int>(0);
  stall->add_option("--seconds", *stall_seconds, "how long, 1..60")
      ->required()
      ->check(CLI::Range(1, 60));
  stall->callback(
      [&ctx, stall_seconds] { runCommand(ctx, [&] { return stallProxy(ctx, *stall_seconds); }); });
  addTraceCommands(debug, ctx);

  auto* apply = configGroup(app)->add_subcommand(
      "apply", "validate FILE in the running vtpsd and make it the running config");
  auto file = std::make_shared<std::string>();
  apply->add_option("FILE", *file, "config file")->required();
  apply->callback([&ctx, file] { runCommand(ctx, [&] { return applyConfig(ctx, *file); }); });
}

}  // namespace vtps::cli
