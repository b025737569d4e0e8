// Management commands: the config lifecycle of a running vtpsd (`config export`, `config history`,
// `config rollback [N]`), `display conf running [ssl-inspection]` in the TOS statement format, and
// the offline administration of management users, roles, groups and API tokens (STATE_DIR/
// users.json; docs/management.md). Lifecycle and display commands work over the control socket or
// with --remote; `display conf running --config FILE` formats FILE without a daemon.
#include <array>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "appliance/cli/context.h"
#include "appliance/cli/daemon_call.h"
#include "appliance/cli/offline_audit.h"
#include "appliance/config/loader.h"
#include "appliance/mgmt/running_config_format.h"
#include "appliance/mgmt/state_paths.h"
#include "appliance/mgmt/user_store.h"
#include "crypto/file_util.h"

namespace vtps::cli {
namespace {

using mgmt::Json;

CLI::App* configGroup(CLI::App& app) {
  auto found = app.get_subcommands([](CLI::App* s) { return s->get_name() == "config"; });
  if (!found.empty()) return found.front();
  auto* config = app.add_subcommand("config", "validate, apply and export configuration");
  config->require_subcommand(1);
  return config;
}

Status exportConfig(const Context& ctx) {
  auto r = askDaemon(ctx, Json{{"method", "config-export"}});
  if (!r.ok()) return r.error();
  std::cout << r->at("yaml").get<std::string>();
  return {};
}

Status showHistory(const Context& ctx) {
  auto r = askDaemon(ctx, Json{{"method", "config-history"}});
  if (!r.ok()) return r.error();
  const Json& history = r->at("history");
  if (history.empty()) std::cout << "no previous configs kept\n";
  for (const auto& v : history) {
    std::cout << v.at("steps_back").get<int>() << "  " << v.at("saved").get<std::string>() << "  "
              << v.at("sha256").get<std::string>().substr(0, 16) << '\n';
  }
  return {};
}

Status rollback(const Context& ctx, int steps) {
  auto r = askDaemon(ctx, Json{{"method", "rollback"}, {"steps", steps}});
  if (!r.ok()) return makeError("config rollback refused: " + r.message());
  for (const auto& w : r->value("warnings", Json::array()))
    std::cerr << "warning: " << w.get<std::string>() << '\n';
  std::cout << "rolled back " << steps << (steps == 1 ? " step" : " steps") << '\n';
  return {};
}

// --config FILE: that file; otherwise the running vtpsd's config.
Status displayRunning(const Context& ctx, bool ssl_only) {
  config::LoadResult loaded;
  if (!ctx.config_path.empty()) {
    loaded = config::loadFileDiagnostics(ctx.config_path);
  } else {
    auto r = askDaemon(ctx, Json{{"method", "config-export"}});
    if (!r.ok()) return r.error();
    loaded = config::loadString(r->at("yaml").get<std::string>(), "running config");
  }
  if (!loaded.ok()) return makeError(loaded.report());
  std::cout << mgmt::formatRunningConfig(
      *loaded.config, ssl_only ? mgmt::DisplaySection::kSslInspection : mgmt::DisplaySection::kAll);
  return {};
}

void addLifecycleCommands(CLI::App& app, Context& ctx) {
  CLI::App* config = configGroup(app);
  auto* exp = config->add_subcommand("export", "print the running vtpsd's config (YAML)");
  exp->callback([&ctx] { runCommand(ctx, [&] { return exportConfig(ctx); }); });
  auto* history = config->add_subcommand("history", "list the previous configs kept for rollback");
  history->callback([&ctx] { runCommand(ctx, [&] { return showHistory(ctx); }); });
  auto steps = std::make_shared<int>(1);
  auto* back = config->add_subcommand(
      "rollback", "apply the config in force N changes ago again (default 1; at most 10 kept)");
  back->add_option("N", *steps, "how many configs back")->check(CLI::Range(1, 10));
  back->callback([&ctx, steps] { runCommand(ctx, [&] { return rollback(ctx, *steps); }); });

  auto* display = app.add_subcommand("display", "TOS-style display commands");
  display->require_subcommand(1);
  auto* conf = display->add_subcommand("conf", "configuration");
  conf->require_subcommand(1);
  auto* running = conf->add_subcommand(
      "running", "the running config as TOS statements (--config FILE: that file instead)");
  auto section = std::make_shared<std::string>();
  running->add_option("SECTION", *section, "ssl-inspection")
      ->check(CLI::IsMember({"ssl-inspection"}));
  running->callback(
      [&ctx, section] { runCommand(ctx, [&] { return displayRunning(ctx, !section->empty()); }); });
}

// ---- users, roles, groups, tokens (offline, on the users file) ----

struct UserFileOptions {
  std::string state_dir;  // --state-dir; else from the config
};

Result<std::string> usersPath(const Context& ctx, const UserFileOptions& o) {
  if (!o.state_dir.empty()) return mgmt::usersFile(o.state_dir);
  auto cfg = ctx.loadConfig();
  if (!cfg.ok()) return cfg.error();
  return mgmt::usersFile(mgmt::stateDir((*cfg)->device));
}

// Loads the users file, applies `edit`, saves it and audits the change.
Status editUsers(const Context& ctx, const UserFileOptions& o, const std::string& action,
                 const std::string& object, const std::function<Status(mgmt::UserDb&)>& edit) {
  auto path = usersPath(ctx, o);
  if (!path.ok()) return path.error();
  auto db = mgmt::loadUserDb(*path);
  if (!db.ok()) return db.error();
  auto before = crypto::readFile(*path);  // absent before the first user
  VTPS_RETURN_IF_ERROR(edit(*db));
  VTPS_RETURN_IF_ERROR(mgmt::saveUserDb(*path, *db));
  auto after = crypto::readFile(*path);
  auditOffline(ctx, action, object, mgmt::sha256Hex(before.ok() ? *before : ""),
               mgmt::sha256Hex(after.ok() ? *after : ""));
  return {};
}

Result<std::string> readPassword(const std::string& file) {
  if (!file.empty()) return crypto::readPasswordFile(file);
  std::string line;
  if (!std::getline(std::cin, line)) return makeError("password: nothing on standard input");
  return line;
}

void addUserCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<UserFileOptions>();
  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>();
  auto group = std::make_shared<std::string>();
  auto password_file = std::make_shared<std::string>();

