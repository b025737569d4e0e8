#include "appliance/daemon/proxy_watchdog.h"

#include <gtest/gtest.h>

#include <vector>

namespace vtps::daemon {
namespace {

proxy::WorkerLoad worker(int index, int core, int64_t heartbeat_ms, bool running = true) {
  proxy::WorkerLoad w;
  w.worker = index;
  w.core = core;
  w.heartbeat_ms = heartbeat_ms;
  w.running = running;
  return w;
}

TEST(ProxyWatchdogTest, StaysAvailableWhileEveryHeartbeatIsWithinTheThreshold) {
  ProxyWatchdog dog;
  const int64_t now = 100'000;
  // Idle workers stamp their heartbeat once a second; exactly the threshold is still alive.
  EXPECT_FALSE(dog.check({worker(0, 0, now - 1000), worker(1, 1, now - 3000)}, now));
  EXPECT_TRUE(dog.available());
  EXPECT_FALSE(dog.check({worker(0, 0, now + 400), worker(1, 1, now + 500)}, now + 500));
  EXPECT_TRUE(dog.available());
}

TEST(ProxyWatchdogTest, OneStalledWorkerMakesTheProxyUnavailableAndIsNamed) {
  ProxyWatchdog dog;
  const int64_t now = 100'000;
  auto entered = dog.check({worker(0, 2, now - 200), worker(1, 3, now - 3400)}, now);
  ASSERT_TRUE(entered);
  EXPECT_FALSE(entered->available);
  EXPECT_EQ(entered->reason, "worker 1 (core 3) stalled for 3.4 s");
  EXPECT_FALSE(dog.available());
  // Reported once: still stalled (for longer) is no new transition.
  EXPECT_FALSE(dog.check({worker(0, 2, now + 900), worker(1, 3, now - 3400)}, now + 1000));
  EXPECT_FALSE(dog.available());
}

TEST(ProxyWatchdogTest, LeavesWhenEveryWorkerTurnsAgainAndSaysHowLong) {
  ProxyWatchdog dog;
  int64_t now = 50'000;
  // Worker 1 was last seen 3.5 s ago, worker 0 3.1 s ago: the proxy is stuck since the older.
  ASSERT_TRUE(dog.check({worker(0, 0, now - 3100), worker(1, 1, now - 3500)}, now));
  now += 6200;
  auto left = dog.check({worker(0, 0, now - 10), worker(1, 1, now - 20)}, now);
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->available);
  EXPECT_EQ(left->reason,
            "every proxy worker is turning its loop again after 9.7 s stalled, 6.2 s of them in "
            "fallback");
  EXPECT_TRUE(dog.available());
  EXPECT_FALSE(dog.check({worker(0, 0, now + 400), worker(1, 1, now + 400)}, now + 500));
}

TEST(ProxyWatchdogTest, AnOutageOfAStoppedWorkerCountsFromTheCheckThatSawIt) {
  ProxyWatchdog dog;
  ASSERT_TRUE(dog.check({worker(0, 0, 0, /*running=*/false)}, 20'000));
  auto left = dog.check({worker(0, 0, 21'000)}, 21'500);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->reason,
            "every proxy worker is turning its loop again after 1.5 s stalled, 1.5 s of them in "
            "fallback");
}

TEST(ProxyWatchdogTest, AStoppedWorkerIsUnavailableWhateverItsLastHeartbeat) {
  ProxyWatchdog dog;
  const int64_t now = 10'000;
  auto entered = dog.check({worker(0, 0, now - 5000), worker(1, 1, now, /*running=*/false)}, now);
  ASSERT_TRUE(entered);
  EXPECT_EQ(entered->reason, "worker 0 (core 0) stalled for 5.0 s; worker 1 (core 1) stopped");
}

TEST(ProxyWatchdogTest, NoWorkerAtAllIsUnavailable) {
  ProxyWatchdog dog;
  auto entered = dog.check({}, 1000);
  ASSERT_TRUE(entered);
  EXPECT_FALSE(entered->available);
  EXPECT_EQ(entered->reason, "no proxy worker is running");
}

TEST(ProxyWatchdogTest, HonoursItsThreshold) {
  ProxyWatchdog dog(500);
  EXPECT_FALSE(dog.check({worker(0, 0, 1000)}, 1500));
  EXPECT_TRUE(dog.check({worker(0, 0, 1000)}, 1501));
}

TEST(ProxyFallbackMessageTest, SaysWhatHappensToNewFlowsPerFallbackMode) {
  ProxyWatchdog::Transition entered{false, "worker 0 (core 0) stalled for 3.4 s"};
  EXPECT_EQ(proxyFallbackMessage(entered, config::DataplaneFallback::kFailOpen),
            "proxy unavailable (worker 0 (core 0) stalled for 3.4 s), entered layer-2 fallback "
            "(fail-open): new SSL flows are bridged uninspected; sessions already proxied are "
            "kept and resume when the proxy does");
  EXPECT_EQ(proxyFallbackMessage(entered, config::DataplaneFallback::kFailClosed),
            "proxy unavailable (worker 0 (core 0) stalled for 3.4 s), entered layer-2 fallback "
            "(fail-closed): new SSL flows are dropped; sessions already proxied are kept and "
            "resume when the proxy does");
  ProxyWatchdog::Transition left{true,
                                 "every proxy worker is turning its loop again after 8.0 s "
                                 "stalled, 4.9 s of them in fallback"};
  EXPECT_EQ(proxyFallbackMessage(left, config::DataplaneFallback::kFailClosed),
            "proxy available again, left layer-2 fallback: every proxy worker is turning its "
            "loop again after 8.0 s stalled, 4.9 s of them in fallback; new SSL flows are "
            "steered to the proxy and inspected again");
}

}  // namespace
}  // namespace vtps::daemon
