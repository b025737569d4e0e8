#include "appliance/telemetry/json_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <mutex>
#include <thread>

#include "appliance/telemetry/bounded_queue.h"

namespace vtps::telemetry {
namespace {

constexpr std::array<std::string_view, kLogFileCount> kLogFileNames = {
    "ssl.log", "system.log", "failed.log", "audit.log", "block.log", "alert.log", "trace.log"};

std::string errnoText(int err) {
  return std::strerror(err);
}

// One log file and its rotated predecessors. Used only by the logging thread.
class RotatingFile {
 public:
  RotatingFile(std::string path, const JsonLogOptions& options, JsonLogStats& stats)
      : path_(std::move(path)), options_(options), stats_(stats) {}
  ~RotatingFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  Status open() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) return makeError("open log file " + path_ + ": " + errnoText(errno));
    struct stat st {};
    size_ = ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    return {};
  }

  // Queues one line (without its newline) for the next flushPending().
  void append(const std::string& line) {
    uint64_t would_be = size_ + pending_.size() + line.size() + 1;
    if (would_be > options_.max_file_bytes && size_ + pending_.size() > 0) {
      flushPending();
      rotate();
    }
    pending_ += line;
    pending_ += '\n';
  }

  void flushPending() {
    size_t off = 0;
    while (off < pending_.size() && fd_ >= 0) {
      ssize_t n = ::write(fd_, pending_.data() + off, pending_.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ++stats_.write_errors;
        break;
      }
      off += static_cast<size_t>(n);
    }
    size_ += off;
    pending_.clear();
  }

 private:
  // NAME.log -> NAME.log.1 -> ... -> NAME.log.(max_files-1); the last one is overwritten.
  void rotate() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (options_.max_files <= 1) {
      ::unlink(path_.c_str());
    }
    for (int i = options_.max_files - 1; i >= 1; --i) {
      std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
      std::string to = path_ + "." + std::to_string(i);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) ++stats_.write_errors;
    }
    ++stats_.rotations;
    size_ = 0;
    if (!open().ok()) ++stats_.write_errors;
  }

  std::string path_;
  const JsonLogOptions& options_;
  JsonLogStats& stats_;
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string pending_;
};

struct QueuedEntry {
  LogFile file = LogFile::kSystem;
  Json entry;
};

