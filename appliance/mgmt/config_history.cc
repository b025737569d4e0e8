#include "appliance/mgmt/config_history.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "appliance/telemetry/metrics.h"
#include "crypto/file_util.h"

namespace vtps::mgmt {
namespace {

constexpr std::size_t kSequenceDigits = 10;

bool isEntryName(const std::string& name) {
  return name.size() == kSequenceDigits + 5 && name.ends_with(".yaml") &&
         name.find_first_not_of("0123456789") == kSequenceDigits;
}

}  // namespace

ConfigHistory::ConfigHistory(std::string dir, std::size_t depth)
    : dir_(std::move(dir)), depth_(std::max<std::size_t>(depth, 1)) {}

std::string ConfigHistory::fileOf(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%010llu.yaml", static_cast<unsigned long long>(seq));
  return dir_ + "/" + name;
}

std::vector<uint64_t> ConfigHistory::sequence() const {
  std::vector<uint64_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (isEntryName(name)) out.push_back(std::stoull(name.substr(0, kSequenceDigits)));
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

Status ConfigHistory::push(const std::string& yaml) {
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return makeError("config history: create " + dir_ + ": " + crypto::errnoText(errno));
  }
  std::vector<uint64_t> seq = sequence();
  uint64_t next = seq.empty() ? 1 : seq.front() + 1;
  VTPS_RETURN_IF_ERROR(crypto::writeFileAtomic(fileOf(next), yaml, 0600));
  // The new entry is the newest: of the older ones, depth - 1 stay.
  for (std::size_t i = depth_ - 1; i < seq.size(); ++i) {
    if (std::remove(fileOf(seq[i]).c_str()) != 0 && errno != ENOENT) {
      return makeError("config history: remove " + fileOf(seq[i]) + ": " +
                       crypto::errnoText(errno));
    }
  }
  return {};
}

Result<std::vector<ConfigVersion>> ConfigHistory::list() const {
  std::vector<ConfigVersion> out;
  int steps = 0;
  for (uint64_t seq : sequence()) {
    ConfigVersion v;
    v.steps_back = ++steps;
    v.file = fileOf(seq);
    auto text = crypto::readFile(v.file);
    if (!text.ok()) return text.error();
    v.sha256 = telemetry::sha256Hex(*text);
    struct stat st {};
    if (::stat(v.file.c_str(), &st) == 0) v.saved_unix_s = st.st_mtime;
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::string> ConfigHistory::load(int steps_back) const {
  std::vector<uint64_t> seq = sequence();
  if (seq.empty()) return makeError("rollback: no previous config is kept in " + dir_);
  if (steps_back < 1 || static_cast<std::size_t>(steps_back) > seq.size()) {
    return makeError("rollback " + std::to_string(steps_back) + ": the config history in " + dir_ +
                     " holds " + std::to_string(seq.size()) +
                     (seq.size() == 1 ? " previous config" : " previous configs") +
                     " (rollback takes 1.." + std::to_string(seq.size()) + ")");
  }
  return crypto::readFile(fileOf(seq[static_cast<std::size_t>(steps_back - 1)]));
}

}  // namespace vtps::mgmt
