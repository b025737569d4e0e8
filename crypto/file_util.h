// Small file helpers shared by the keystore and the CLI: bounded reads and crash-safe writes.
#pragma once

#include <sys/types.h>

#include <string>

#include "crypto/result.h"

namespace vtps::crypto {

// Certificate, key and PKCS#12 files are small; anything larger is refused rather than read.
inline constexpr size_t kMaxInputFileBytes = size_t{16} * 1024 * 1024;

// strerror(3) text for `err`, safe to call from several threads.
std::string errnoText(int err);

// Reads a whole file. Errors name the file: "read FILE: No such file or directory".
Result<std::string> readFile(const std::string& path, size_t max_bytes = kMaxInputFileBytes);

// Writes `bytes` to `path` so that a crash leaves either the old or the new content: a temporary
// file in the same directory is written, fsync'ed, given `mode`, renamed over `path`, and the
// directory is fsync'ed.
Status writeFileAtomic(const std::string& path, const std::string& bytes, mode_t mode);

// fsync() of a directory, so that renames and unlinks inside it are durable.
Status syncDirectory(const std::string& dir);

// The first line of a password file without its line terminator (as `openssl -passin file:`).
Result<std::string> readPasswordFile(const std::string& path);

}  // namespace vtps::crypto