std::string serialize(const Json& entry) {
  // Replace invalid UTF-8 (an SNI is attacker-controlled) instead of throwing.
  return entry.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

class JsonLog::Impl {
 public:
  Impl(std::string dir, JsonLogOptions options)
      : dir_(std::move(dir)), options_(options), queue_(options.queue_capacity) {}

  ~Impl() {
    if (thread_.joinable()) {
      stop_.store(true, std::memory_order_release);
      wake();
      thread_.join();
    }
  }

  Status open() {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) return makeError("create log directory " + dir_ + ": " + ec.message());
    for (int i = 0; i < kLogFileCount; ++i) {
      files_[i] = std::make_unique<RotatingFile>(dir_ + "/" + std::string(kLogFileNames[i]),
                                                 options_, file_stats_);
      VTPS_RETURN_IF_ERROR(files_[i]->open());
    }
    thread_ = std::thread([this] { run(); });
    return {};
  }

  bool post(LogFile file, Json entry) {
    QueuedEntry item{file, std::move(entry)};
    if (!queue_.tryPush(item)) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    posted_.fetch_add(1, std::memory_order_release);
    wake();
    return true;
  }

  void flush() {
    uint64_t target = posted_.load(std::memory_order_acquire);
    for (;;) {
      uint64_t done = processed_.load(std::memory_order_acquire);
      if (done >= target) return;
      processed_.wait(done, std::memory_order_acquire);
    }
  }

  JsonLogStats stats() const {
    JsonLogStats s;
    s.written = written_.load(std::memory_order_relaxed);
    s.dropped = dropped_.load(std::memory_order_relaxed);
    s.write_errors = write_errors_.load(std::memory_order_relaxed);
    s.rotations = rotations_.load(std::memory_order_relaxed);
    return s;
  }

  const std::string& dir() const { return dir_; }

  void setTap(Tap tap) {
    std::lock_guard lock(tap_mutex_);
    tap_ = std::move(tap);
  }

 private:
  void wake() {
    wake_.fetch_add(1, std::memory_order_release);
    wake_.notify_one();
  }

  void run() {
    for (;;) {
      uint32_t seen = wake_.load(std::memory_order_acquire);
      size_t n = drain();
      if (n == 0) {
        if (stop_.load(std::memory_order_acquire)) {
          // An entry posted just before the stop may have missed the drain above (it began
          // before the push); the stop's release makes it visible now.
          drain();
          break;
        }
        wake_.wait(seen, std::memory_order_acquire);
      }
    }
  }

  // Writes everything queued now; returns how many entries it took.
  size_t drain() {
    size_t n = 0;
    std::lock_guard tap_lock(tap_mutex_);
    while (auto item = queue_.tryPop()) {
      std::string line = serialize(item->entry);
      if (tap_) tap_(item->file, item->entry, line);
      files_[static_cast<int>(item->file)]->append(std::move(line));
      ++n;
    }
    reportDrops();
    for (auto& f : files_)
      f->flushPending();
    written_.store(written_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    write_errors_.store(file_stats_.write_errors, std::memory_order_relaxed);
    rotations_.store(file_stats_.rotations, std::memory_order_relaxed);
    if (n > 0) {
      processed_.fetch_add(n, std::memory_order_release);
      processed_.notify_all();
    }
    return n;
  }

  // Drops cannot go through the full queue; the logging thread writes the note itself.
  void reportDrops() {
    uint64_t dropped = dropped_.load(std::memory_order_relaxed);
    if (dropped == reported_drops_) return;
    Json entry;
    entry["time"] = rfc3339Utc(nowUnixMs());
    entry["severity"] = "warning";
    entry["event"] = "log-drops";
    entry["message"] = std::to_string(dropped - reported_drops_) +
                       " log entries dropped: logging queue full (" +
                       std::to_string(queue_.capacity()) + " entries)";
    entry["dropped_total"] = dropped;
    reported_drops_ = dropped;
    files_[static_cast<int>(LogFile::kSystem)]->append(serialize(entry));
  }

  std::string dir_;
  JsonLogOptions options_;
  BoundedQueue<QueuedEntry> queue_;
  std::array<std::unique_ptr<RotatingFile>, kLogFileCount> files_;
  JsonLogStats file_stats_;  // logging thread only; mirrored into the atomics below
  uint64_t reported_drops_ = 0;
  std::mutex tap_mutex_;  // taken by the logging thread once per batch, and by setTap()
  Tap tap_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<uint32_t> wake_{0};
  std::atomic<uint64_t> posted_{0};
  std::atomic<uint64_t> processed_{0};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::atomic<uint64_t> rotations_{0};
};

std::string_view fileName(LogFile file) {
  return kLogFileNames[static_cast<int>(file)];
}

Result<std::unique_ptr<JsonLog>> JsonLog::open(const std::string& dir, JsonLogOptions options) {
  auto impl = std::make_unique<Impl>(dir, options);
  VTPS_RETURN_IF_ERROR(impl->open());
  return std::unique_ptr<JsonLog>(new JsonLog(std::move(impl)));
}

JsonLog::JsonLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonLog::~JsonLog() = default;
bool JsonLog::post(LogFile file, Json entry) {
  return impl_->post(file, std::move(entry));
}
void JsonLog::setTap(Tap tap) {
  impl_->setTap(std::move(tap));
}

void JsonLog::flush() {
  impl_->flush();
}
JsonLogStats JsonLog::stats() const {
  return impl_->stats();
}
const std::string& JsonLog::dir() const {
  return impl_->dir();
}

int64_t nowUnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339Utc(int64_t unix_ms) {
  int64_t secs = unix_ms / 1000;
  int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  auto t = static_cast<time_t>(secs);
  struct tm tm {};
  gmtime_r(&t, &tm);
  std::array<char, 40> buf{};
  size_t n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
  std::array<char, 8> frac{};
  std::snprintf(frac.data(), frac.size(), ".%03dZ", static_cast<int>(ms));
  return std::string(buf.data(), n) + frac.data();
}

}  // namespace vtps::telemetry