  auto* user = app.add_subcommand("user", "management users (STATE_DIR/users.json)");
  user->require_subcommand(1);
  user->add_option("--state-dir", o->state_dir, "state directory (default from the config)");
  auto* add =
      user->add_subcommand("add", "add a user; the password comes from --password-file or stdin");
  add->add_option("NAME", *name)->required();
  add->add_option("--role", *role, "administrator, viewer or a role from `vtpsctl role add`")
      ->required();
  add->add_option("--group", *group, "limit the user to a group's objects");
  add->add_option("--password-file", *password_file, "first line is the password");
  add->callback([&ctx, o, name, role, group, password_file] {
    runCommand(ctx, [&]() -> Status {
      auto password = readPassword(*password_file);
      if (!password.ok()) return password.error();
      return editUsers(ctx, *o, "user-add", *name, [&](mgmt::UserDb& db) {
        return mgmt::addUser(db, mgmt::User{*name, *role, *group, {}}, *password);
      });
    });
  });
  auto* del = user->add_subcommand("delete", "delete a user and their tokens");
  del->add_option("NAME", *name)->required();
  del->callback([&ctx, o, name] {
    runCommand(ctx, [&] {
      return editUsers(ctx, *o, "user-delete", *name,
                       [&](mgmt::UserDb& db) { return mgmt::removeUser(db, *name); });
    });
  });
  auto* list = user->add_subcommand("list", "list users");
  list->callback([&ctx, o] {
    runCommand(ctx, [&]() -> Status {
      auto path = usersPath(ctx, *o);
      if (!path.ok()) return path.error();
      auto db = mgmt::loadUserDb(*path);
      if (!db.ok()) return db.error();
      for (const auto& u : db->users)
        std::cout << u.name << "  role " << u.role << (u.group.empty() ? "" : "  group " + u.group)
                  << '\n';
      return {};
    });
  });
}

void addRoleGroupCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<UserFileOptions>();
  auto name = std::make_shared<std::string>();
  auto caps = std::make_shared<std::vector<std::string>>();
  auto* role = app.add_subcommand("role", "management roles");
  role->require_subcommand(1);
  role->add_option("--state-dir", o->state_dir, "state directory (default from the config)");
  auto* add = role->add_subcommand("add", "define a role by its capabilities");
  add->add_option("NAME", *name)->required();
  add->add_option(
         "--capability", *caps,
         "ssl-inspection-management | lock-ssl-filter | admin-x509-certificate-management | "
         "device-x509-certification-configuration | view (repeatable)")
      ->required();
  add->callback([&ctx, o, name, caps] {
    runCommand(ctx, [&] {
      return editUsers(ctx, *o, "role-add", *name, [&](mgmt::UserDb& db) -> Status {
        mgmt::Role r{*name, 0};
        for (const auto& c : *caps) {
          auto cap = mgmt::parseCapability(c);
          if (!cap) return makeError("role " + *name + ": unknown capability " + c);
          r.capabilities |= static_cast<uint32_t>(*cap);
        }
        return mgmt::addRole(db, std::move(r));
      });
    });
  });

