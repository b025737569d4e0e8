#include "crypto/tls/upstream_session_cache.h"

#include <ctime>

namespace vtps::tls {
namespace {

// Resumable, and inside its lifetime (OpenSSL checks this too, but only after offering it: an
// expired session would cost the server a ticket decryption for nothing).
bool usable(const SSL_SESSION* session) {
  if (SSL_SESSION_is_resumable(session) != 1) return false;
  const long start = SSL_SESSION_get_time(session);
  const long lifetime = SSL_SESSION_get_timeout(session);
  return static_cast<long>(std::time(nullptr)) < start + lifetime;
}

bool singleUse(const SSL_SESSION* session) {
  return SSL_SESSION_get_protocol_version(session) >= TLS1_3_VERSION;
}

}  // namespace

void UpstreamSessionCache::freeAll(std::vector<SSL_SESSION*>& sessions) {
  for (SSL_SESSION* s : sessions)
    SSL_SESSION_free(s);
  sessions_ -= sessions.size();
  sessions.clear();
}

void UpstreamSessionCache::dropOldest(std::vector<SSL_SESSION*>& sessions) {
  SSL_SESSION_free(sessions.front());
  sessions.erase(sessions.begin());
  --sessions_;
}

UpstreamSessionCache::~UpstreamSessionCache() {
  for (auto& [key, entry] : entries_)
    freeAll(entry.sessions);
}

UpstreamSessionCache& UpstreamSessionCache::local() {
  thread_local UpstreamSessionCache cache;
  return cache;
}

void UpstreamSessionCache::put(const std::string& key, SSL_SESSION* session) {
  if (capacity_ == 0 || session_budget_ == 0) {
    SSL_SESSION_free(session);
    return;
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= capacity_) erase(ages_.back());
    ages_.push_front(key);
    it = entries_.emplace(key, Entry{{}, ages_.begin()}).first;
  } else {
    ages_.splice(ages_.begin(), ages_, it->second.age);
  }
  std::vector<SSL_SESSION*>& sessions = it->second.sessions;
  if (!singleUse(session)) {
    freeAll(sessions);
  } else if (sessions.size() >= kTicketsPerKey) {
    dropOldest(sessions);
  }
  sessions.push_back(session);
  ++sessions_;
  while (sessions_ > session_budget_) {
    // The least recently stored key gives up its oldest session (the key just stored is the
    // newest, so it is reached last).
    auto oldest = entries_.find(ages_.back());
    dropOldest(oldest->second.sessions);
    if (oldest->second.sessions.empty()) eraseEntry(oldest);
  }
}

SSL_SESSION* UpstreamSessionCache::take(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  std::vector<SSL_SESSION*>& sessions = it->second.sessions;
  SSL_SESSION* found = nullptr;
  while (!sessions.empty() && found == nullptr) {
    SSL_SESSION* newest = sessions.back();
    if (!usable(newest)) {
      SSL_SESSION_free(newest);
      sessions.pop_back();
      --sessions_;
    } else if (singleUse(newest)) {
      sessions.pop_back();  // the cache's reference becomes the caller's
      --sessions_;
      found = newest;
    } else {
      // A copy: the connection that resumes it may end without a close_notify, and OpenSSL then
      // marks the session object it used not resumable.
      found = SSL_SESSION_dup(newest);
      if (found == nullptr) break;
    }
  }
  if (sessions.empty()) eraseEntry(it);
  return found;
}

void UpstreamSessionCache::erase(const std::string& key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) eraseEntry(it);
}

void UpstreamSessionCache::eraseEntry(Entries::iterator it) {
  freeAll(it->second.sessions);
  ages_.erase(it->second.age);
  entries_.erase(it);
}

}  // namespace vtps::tls
