#include "crypto/tls/tls_options.h"

#include <fmt/format.h>

#include <algorithm>

#include "crypto/tls/tls_names.h"

namespace vtps::tls {

Result<ProtocolRange> protocolRangeOf(std::span<const TlsVersion> versions) {
  if (versions.empty()) return Error{"protocols: none enabled"};
  const auto [lo, hi] = std::minmax_element(versions.begin(), versions.end());
  for (auto v = static_cast<int>(*lo) + 1; v < static_cast<int>(*hi); ++v) {
    const auto missing = static_cast<TlsVersion>(v);
    if (std::find(versions.begin(), versions.end(), missing) == versions.end()) {
      return Error{fmt::format(
          "protocols: {} and {} are enabled but {} is not; the enabled protocols must be "
          "contiguous",
          versionName(*lo), versionName(*hi), versionName(missing))};
    }
  }
  return ProtocolRange{*lo, *hi};
}

}  // namespace vtps::tls
