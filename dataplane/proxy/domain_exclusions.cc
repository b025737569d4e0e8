#include "dataplane/proxy/domain_exclusions.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dataplane/proxy/unique_fd.h"

namespace vtps::proxy {
namespace {

using Json = nlohmann::ordered_json;
constexpr int kFileVersion = 1;
constexpr size_t kMaxFileBytes = 32u << 20;

std::string nowRfc3339() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::optional<ExclusionSource> parseSource(std::string_view s) {
  if (s == "manual") return ExclusionSource::kManual;
  if (s == "automatic") return ExclusionSource::kAutomatic;
  return std::nullopt;
}

Result<ExclusionEntry> entryFromJson(const Json& j, size_t index) {
  const std::string at = fmt::format("exclusions[{}]", index);
  if (!j.is_object()) return makeError(fmt::format("{}: not an object", at));
  ExclusionEntry e;
  auto text = [&](const char* key, std::string& out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end()) {
      return required ? makeError(fmt::format("{}.{}: missing", at, key)) : Status{};
    }
    if (!it->is_string()) return makeError(fmt::format("{}.{}: not a string", at, key));
    out = it->get<std::string>();
    return {};
  };
  std::string source;
  VTPS_RETURN_IF_ERROR(text("domain", e.domain, true));
  VTPS_RETURN_IF_ERROR(text("source", source, true));
  VTPS_RETURN_IF_ERROR(text("reason", e.reason, false));
  VTPS_RETURN_IF_ERROR(text("added", e.added, false));
  e.domain = normalizeDomain(e.domain);
  if (!isDomainPattern(e.domain)) {
    return makeError(
        fmt::format("{}.domain: \"{}\" is not a host name or \"*.\" wildcard", at, e.domain));
  }
  std::optional<ExclusionSource> s = parseSource(source);
  if (!s) {
    return makeError(fmt::format("{}.source: \"{}\" is not one of: manual, automatic", at, source));
  }
  e.source = *s;
  return e;
}

bool containsDomain(const std::vector<ExclusionEntry>& entries, std::string_view domain) {
  return std::any_of(entries.begin(), entries.end(),
                     [&](const ExclusionEntry& e) { return e.domain == domain; });
}

}  // namespace

std::string_view toString(ExclusionSource source) {
  switch (source) {
    case ExclusionSource::kConfig:
      return "config";
    case ExclusionSource::kManual:
      return "manual";
    case ExclusionSource::kAutomatic:
      return "automatic";
  }
  return "unknown";
}

ExclusionSet::ExclusionSet(std::vector<ExclusionEntry> entries) : entries_(std::move(entries)) {
  // Earlier sources win for a pattern listed twice: config, then the file's order.
  for (size_t i = entries_.size(); i-- > 0;) {
    // Entries were validated when they entered the store; a failure here cannot happen.
    [[maybe_unused]] Status added = matcher_.add(entries_[i].domain, static_cast<uint32_t>(i));
  }
}

const ExclusionEntry* ExclusionSet::match(std::string_view host) const {
  std::optional<uint32_t> tag = matcher_.firstTag(host);
  return tag ? &entries_[*tag] : nullptr;
}

ExclusionSettings ExclusionSettings::from(const config::DomainExclusions& config) {
  ExclusionSettings s;
  s.automatic = config.automatic;
  s.failure_threshold = config.auto_failure_threshold;
  s.failure_window_s = config.auto_failure_window_s;
  s.config_domains = config.domains;
  return s;
}

std::string exclusionStatePath(const config::Config& config) {
  if (!config.domain_exclusions.state_file.empty()) return config.domain_exclusions.state_file;
  return (std::filesystem::path(config.device.keystore) / "domain-exclusions.json").string();
}

ExclusionStore::ExclusionStore(std::string path, ExclusionSettings settings)
    : path_(std::move(path)), settings_(std::move(settings)) {}