  auto lists = std::make_shared<std::array<std::vector<std::string>, 4>>();
  auto* group =
      app.add_subcommand("group", "management groups: which named objects members may change");
  group->require_subcommand(1);
  group->add_option("--state-dir", o->state_dir, "state directory (default from the config)");
  auto* gadd = group->add_subcommand("add", "define a group; a kind not listed means all of it");
  gadd->add_option("NAME", *name)->required();
  gadd->add_option("--server-proxy", (*lists)[0], "repeatable");
  gadd->add_option("--client-proxy", (*lists)[1], "repeatable");
  gadd->add_option("--decryption-policy", (*lists)[2], "repeatable");
  gadd->add_option("--profile", (*lists)[3], "repeatable");
  gadd->callback([&ctx, o, name, lists, gadd] {
    runCommand(ctx, [&] {
      auto pick = [&](const char* option, const std::vector<std::string>& v) {
        return gadd->count(option) > 0 ? std::optional(v) : std::nullopt;
      };
      mgmt::Group g{*name,
                    pick("--server-proxy", (*lists)[0]),
                    pick("--client-proxy", (*lists)[1]),
                    pick("--decryption-policy", (*lists)[2]),
                    pick("--profile", (*lists)[3]),
                    std::nullopt};
      return editUsers(ctx, *o, "group-add", *name,
                       [&](mgmt::UserDb& db) { return mgmt::addGroup(db, std::move(g)); });
    });
  });
}

void addTokenCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<UserFileOptions>();
  auto name = std::make_shared<std::string>();
  auto* token = app.add_subcommand("token", "API tokens for the REST API");
  token->require_subcommand(1);
  token->add_option("--state-dir", o->state_dir, "state directory (default from the config)");
  auto* create = token->add_subcommand("create", "make a token for USER and print it (shown once)");
  create->add_option("USER", *name)->required();
  create->callback([&ctx, o, name] {
    runCommand(ctx, [&]() -> Status {
      mgmt::NewToken made = mgmt::makeToken(*name);
      VTPS_RETURN_IF_ERROR(
          editUsers(ctx, *o, "token-create", *name, [&](mgmt::UserDb& db) -> Status {
            if (db.user(*name) == nullptr) return makeError("user " + *name + " does not exist");
            db.tokens.push_back(made.record);
            return {};
          }));
      std::cout << made.secret << '\n';
      return {};
    });
  });
  auto* revoke = token->add_subcommand("revoke", "revoke a token by its id (token list)");
  revoke->add_option("ID", *name)->required();
  revoke->callback([&ctx, o, name] {
    runCommand(ctx, [&] {
      return editUsers(ctx, *o, "token-revoke", *name,
                       [&](mgmt::UserDb& db) { return mgmt::revokeToken(db, *name); });
    });
  });
  auto* list = token->add_subcommand("list", "list tokens (ids, not secrets)");
  list->callback([&ctx, o] {
    runCommand(ctx, [&]() -> Status {
      auto path = usersPath(ctx, *o);
      if (!path.ok()) return path.error();
      auto db = mgmt::loadUserDb(*path);
      if (!db.ok()) return db.error();
      for (const auto& t : db->tokens)
        std::cout << t.id << "  " << t.user << "  " << t.created << '\n';
      return {};
    });
  });
}

}  // namespace

void addManagementCommands(CLI::App& app, Context& ctx) {
  addLifecycleCommands(app, ctx);
  addUserCommands(app, ctx);
  addRoleGroupCommands(app, ctx);
  addTokenCommands(app, ctx);
}

}  // namespace vtps::cli
