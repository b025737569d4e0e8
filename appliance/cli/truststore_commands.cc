// `vtpsctl truststore new|list|show|delete`. Trust stores are config objects (ssl.trust-stores),
// so `new` and `delete` edit the config file in force: they load it, change the YAML tree,
// validate the whole result, and replace the file atomically, keeping the previous version as
// FILE.bak. The file is rewritten from the tree, so its comments are not kept. Any refusal leaves
// the file byte-for-byte unchanged.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "appliance/cli/context.h"
#include "appliance/config/loader.h"
#include "appliance/config/validate.h"
#include "crypto/file_util.h"
#include "crypto/keystore.h"

namespace vtps::cli {
namespace {

using config::TrustStore;

std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items)
    out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

// An exclusive lock on the config file for the whole read-modify-write, so two edits cannot
// lose each other's change. The file is replaced by rename, so after locking we make sure the
// path still names the locked file.
class ConfigFileLock {
 public:
  static Result<ConfigFileLock> acquire(const std::string& path) {
    for (int attempt = 0; attempt < 10; ++attempt) {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return Error{"open " + path + ": " + std::strerror(errno)};
      ConfigFileLock lock(fd);
      if (::flock(fd, LOCK_EX) != 0) return Error{"lock " + path + ": " + std::strerror(errno)};
      struct stat held {
      }, current{};
      if (::fstat(fd, &held) != 0) return Error{"stat " + path + ": " + std::strerror(errno)};
      if (::stat(path.c_str(), &current) == 0 && current.st_ino == held.st_ino &&
          current.st_dev == held.st_dev) {
        lock.mode_ = held.st_mode & 07777;
        return lock;
      }
    }
    return Error{"lock " + path + ": the file keeps being replaced"};
  }
  ConfigFileLock(ConfigFileLock&& o) noexcept : fd_(o.fd_), mode_(o.mode_) { o.fd_ = -1; }
  ConfigFileLock& operator=(ConfigFileLock&&) = delete;
  ~ConfigFileLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  mode_t mode() const { return mode_; }