ExclusionStore::~ExclusionStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  sync_cv_.notify_all();
  if (sync_thread_.joinable()) sync_thread_.join();
}

Result<std::unique_ptr<ExclusionStore>> ExclusionStore::open(std::string path,
                                                             ExclusionSettings settings) {
  std::unique_ptr<ExclusionStore> store(new ExclusionStore(std::move(path), std::move(settings)));
  const FileStamp before = store->stamp();
  Result<std::vector<ExclusionEntry>> entries = store->readFile();
  if (!entries) return entries.error();
  std::lock_guard lock(store->mu_);
  store->file_entries_ = std::move(*entries);
  store->file_stamp_ = before;
  store->publishLocked();
  return store;
}

ExclusionStore::FileStamp ExclusionStore::stamp() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return {};
  return FileStamp{true, st.st_dev, st.st_ino, st.st_size,
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

Result<std::vector<ExclusionEntry>> ExclusionStore::readFile() const {
  const std::string what = fmt::format("domain exclusions {}", path_);
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::vector<ExclusionEntry>{};
    return makeError(fmt::format("{}: cannot open: {}", what, std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxFileBytes) {
    return makeError(fmt::format("{}: the file is larger than {} bytes", what, kMaxFileBytes));
  }
  Json root = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return makeError(fmt::format("{}: not valid JSON", what));
  if (!root.is_object() || !root.contains("exclusions") || !root["exclusions"].is_array()) {
    return makeError(fmt::format("{}: expected an object with an \"exclusions\" array", what));
  }
  if (auto v = root.find("version"); v != root.end() && *v != kFileVersion) {
    return makeError(fmt::format("{}: unsupported version {}", what, v->dump()));
  }
  std::vector<ExclusionEntry> entries;
  const Json& list = root["exclusions"];
  if (list.size() > kMaxEntries) {
    return makeError(
        fmt::format("{}: {} entries; the limit is {}", what, list.size(), kMaxEntries));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    Result<ExclusionEntry> e = entryFromJson(list[i], i);
    if (!e) return makeError(fmt::format("{}: {}", what, e.message()));
    if (!containsDomain(entries, e->domain)) entries.push_back(std::move(*e));
  }
  return entries;
}

Status ExclusionStore::writeFile(const std::vector<ExclusionEntry>& entries) const {
  const std::string what = fmt::format("write domain exclusions {}", path_);
  Json list = Json::array();
  for (const ExclusionEntry& e : entries) {
    list.push_back({{"domain", e.domain},
                    {"source", std::string(toString(e.source))},
                    {"reason", e.reason},
                    {"added", e.added}});
  }
  Json root{{"version", kFileVersion}, {"exclusions", std::move(list)}};
  const std::string text = root.dump(2) + "\n";
  const std::string tmp = fmt::format("{}.tmp.{}", path_, ::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd) return makeError(fmt::format("{}: open {}: {}", what, tmp, std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::unlink(tmp.c_str());
      return makeError(fmt::format("{}: write: {}", what, why));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path_.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return makeError(fmt::format("{}: {}", what, why));
  }
  // The rename is durable once the directory is synced.
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  UniqueFd dfd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd) ::fsync(dfd.get());
  return {};
}

Result<int> ExclusionStore::lockFile() const {
  const std::string lock_path = path_ + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return makeError(fmt::format("lock domain exclusions {}: {}", lock_path, std::strerror(errno)));
  }
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const std::string why = std::strerror(errno);
    ::close(fd);
    return makeError(fmt::format("lock domain exclusions {}: flock: {}", lock_path, why));
  }
  return fd;
}

std::shared_ptr<const ExclusionSet> ExclusionStore::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void ExclusionStore::publishLocked() {
  std::vector<ExclusionEntry> all;
  all.reserve(settings_.config_domains.size() + file_entries_.size() + pending_.size());
  for (const std::string& d : settings_.config_domains) {
    all.push_back(ExclusionEntry{normalizeDomain(d), ExclusionSource::kConfig, "", ""});
  }
  all.insert(all.end(), file_entries_.begin(), file_entries_.end());
  all.insert(all.end(), pending_.begin(), pending_.end());
  current_ = std::make_shared<const ExclusionSet>(std::move(all));
  version_.fetch_add(1, std::memory_order_release);
}

