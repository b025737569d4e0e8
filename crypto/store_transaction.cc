#include "crypto/store_transaction.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>

#include "crypto/file_util.h"
#include "crypto/ossl.h"

namespace vtps::crypto {
namespace {

std::string uniqueSuffix(std::string_view kind) {
  std::random_device rd;
  return fmt::format(".{}.{}.{:08x}", kind, ::getpid(), rd());
}

bool exists(const std::string& path) {
  return ::access(path.c_str(), F_OK) == 0;
}

std::string parentOf(const std::string& path) {
  return path.substr(0, path.rfind('/'));
}

}  // namespace

StoreTransaction::~StoreTransaction() {
  if (!committed_) rollback();
  for (auto& op : ops_)
    ossl::cleanse(op.bytes);
}

void StoreTransaction::put(const std::string& relative, std::string bytes, mode_t mode) {
  std::erase_if(ops_, [&](const Op& op) { return op.relative == relative; });
  ops_.push_back(Op{relative, false, std::move(bytes), mode, {}, {}, false});
}

void StoreTransaction::remove(const std::string& relative) {
  std::erase_if(ops_, [&](const Op& op) { return op.relative == relative; });
  ops_.push_back(Op{relative, true, {}, 0, {}, {}, false});
}

Status StoreTransaction::writeTemps() {
  for (auto& op : ops_) {
    if (op.remove) continue;
    std::string temp = full(op.relative) + uniqueSuffix("new");
    VTPS_RETURN_IF_ERROR(writeFileAtomic(temp, op.bytes, op.mode));
    op.temp = std::move(temp);
  }
  return {};
}

Status StoreTransaction::moveAside() {
  for (auto& op : ops_) {
    std::string target = full(op.relative);
    if (!exists(target)) continue;
    std::string backup = target + uniqueSuffix("old");
    if (::rename(target.c_str(), backup.c_str()) != 0) {
      return Error{fmt::format("update {}: {}", target, errnoText(errno))};
    }
    op.backup = std::move(backup);
  }
  return {};
}

Status StoreTransaction::place() {
  for (auto& op : ops_) {
    if (op.remove) continue;
    std::string target = full(op.relative);
    if (::rename(op.temp.c_str(), target.c_str()) != 0) {
      return Error{fmt::format("update {}: {}", target, errnoText(errno))};
    }
    op.placed = true;
  }
  return {};
}

// Best effort: each step is undone independently, and a step that cannot be undone (which needs
// the file system to fail between two renames in one directory) must not stop the others.
void StoreTransaction::rollback() {
  for (auto& op : ops_) {
    std::string target = full(op.relative);
    if (op.placed) (void)::unlink(target.c_str());
    if (!op.temp.empty() && !op.placed) (void)::unlink(op.temp.c_str());
    if (!op.backup.empty()) (void)::rename(op.backup.c_str(), target.c_str());
    op.temp.clear();
    op.backup.clear();
    op.placed = false;
  }
}

Status StoreTransaction::commit() {
  Status st = writeTemps();
  if (st.ok()) st = moveAside();
  if (st.ok()) st = place();
  if (!st.ok()) {
    rollback();
    return st;
  }
  committed_ = true;
  std::set<std::string> dirs;
  for (auto& op : ops_) {
    if (!op.backup.empty()) ::unlink(op.backup.c_str());
    dirs.insert(parentOf(full(op.relative)));
  }
  for (const auto& dir : dirs)
    VTPS_RETURN_IF_ERROR(syncDirectory(dir));
  return {};
}

}  // namespace vtps::crypto