 private:
  explicit ConfigFileLock(int fd) : fd_(fd) {}
  int fd_;
  mode_t mode_ = 0644;
};

// The config file in force, read and validated, with its YAML tree ready to edit.
struct EditableConfig {
  std::string path;
  std::string text;
  std::shared_ptr<config::Config> config;
  YAML::Node root;
};

Result<std::string> configPathForEdit(const Context& ctx) {
  std::string path = ctx.configPath();
  if (path.empty()) {
    return Error{"no config file to edit: pass --config FILE (or create " +
                 std::string(kDefaultConfigPath) + ")"};
  }
  return path;
}

Result<EditableConfig> openForEdit(const std::string& path) {
  auto text = crypto::readFile(path);
  if (!text.ok()) return text.error();
  config::LoadResult loaded = config::loadString(text.value(), path);
  if (!loaded.ok()) {
    return Error{path + " does not validate; fix it before editing trust stores:\n" +
                 loaded.report()};
  }
  EditableConfig edit{path, std::move(text.value()), std::move(loaded.config), {}};
  try {
    edit.root = YAML::Load(edit.text);
  } catch (const YAML::Exception& e) {
    return Error{"parse " + path + ": " + e.what()};
  }
  if (!edit.root.IsMap()) edit.root = YAML::Node(YAML::NodeType::Map);
  return edit;
}

// The edited tree as text, validated as a whole, written over the file with FILE.bak keeping
// the previous version.
Status commitEdit(const EditableConfig& edit, const ConfigFileLock& lock) {
  YAML::Emitter out;
  out << edit.root;
  if (!out.good()) return Error{"write " + edit.path + ": " + out.GetLastError()};
  std::string text = std::string(out.c_str()) + "\n";
  config::LoadResult check = config::loadString(text, edit.path);
  if (!check.ok()) {
    return Error{"the edited config would not validate (" + edit.path + " left unchanged):\n" +
                 check.report()};
  }
  VTPS_RETURN_IF_ERROR(crypto::writeFileAtomic(edit.path + ".bak", edit.text, lock.mode()));
  return crypto::writeFileAtomic(edit.path, text, lock.mode());
}

// ssl.trust-stores of the tree, created when absent.
YAML::Node trustStoreList(YAML::Node& root) {
  YAML::Node ssl = root["ssl"];
  if (!ssl.IsMap()) {
    ssl = YAML::Node(YAML::NodeType::Map);
    root["ssl"] = ssl;
  }
  YAML::Node list = ssl["trust-stores"];
  if (!list.IsSequence()) {
    list = YAML::Node(YAML::NodeType::Sequence);
    ssl["trust-stores"] = list;
  }
  // One store per block entry, even where the file had the list in flow style ("[]").
  list.SetStyle(YAML::EmitterStyle::Block);
  return list;
}

const TrustStore* findStore(const config::Config& c, std::string_view name) {
  for (const TrustStore& t : c.trust_stores) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

struct NewOptions {
  std::string name;
  std::string description;
  bool no_default_ca = false;
  std::vector<std::string> cas;
};

Status checkNewStore(const Context& ctx, const EditableConfig& edit, const NewOptions& o) {
  if (auto bad = config::checkName(o.name, "trust store", config::kMaxTrustStoreNameLength)) {
    return Error{"trust store name " + *bad};
  }
  if (auto bad = config::checkDescription(o.description)) return Error{"description " + *bad};
  if (findStore(*edit.config, o.name) != nullptr) {
    return Error{"trust store " + quote(o.name) + " already exists in " + edit.path};
  }
  if (o.cas.empty()) return Status::success();
  auto store = ctx.storeDir();
  if (!store.ok()) return store.error();
  std::set<std::string_view> seen;
  for (const std::string& ca : o.cas) {
    if (!seen.insert(ca).second) return Error{"CA certificate " + quote(ca) + " is given twice"};
    Status valid = crypto::validateCaName(ca);
    if (!valid.ok()) return valid.error();
    std::string file = store.value() + "/cas/" + ca + ".pem";
    if (::access(file.c_str(), F_OK) != 0) {
      return Error{"CA certificate " + quote(ca) + " is not in the keystore " + store.value() +
                   " (import it with `vtpsctl ca import`)"};
    }
  }
  return Status::success();
}

Status newStore(Context& ctx, const NewOptions& o) {
  auto path = configPathForEdit(ctx);
  if (!path.ok()) return path.error();
  auto lock = ConfigFileLock::acquire(path.value());
  if (!lock.ok()) return lock.error();
  auto edit = openForEdit(path.value());
  if (!edit.ok()) return edit.error();
  VTPS_RETURN_IF_ERROR(checkNewStore(ctx, edit.value(), o));

  YAML::Node store(YAML::NodeType::Map);
  store["name"] = o.name;
  if (!o.description.empty()) store["description"] = o.description;
  store["include-default-ca"] = !o.no_default_ca;
  YAML::Node cas(YAML::NodeType::Sequence);
  cas.SetStyle(YAML::EmitterStyle::Flow);
  for (const std::string& ca : o.cas)
    cas.push_back(ca);
  store["ca-certificates"] = cas;
  trustStoreList(edit.value().root).push_back(store);
  VTPS_RETURN_IF_ERROR(commitEdit(edit.value(), lock.value()));
  std::cout << "trust store " << quote(o.name) << " added to " << path.value() << '\n';
  return Status::success();
}

Status deleteStore(Context& ctx, const std::string& name) {
  auto path = configPathForEdit(ctx);
  if (!path.ok()) return path.error();
  auto lock = ConfigFileLock::acquire(path.value());
  if (!lock.ok()) return lock.error();
  auto edit = openForEdit(path.value());
  if (!edit.ok()) return edit.error();
  if (findStore(*edit.value().config, name) == nullptr) {
    return Error{"no trust store " + quote(name) + " in " + path.value()};
  }
  auto users = edit.value().config->policiesUsingTrustStore(name);
  if (!users.empty()) {
    return Error{"trust store " + quote(name) + " is used by " +
                 (users.size() == 1 ? "policy " : "policies ") + joined(users, ", ") +
                 (users.size() == 1 ? "; remove it from that policy first"
                                    : "; remove it from those policies first")};
  }
  YAML::Node list = trustStoreList(edit.value().root);
  YAML::Node kept(YAML::NodeType::Sequence);
  for (const YAML::Node& item : list) {
    if (!(item.IsMap() && item["name"] && item["name"].IsScalar() &&
          item["name"].Scalar() == name)) {
      kept.push_back(item);
    }
  }
  edit.value().root["ssl"]["trust-stores"] = kept;
  VTPS_RETURN_IF_ERROR(commitEdit(edit.value(), lock.value()));
  std::cout << "trust store " << quote(name) << " deleted from " << path.value() << '\n';
  return Status::success();
}

std::string padded(std::string_view s, std::size_t width) {
  return std::string(s) + std::string(width > s.size() ? width - s.size() : 0, ' ') + "  ";
}

Status listStores(const Context& ctx) {
  auto cfg = ctx.loadConfig();
  if (!cfg.ok()) return cfg.error();
  const config::Config& c = *cfg.value();
  std::size_t width = 4;
  for (const TrustStore& t : c.trust_stores)
    width = std::max(width, t.name.size());
  std::cout << padded("NAME", width) << "DEFAULT-CA  CAS  USED-BY  DESCRIPTION\n";
  for (const TrustStore& t : c.trust_stores) {
    std::string line = padded(t.name, width) + padded(t.include_default_ca ? "yes" : "no", 10) +
                       padded(std::to_string(t.ca_certificates.size()), 3) +
                       padded(std::to_string(c.policiesUsingTrustStore(t.name).size()), 7) +
                       t.description;
    while (line.back() == ' ')
      line.pop_back();
    std::cout << line << '\n';
  }
  return Status::success();
}

Status showStore(const Context& ctx, const std::string& name) {
  auto cfg = ctx.loadConfig();
  if (!cfg.ok()) return cfg.error();
  const TrustStore* t = findStore(*cfg.value(), name);
  if (t == nullptr) {
    std::string where = ctx.configPath().empty() ? "the default config" : ctx.configPath();
    return Error{"no trust store " + quote(name) + " in " + where};
  }
  auto users = cfg.value()->policiesUsingTrustStore(name);
  std::cout << "name:                " << t->name << '\n'
            << "description:         " << t->description << '\n'
            << "include default CAs: "
            << (t->include_default_ca ? "yes (" + std::string(crypto::kDefaultCaBundle) + ")"
                                      : std::string("no"))
            << '\n'
            << "CA certificates:     "
            << (t->ca_certificates.empty() ? "none" : joined(t->ca_certificates, ", ")) << '\n'
            << "used by:             " << (users.empty() ? "none" : joined(users, ", ")) << '\n';
  return Status::success();
}

}  // namespace

void addTrustStoreCommands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand(
      "truststore",
      "SSL client trust stores (ssl.trust-stores in the config file). `new` and `delete` rewrite "
      "the config file without its comments and keep the previous version as FILE.bak");
  group->require_subcommand(1);