void ExclusionStore::configure(ExclusionSettings settings) {
  std::lock_guard lock(mu_);
  settings_ = std::move(settings);
  publishLocked();
}

bool ExclusionStore::coveredLocked(std::string_view domain) const {
  return current_->match(domain) != nullptr;
}

ExclusionStore::FailureOutcome ExclusionStore::exclude(std::string_view domain,
                                                       std::string_view reason) {
  // Requires mu_.
  if (file_entries_.size() + pending_.size() >= kMaxEntries) return FailureOutcome::kFull;
  pending_.push_back(ExclusionEntry{std::string(domain), ExclusionSource::kAutomatic,
                                    std::string(reason), nowRfc3339()});
  failures_.erase(std::string(domain));
  publishLocked();
  sync_wanted_ = true;
  sync_cv_.notify_all();
  return FailureOutcome::kExcluded;
}

ExclusionStore::FailureOutcome ExclusionStore::excludeNow(std::string_view domain,
                                                          std::string_view reason) {
  std::lock_guard lock(mu_);
  if (!settings_.automatic) return FailureOutcome::kAutomaticOff;
  if (coveredLocked(domain)) return FailureOutcome::kAlreadyExcluded;
  return exclude(domain, reason);
}

ExclusionStore::FailureOutcome ExclusionStore::recordFailure(std::string_view domain,
                                                             std::string_view reason,
                                                             int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (!settings_.automatic) return FailureOutcome::kAutomaticOff;
  if (coveredLocked(domain)) return FailureOutcome::kAlreadyExcluded;
  const int64_t window_ms = int64_t{settings_.failure_window_s} * 1000;
  auto expired = [&](const std::deque<int64_t>& times) {
    return times.empty() || times.back() <= now_ms - window_ms;
  };
  auto it = failures_.find(std::string(domain));
  if (it == failures_.end()) {
    if (failures_.size() >= kMaxTrackedDomains)
      std::erase_if(failures_, [&](const auto& kv) { return expired(kv.second); });
    // Still full of live counts: this domain is not tracked (it can be excluded by hand).
    if (failures_.size() >= kMaxTrackedDomains) return FailureOutcome::kCounted;
    it = failures_.emplace(std::string(domain), std::deque<int64_t>{}).first;
  }
  std::deque<int64_t>& times = it->second;
  while (!times.empty() && times.front() <= now_ms - window_ms)
    times.pop_front();
  times.push_back(now_ms);
  if (times.size() < static_cast<size_t>(settings_.failure_threshold)) {
    return FailureOutcome::kCounted;
  }
  return exclude(domain, fmt::format("{} ({} failures within {} s)", reason, times.size(),
                                     settings_.failure_window_s));
}

Status ExclusionStore::sync() {
  Result<int> lock_fd = lockFile();
  if (!lock_fd) return lock_fd.error();
  UniqueFd lock(*lock_fd);
  const FileStamp now = stamp();
  std::vector<ExclusionEntry> base, pending;
  bool reread = false;
  {
    std::lock_guard guard(mu_);
    pending = pending_;
    reread = !(now == file_stamp_);
    if (!reread) base = file_entries_;
  }
  if (reread) {
    Result<std::vector<ExclusionEntry>> read = readFile();
    if (!read) return read.error();
    base = std::move(*read);
  }
  const size_t before = base.size();
  for (const ExclusionEntry& e : pending) {
    if (!containsDomain(base, e.domain)) base.push_back(e);
  }
  FileStamp written = now;
  if (base.size() != before) {
    VTPS_RETURN_IF_ERROR(writeFile(base));
    written = stamp();
  }
  std::lock_guard guard(mu_);
  // Entries added while the file was written stay pending for the next round.
  std::erase_if(pending_,
                [&](const ExclusionEntry& e) { return containsDomain(pending, e.domain); });
  const bool changed = reread || base.size() != before;
  file_entries_ = std::move(base);
  file_stamp_ = written;
  if (changed) publishLocked();
  return {};
}

