// The per-worker upstream session cache: TLS 1.3 tickets used once and kept a few per key, TLS 1.2
// sessions reused, expired sessions dropped, keys evicted least recently stored first.
#include "crypto/tls/upstream_session_cache.h"

#include <gtest/gtest.h>

#include <ctime>

namespace vtps::tls {
namespace {

// A resumable session of `version`, told apart by its session ID byte `id`.
SSL_SESSION* makeSession(int version, unsigned char id, long lifetime_s = 300) {  // NOLINT
  SSL_SESSION* s = SSL_SESSION_new();
  EXPECT_NE(s, nullptr);
  EXPECT_EQ(SSL_SESSION_set_protocol_version(s, version), 1);
  const unsigned char sid[1] = {id};
  EXPECT_EQ(SSL_SESSION_set1_id(s, sid, sizeof(sid)), 1);
  SSL_SESSION_set_time(s, static_cast<long>(std::time(nullptr)));  // NOLINT(runtime/int)
  SSL_SESSION_set_timeout(s, lifetime_s);
  return s;
}

unsigned char idOf(SSL_SESSION* s) {
  unsigned int len = 0;
  const unsigned char* id = SSL_SESSION_get_id(s, &len);
  return len == 1 ? id[0] : 0;
}

// take() and the id of what it gave, 0 for nothing; frees the caller's reference.
unsigned char takeId(UpstreamSessionCache& cache, const std::string& key) {
  SSL_SESSION* s = cache.take(key);
  if (s == nullptr) return 0;
  const unsigned char id = idOf(s);
  SSL_SESSION_free(s);
  return id;
}

TEST(UpstreamSessionCacheTest, Tls13TicketsAreUsedOnceNewestFirst) {
  constexpr unsigned char kPut = UpstreamSessionCache::kTicketsPerKey + 2;
  UpstreamSessionCache cache;
  for (unsigned char id = 1; id <= kPut; ++id)
    cache.put("a", makeSession(TLS1_3_VERSION, id));
  EXPECT_EQ(cache.sessions(), UpstreamSessionCache::kTicketsPerKey);
  // Only the newest kTicketsPerKey are kept, and each is handed out once.
  for (unsigned char id = kPut; id > 2; --id)
    EXPECT_EQ(takeId(cache, "a"), id);
  EXPECT_EQ(takeId(cache, "a"), 0);
  EXPECT_EQ(cache.keys(), 0u);
  EXPECT_EQ(cache.sessions(), 0u);
}

TEST(UpstreamSessionCacheTest, TheSessionBudgetTakesFromTheLeastRecentlyStoredKey) {
  UpstreamSessionCache cache(UpstreamSessionCache::kDefaultCapacity, 5);
  cache.put("a", makeSession(TLS1_3_VERSION, 1));
  cache.put("a", makeSession(TLS1_3_VERSION, 2));
  cache.put("b", makeSession(TLS1_3_VERSION, 3));
  cache.put("b", makeSession(TLS1_3_VERSION, 4));
  cache.put("c", makeSession(TLS1_2_VERSION, 5));
  EXPECT_EQ(cache.sessions(), 5u);
  cache.put("c", makeSession(TLS1_2_VERSION, 6));  // replaces 5: still within the budget
  EXPECT_EQ(cache.sessions(), 5u);
  cache.put("b", makeSession(TLS1_3_VERSION, 7));  // "a" loses its oldest (1)
  EXPECT_EQ(cache.sessions(), 5u);
  cache.put("d", makeSession(TLS1_3_VERSION, 8));  // "a" loses its last (2) and goes
  EXPECT_EQ(cache.sessions(), 5u);
  EXPECT_EQ(cache.keys(), 3u);
  EXPECT_EQ(takeId(cache, "a"), 0);
  cache.put("d", makeSession(TLS1_3_VERSION, 9));  // "c" (least recent now) loses 6 and goes
  EXPECT_EQ(takeId(cache, "c"), 0);
  EXPECT_EQ(takeId(cache, "b"), 7);
  EXPECT_EQ(takeId(cache, "b"), 4);
  EXPECT_EQ(takeId(cache, "b"), 3);
  EXPECT_EQ(takeId(cache, "d"), 9);
  EXPECT_EQ(takeId(cache, "d"), 8);
  EXPECT_EQ(cache.sessions(), 0u);
  EXPECT_EQ(cache.keys(), 0u);
}

TEST(UpstreamSessionCacheTest, Tls12SessionsAreReusedAndReplaced) {
  UpstreamSessionCache cache;
  cache.put("a", makeSession(TLS1_2_VERSION, 1));
  EXPECT_EQ(takeId(cache, "a"), 1);
  EXPECT_EQ(takeId(cache, "a"), 1);
  cache.put("a", makeSession(TLS1_2_VERSION, 2));
  EXPECT_EQ(takeId(cache, "a"), 2);
  EXPECT_EQ(takeId(cache, "b"), 0);
  cache.erase("a");
  EXPECT_EQ(takeId(cache, "a"), 0);
}

TEST(UpstreamSessionCacheTest, ExpiredSessionsAreDropped) {
  UpstreamSessionCache cache;
  SSL_SESSION* old = makeSession(TLS1_3_VERSION, 1, 10);
  SSL_SESSION_set_time(old, static_cast<long>(std::time(nullptr)) - 60);  // NOLINT(runtime/int)
  cache.put("a", old);
  EXPECT_EQ(takeId(cache, "a"), 0);
  EXPECT_EQ(cache.keys(), 0u);
}

TEST(UpstreamSessionCacheTest, EvictsTheLeastRecentlyStoredKey) {
  UpstreamSessionCache cache(2);
  cache.put("a", makeSession(TLS1_2_VERSION, 1));
  cache.put("b", makeSession(TLS1_2_VERSION, 2));
  cache.put("a", makeSession(TLS1_2_VERSION, 3));  // "a" is now the newest
  cache.put("c", makeSession(TLS1_2_VERSION, 4));  // evicts "b"
  EXPECT_EQ(cache.keys(), 2u);
  EXPECT_EQ(takeId(cache, "a"), 3);
  EXPECT_EQ(takeId(cache, "b"), 0);
  EXPECT_EQ(takeId(cache, "c"), 4);
}

TEST(UpstreamSessionCacheTest, ANotResumableSessionIsNeverOffered) {
  UpstreamSessionCache cache;
  cache.put("a", SSL_SESSION_new());  // no ID, no ticket
  EXPECT_EQ(takeId(cache, "a"), 0);
}

}  // namespace
}  // namespace vtps::tls
