#include "crypto/file_util.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "crypto/ossl.h"

namespace vtps::crypto {
namespace {

Error errnoError(std::string_view op, const std::string& path, int err) {
  return Error{fmt::format("{} {}: {}", op, path, errnoText(err))};
}

// Owns a file descriptor; closes it on every path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now so that the close error (delayed write failure) can be reported.
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

std::string directoryOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string tempSuffix() {
  std::random_device rd;
  return fmt::format(".tmp.{}.{:08x}", ::getpid(), rd());
}

}  // namespace

std::string errnoText(int err) {
  char buf[256];
  // GNU strerror_r: returns a pointer to the message (static or in buf).
  return strerror_r(err, buf, sizeof buf);
}

Result<std::string> readFile(const std::string& path, size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return errnoError("read", path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errnoError("read", path, errno);
  if (S_ISDIR(st.st_mode)) return Error{fmt::format("read {}: is a directory", path)};
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoError("read", path, errno);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return Error{fmt::format("read {}: file is larger than {} bytes", path, max_bytes)};
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Status syncDirectory(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errnoError("open directory", dir, errno);
  if (::fsync(fd.get()) != 0) return errnoError("fsync directory", dir, errno);
  return {};
}

Status writeFileAtomic(const std::string& path, const std::string& bytes, mode_t mode) {
  std::string tmp = path + tempSuffix();
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) return errnoError("write", path, errno);
  auto fail = [&](int err) {
    ::unlink(tmp.c_str());
    return Status(errnoError("write", path, err));
  };
  // O_CREAT's mode is filtered by the umask; the requested mode is what callers rely on (0600).
  if (::fchmod(fd.get(), mode) != 0) return fail(errno);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errno);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail(errno);
  if (fd.close() != 0) return fail(errno);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(errno);
  return syncDirectory(directoryOf(path));
}

Result<std::string> readPasswordFile(const std::string& path) {
  auto content = readFile(path, size_t{64} * 1024);
  if (!content.ok()) return Error{fmt::format("password file: {}", content.message())};
  std::string& text = content.value();
  auto end = text.find_first_of("\r\n");
  std::string password = text.substr(0, end);
  ossl::cleanse(text);
  return password;
}

}  // namespace vtps::crypto
