// Reading the plain-text lists SSL client inspection loads (category lists, decryption policy
// domain files): UTF-8 text, one entry per line, '#' starts a comment, blank lines are skipped,
// leading and trailing blanks are ignored.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/result.h"

namespace vtps::proxy {

struct ListLine {
  int number = 0;    // 1-based line number in the file
  std::string text;  // comment and surrounding blanks removed; never empty
};

inline constexpr size_t kMaxListFileBytes = 64u << 20;

// The entries of `path`. Errors: "FILE: cannot open: No such file or directory",
// "FILE: read failed: ...", "FILE: the file is N bytes; the limit is 67108864".
Result<std::vector<ListLine>> readListFile(const std::string& path,
                                           size_t max_bytes = kMaxListFileBytes);

// Splits `text` at runs of blanks (spaces and tabs).
std::vector<std::string_view> splitBlanks(std::string_view text);

}  // namespace vtps::proxy