void ExclusionStore::startSync(std::chrono::milliseconds interval,
                               std::function<void(std::string)> on_error) {
  if (sync_thread_.joinable()) return;
  sync_thread_ = std::thread(
      [this, interval, on_error = std::move(on_error)] { syncLoop(interval, on_error); });
}

void ExclusionStore::syncLoop(std::chrono::milliseconds interval,
                              std::function<void(std::string)> on_error) {
  std::string last_error;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      sync_cv_.wait_for(lock, interval, [&] { return stopping_ || sync_wanted_; });
      sync_wanted_ = false;
    }
    Status synced = sync();
    // One report per distinct failure, not one per round.
    if (!synced && synced.message() != last_error && on_error) on_error(synced.message());
    last_error = synced ? std::string() : synced.message();
    std::lock_guard lock(mu_);
    if (stopping_) return;
  }
}

Status ExclusionStore::add(std::string_view domain, std::string_view reason) {
  const std::string d = normalizeDomain(domain);
  if (!isDomainPattern(d)) {
    return makeError(fmt::format("\"{}\" is not a host name or \"*.\" wildcard", domain));
  }
  Result<int> lock_fd = lockFile();
  if (!lock_fd) return lock_fd.error();
  UniqueFd lock(*lock_fd);
  Result<std::vector<ExclusionEntry>> entries = readFile();
  if (!entries) return entries.error();
  {
    std::lock_guard guard(mu_);
    for (const std::string& c : settings_.config_domains) {
      if (normalizeDomain(c) == d) {
        return makeError(
            fmt::format("{} is already excluded by the config (ssl.domain-exclusions.domains)", d));
      }
    }
  }
  if (containsDomain(*entries, d)) return makeError(fmt::format("{} is already excluded", d));
  if (entries->size() >= kMaxEntries) {
    return makeError(
        fmt::format("{} exclusions already; the limit is {}", entries->size(), kMaxEntries));
  }
  entries->push_back(
      ExclusionEntry{d, ExclusionSource::kManual, std::string(reason), nowRfc3339()});
  VTPS_RETURN_IF_ERROR(writeFile(*entries));
  std::lock_guard guard(mu_);
  file_entries_ = std::move(*entries);
  file_stamp_ = stamp();
  publishLocked();
  return {};
}

Status ExclusionStore::remove(std::string_view domain) {
  const std::string d = normalizeDomain(domain);
  Result<int> lock_fd = lockFile();
  if (!lock_fd) return lock_fd.error();
  UniqueFd lock(*lock_fd);
  Result<std::vector<ExclusionEntry>> entries = readFile();
  if (!entries) return entries.error();
  const size_t before = entries->size();
  std::erase_if(*entries, [&](const ExclusionEntry& e) { return e.domain == d; });
  if (entries->size() == before) {
    std::lock_guard guard(mu_);
    for (const std::string& c : settings_.config_domains) {
      if (normalizeDomain(c) == d) {
        return makeError(fmt::format(
            "{} is excluded by the config (ssl.domain-exclusions.domains); remove it there", d));
      }
    }
    return makeError(fmt::format("{} is not excluded", d));
  }
  VTPS_RETURN_IF_ERROR(writeFile(*entries));
  std::lock_guard guard(mu_);
  file_entries_ = std::move(*entries);
  file_stamp_ = stamp();
  std::erase_if(pending_, [&](const ExclusionEntry& e) { return e.domain == d; });
  publishLocked();
  return {};
}

std::vector<ExclusionEntry> ExclusionStore::list() const {
  return current()->entries();
}

}  // namespace vtps::proxy
