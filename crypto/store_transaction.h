// All-or-nothing changes to a directory tree (the keystore): every new file is written and
// fsync'ed under a temporary name first; files to replace or remove are moved aside; only then are
// the new files renamed into place. Any failure restores the tree as it was, so a failed command
// leaves the keystore byte-for-byte unchanged.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "crypto/result.h"

namespace vtps::crypto {

class StoreTransaction {
 public:
  explicit StoreTransaction(std::string root) : root_(std::move(root)) {}
  StoreTransaction(const StoreTransaction&) = delete;
  StoreTransaction& operator=(const StoreTransaction&) = delete;
  ~StoreTransaction();

  // `relative` is a path under the root ("certs/web1.pem"). The last operation on a path wins.
  void put(const std::string& relative, std::string bytes, mode_t mode);
  void remove(const std::string& relative);
  bool empty() const { return ops_.empty(); }
  Status commit();

 private:
  struct Op {
    std::string relative;
    bool remove = false;
    std::string bytes;
    mode_t mode = 0;
    std::string temp;    // written new content
    std::string backup;  // the previous file, moved aside
    bool placed = false;
  };
  std::string full(const std::string& relative) const { return root_ + "/" + relative; }
  Status writeTemps();
  Status moveAside();
  Status place();
  void rollback();

  std::string root_;
  std::vector<Op> ops_;
  bool committed_ = false;
};

}  // namespace vtps::crypto