  auto options = std::make_shared<NewOptions>();
  auto* create = group->add_subcommand("new", "add a trust store to the config file");
  create->add_option("NAME", options->name, "up to 64 letters, digits, _, - or spaces")->required();
  create->add_option("--description", options->description, "up to 512 characters");
  create->add_flag("--no-default-ca", options->no_default_ca,
                   "do not trust the default CA package");
  create->add_option("--ca", options->cas, "a CA certificate from the keystore (repeatable)");
  create->callback([&ctx, options] { runCommand(ctx, [&] { return newStore(ctx, *options); }); });

  group->add_subcommand("list", "list the trust stores of the config in force")->callback([&ctx] {
    runCommand(ctx, [&] { return listStores(ctx); });
  });

  auto name = std::make_shared<std::string>();
  auto* show = group->add_subcommand("show", "show one trust store");
  show->add_option("NAME", *name, "trust store name")->required();
  show->callback([&ctx, name] { runCommand(ctx, [&] { return showStore(ctx, *name); }); });

  auto* remove = group->add_subcommand(
      "delete", "remove a trust store from the config file (refused while a policy uses it)");
  remove->add_option("NAME", *name, "trust store name")->required();
  remove->callback([&ctx, name] { runCommand(ctx, [&] { return deleteStore(ctx, *name); }); });
}

}  // namespace vtps::cli
