#include "appliance/cli/context.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "appliance/config/loader.h"

namespace vtps::cli {

std::string Context::configPath() const {
  if (!config_path.empty()) return config_path;
  std::error_code ec;
  if (std::filesystem::exists(kDefaultConfigPath, ec)) return kDefaultConfigPath;
  return {};
}

Result<std::shared_ptr<const config::Config>> Context::loadConfig() const {
  std::string path = configPath();
  if (path.empty())
    return std::shared_ptr<const config::Config>(std::make_shared<config::Config>());
  auto loaded = config::loadFile(path);
  if (!loaded.ok()) return Error{loaded.message()};
  return std::shared_ptr<const config::Config>(std::move(loaded.value()));
}

Result<std::string> Context::storeDir() const {
  if (!store_dir.empty()) return store_dir;
  auto cfg = loadConfig();
  if (!cfg.ok()) return cfg.error();
  return cfg.value()->device.keystore;
}

Result<bool> Context::persistPrivateKeys() const {
  auto cfg = loadConfig();
  if (!cfg.ok()) return cfg.error();
  return cfg.value()->device.ssl_inspection.persist_private_keys;
}

void Context::refuse(const std::string& message) {
  std::cerr << "vtpsctl: " << message << '\n';
  exit_code = kExitRefused;
}

void runCommand(Context& ctx, const std::function<Status()>& body) {
  Status st = body();
  if (!st.ok()) ctx.refuse(st.message());
}

void printTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << '\n';
  }
}

}  // namespace vtps::cli
