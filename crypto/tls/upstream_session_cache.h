// Upstream TLS session resumption: the sessions (TLS 1.2 session IDs or tickets, TLS 1.3 tickets)
// an origin server gave the proxy's upstream leg, kept so that the next connection to the same
// server resumes instead of making a full handshake. That skips the server's certificate chain
// (parsing it, checking the CertificateVerify signature, building the chain), which is most of
// the upstream leg's cost; TLS 1.3 resumption still runs a fresh (EC)DHE exchange.
//
// One cache per thread (each proxy worker has its own): no lock on the connection path. Entries
// are keyed by the caller (context generation, destination, SNI) and the cache is a bounded LRU
// of keys. A TLS 1.3 ticket is taken out when used, so that a ticket is offered once, as RFC 8446
// (C.4) advises. Servers send one or two tickets per connection, so a key keeps up to
// kTicketsPerKey of them: enough for every connection of a burst to one server to resume (with
// only 4 kept, 20 connections at a time to one origin resumed half of the time, and every full
// handshake costs the server's chain and an extra signature check). A TLS 1.2 session is kept and
// reused. A budget bounds the sessions of all keys together: past it, the least recently stored
// key loses its oldest session.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

namespace vtps::tls {

class UpstreamSessionCache {
 public:
  static constexpr std::size_t kDefaultCapacity = 1024;  // keys
  static constexpr std::size_t kTicketsPerKey = 64;
  static constexpr std::size_t kDefaultSessionBudget = 4096;  // sessions, all keys together

  explicit UpstreamSessionCache(std::size_t capacity = kDefaultCapacity,
                                std::size_t session_budget = kDefaultSessionBudget)
      : capacity_(capacity), session_budget_(session_budget) {}
  ~UpstreamSessionCache();
  UpstreamSessionCache(const UpstreamSessionCache&) = delete;
  UpstreamSessionCache& operator=(const UpstreamSessionCache&) = delete;

  // The calling thread's cache.
  static UpstreamSessionCache& local();

  // Keeps `session` (takes over the caller's reference) as the newest for `key`: a TLS 1.3
  // ticket joins the key's others (the oldest goes beyond kTicketsPerKey), a TLS 1.2 session
  // replaces them. Evicts the least recently stored key when the cache is full, and the oldest
  // sessions of the least recently stored keys when the session budget is spent.
  void put(const std::string& key, SSL_SESSION* session);
  // A session to resume for `key` (a new reference the caller frees), or null: the newest. A
  // TLS 1.3 ticket is removed as it is handed out; a TLS 1.2 session stays for the next one, and
  // the caller gets a copy of it.
  // Sessions that are no longer resumable (expired ticket lifetime) are dropped.
  SSL_SESSION* take(const std::string& key);
  // Forgets `key`, e.g. after the server refused to resume it.
  void erase(const std::string& key);

  std::size_t keys() const { return entries_.size(); }
  std::size_t sessions() const { return sessions_; }  // all keys together

 private:
  struct Entry {
    std::vector<SSL_SESSION*> sessions;  // oldest first
    std::list<std::string>::iterator age;
  };
  using Entries = std::unordered_map<std::string, Entry>;
  void freeAll(std::vector<SSL_SESSION*>& sessions);
  void dropOldest(std::vector<SSL_SESSION*>& sessions);  // frees the front one
  void eraseEntry(Entries::iterator it);

  std::size_t capacity_;
  std::size_t session_budget_;
  std::size_t sessions_ = 0;  // in all entries together
  Entries entries_;
  std::list<std::string> ages_;  // front: newest
};

}  // namespace vtps::tls
