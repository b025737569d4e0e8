#include "dataplane/proxy/list_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace vtps::proxy {
namespace {

std::string_view trim(std::string_view s) {
  constexpr std::string_view kBlanks = " \t\r";
  const size_t first = s.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kBlanks) - first + 1);
}

}  // namespace

Result<std::vector<ListLine>> readListFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) return makeError(fmt::format("{}: read failed: {}", path, std::strerror(errno)));
  if (static_cast<size_t>(size) > max_bytes) {
    return makeError(
        fmt::format("{}: the file is {} bytes; the limit is {}", path, size, max_bytes));
  }
  in.seekg(0, std::ios::beg);
  std::vector<ListLine> lines;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string_view text(line);
    if (size_t hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
    text = trim(text);
    if (!text.empty()) lines.push_back(ListLine{number, std::string(text)});
  }
  if (in.bad()) return makeError(fmt::format("{}: read failed: {}", path, std::strerror(errno)));
  return lines;
}

std::vector<std::string_view> splitBlanks(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
      ++i;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t')
      ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

}  // namespace vtps::proxy
