// vtpsctl logs LOG [--limit N] [--offset N] [--where FIELD=VALUE]... [--json]: a page of one of
// the JSON-lines logs, newest first. Locally it reads device.log-dir (no daemon needed); with
// --remote it asks the REST API's GET /api/v1/logs/{log}. Both go through mgmt/log_reader.h, so
// they filter, page and refuse alike.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "appliance/cli/context.h"
#include "appliance/cli/daemon_call.h"
#include "appliance/mgmt/log_reader.h"

namespace vtps::cli {
namespace {

using mgmt::Json;

struct LogOptions {
  std::string log;
  size_t limit = mgmt::kDefaultLogLimit;
  size_t offset = 0;
  std::vector<std::string> where;
  bool json = false;
};

Result<mgmt::LogQuery> queryOf(const LogOptions& o) {
  mgmt::LogQuery q{o.log, o.offset, o.limit, {}};
  if (!mgmt::isLogName(o.log)) return makeError(mgmt::unknownLogMessage(o.log));
  VTPS_RETURN_IF_ERROR(mgmt::checkLogPage(o.offset, o.limit));
  for (const std::string& w : o.where) {
    const size_t eq = w.find('=');
    if (eq == 0 || eq == std::string::npos) {
      return makeError("--where " + w + ": expected FIELD=VALUE (a top-level field of the log)");
    }
    q.fields.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  return q;
}

Status showLog(const Context& ctx, const LogOptions& o) {
  auto q = queryOf(o);
  if (!q.ok()) return q.error();
  Result<Json> page = Json();
  if (!ctx.remote_url.empty()) {
    Json where = Json::object();
    for (const auto& [field, value] : q->fields)
      where[field] = value;
    page = askDaemon(ctx, Json{{"method", "logs"},
                               {"log", q->log},
                               {"offset", q->offset},
                               {"limit", q->limit},
                               {"where", std::move(where)}});
  } else {
    auto cfg = ctx.loadConfig();
    if (!cfg.ok()) return cfg.error();
    page = mgmt::readLogPage((*cfg)->device.log_dir, *q);
  }
  if (!page.ok()) return page.error();
  if (o.json) {
    std::cout << page->dump(2) << '\n';
    return {};
  }
  const Json entries = page->value("entries", Json::array());
  for (const Json& entry : entries)
    std::cout << entry.dump() << '\n';
  const size_t shown = entries.size();
  const size_t total = page->value("total", size_t{0});
  if (q->offset + shown < total) {
    std::cerr << "(" << shown << " of " << total << " entries from offset " << q->offset
              << "; --offset " << q->offset + shown << " for more)\n";
  }
  return {};
}

}  // namespace

void addLogCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<LogOptions>();
  auto* logs = app.add_subcommand(
      "logs", "read a log, newest first: ssl, failed, block, alert, system, audit, trace");
  logs->add_option("log", o->log, "ssl, failed, block, alert, system, audit or trace")->required();
  logs->add_option("--limit", o->limit, "entries to show, 1 to 1000 (default 100)");
  logs->add_option("--offset", o->offset, "skip this many of the newest matching entries");
  logs->add_option("--where", o->where, "FIELD=VALUE: keep entries whose top-level FIELD is VALUE")
      ->take_first();
  logs->add_flag("--json", o->json, "the whole page as one JSON object");
  logs->callback([&ctx, o] { runCommand(ctx, [&]() -> Status { return showLog(ctx, *o); }); });
}

}  // namespace vtps::cli
