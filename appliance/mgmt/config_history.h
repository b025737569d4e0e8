// The configs vtpsd ran before the current one, kept so that `vtpsctl config rollback [N]` can
// return to them. Each successful apply, reload or rollback saves the config it replaces as
// STATE_DIR/config-history/NNNNNNNNNN.yaml (a growing sequence number); only the newest `depth`
// files are kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crypto/result.h"

namespace vtps::mgmt {

inline constexpr std::size_t kConfigHistoryDepth = 10;

struct ConfigVersion {
  int steps_back = 0;  // 1: the config in force before the running one
  std::string file;
  int64_t saved_unix_s = 0;
  std::string sha256;  // of the YAML text
};

class ConfigHistory {
 public:
  explicit ConfigHistory(std::string dir, std::size_t depth = kConfigHistoryDepth);

  // Saves `yaml` as the newest entry (creating the directory, mode 0700) and deletes entries
  // beyond the depth. Errors name the file and errno's text.
  Status push(const std::string& yaml);
  // Newest first. A missing directory is an empty history.
  Result<std::vector<ConfigVersion>> list() const;
  // The YAML text `steps_back` entries back (1 = newest); refuses a step outside 1..size().
  Result<std::string> load(int steps_back) const;
  const std::string& dir() const { return dir_; }

 private:
  // Sequence numbers of the stored entries, newest first.
  std::vector<uint64_t> sequence() const;
  std::string fileOf(uint64_t seq) const;

  std::string dir_;
  std::size_t depth_;
};

}  // namespace vtps::mgmt
