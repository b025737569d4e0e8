// TproxyRules against the real kernel, in network namespaces the test creates (root only).
//
// A forked child unshares two namespaces: "app" (the appliance, where the rules go) and "cli"
// (a client), joined by a veth pair. Traffic has to come from another namespace because
// locally generated packets never traverse prerouting. The child installs, replaces and
// removes the rules, connects from cli to diverted and non-diverted destinations, and reports
// what it saw (nft listings through libnftables, rules and routes through netlink, `ip rule`
// output, accepted sockets' addresses) as key/value pairs over a pipe; the parent asserts.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <nftables/libnftables.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "dataplane/proxy/exception_routing.h"
#include "dataplane/proxy/rtnetlink.h"
#include "dataplane/proxy/tproxy_rules.h"

namespace vtps::proxy {
namespace {

using Report = std::map<std::string, std::string>;

// ---- child side: everything below runs in the forked child only ----

class Reporter {
 public:
  explicit Reporter(int fd) : fd_(fd) {}
  void put(const std::string& key, const std::string& value) const {
    std::string record = key + '\x1f' + value + '\x1e';
    for (size_t off = 0; off < record.size();) {
      ssize_t n = ::write(fd_, record.data() + off, record.size() - off);
      if (n <= 0) _exit(3);
      off += static_cast<size_t>(n);
    }
  }

 private:
  int fd_;
};

std::string errnoText(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

// Output of a shell command (test setup and independent checks only), or "failed: ...".
std::string shell(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen((command + " 2>&1").c_str(), "r"), ::pclose);
  if (!p) return errnoText("popen");
  std::string out;
  char buf[512];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p.get())) > 0)
    out.append(buf, n);
  int status = ::pclose(p.release());
  if (status != 0) return "failed: " + command + ": " + out;
  return out;
}

std::string nftListRuleset() {
  std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx(nft_ctx_new(NFT_CTX_DEFAULT), nft_ctx_free);
  nft_ctx_buffer_output(ctx.get());
  nft_ctx_buffer_error(ctx.get());
  if (nft_run_cmd_from_buffer(ctx.get(), "list ruleset") != 0) {
    return std::string("error: ") + nft_ctx_get_error_buffer(ctx.get());
  }
  return nft_ctx_get_output_buffer(ctx.get());
}

std::string netlinkRules() {
  auto nl = RtNetlink::open();
  if (!nl) return nl.message();
  auto rules = nl->listFwmarkRules();
  if (!rules) return rules.message();
  std::string out;
  for (const FwmarkRule& r : *rules)
    out += r.str() + "\n";
  return out;
}

std::string netlinkRoutes(uint32_t table) {
  auto nl = RtNetlink::open();
  if (!nl) return nl.message();
  auto routes = nl->listRoutes(table);
  if (!routes) return routes.message();
  std::string out;
  for (const Ipv4Route& r : *routes)
    out += r.str() + "\n";
  return out;
}

std::string addressText(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
  return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

struct Listener {
  int fd = -1;
  uint16_t port = 0;
};

Listener transparentListener() {
  Listener l;
  l.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  ::setsockopt(l.fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(l.fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(l.fd, 8) != 0 ||
      ::getsockname(l.fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    _exit(4);
  }
  l.port = ntohs(a.sin_port);
  return l;
}

bool waitFor(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & events) != 0;
}

// Connects from the client namespace to ip:port and says where the connection landed:
// "L1 local=10.99.0.1:443 peer=10.99.1.2 ping/pong", "timeout" or an error.
std::string connectFromClient(int cli_ns, int app_ns, const char* ip, uint16_t port,
                              const Listener& l1, const Listener& l2, int timeout_ms) {
  ::setns(cli_ns, CLONE_NEWNET);
  int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);  // lives in cli from now on
  ::setns(app_ns, CLONE_NEWNET);
  std::unique_ptr<int, void (*)(int*)> guard(&c, [](int* fd) { ::close(*fd); });
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &dst.sin_addr);
  if (::connect(c, reinterpret_cast<sockaddr*>(&dst), sizeof(dst)) != 0 && errno != EINPROGRESS) {
    return errnoText("connect");
  }
  if (!waitFor(c, POLLOUT, timeout_ms)) return "timeout";
  int err = 0;
  socklen_t len = sizeof(err);
  ::getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return std::string("connect: ") + std::strerror(err);
  pollfd ls[2] = {{l1.fd, POLLIN, 0}, {l2.fd, POLLIN, 0}};
  if (::poll(ls, 2, 1000) <= 0) return "connected, but no listener got it";
  const char* which = (ls[0].revents & POLLIN) != 0 ? "L1" : "L2";
  int s = ::accept4((ls[0].revents & POLLIN) != 0 ? l1.fd : l2.fd, nullptr, nullptr, 0);
  if (s < 0) return errnoText("accept");
  std::unique_ptr<int, void (*)(int*)> server_guard(&s, [](int* fd) { ::close(*fd); });
  sockaddr_in local{};
  sockaddr_in peer{};
  len = sizeof(local);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&local), &len);
  len = sizeof(peer);
  ::getpeername(s, reinterpret_cast<sockaddr*>(&peer), &len);
  std::string peer_ip = addressText(peer);
  peer_ip = peer_ip.substr(0, peer_ip.find(':'));
  char buf[8] = {};
  // Data both ways: later segments are matched by the established-flow rule.
  if (::write(c, "ping", 4) != 4 || !waitFor(s, POLLIN, 1000) || ::read(s, buf, 4) != 4) {
    return "no data client->server";
  }
  std::string got(buf, 4);
  if (::write(s, "pong", 4) != 4 || !waitFor(c, POLLIN, 1000) || ::read(c, buf, 4) != 4) {
    return "no data server->client";
  }
  got += "/" + std::string(buf, 4);
  return std::string(which) + " local=" + addressText(local) + " peer=" + peer_ip + " " + got;
}

constexpr uint32_t kNet(uint32_t a, uint32_t b) {
  return a << 24 | b << 16;
}

void reportState(const Reporter& out, const std::string& stage, uint32_t route_table) {
  out.put("ruleset " + stage, nftListRuleset());
  out.put("netlink rules " + stage, netlinkRules());
  out.put("routes " + stage, netlinkRoutes(route_table));
  out.put("ip rule " + stage, shell("ip -4 rule show"));
}

void runScenario(const Reporter& out, int app, int cli) {
  Listener l1 = transparentListener();
  Listener l2 = transparentListener();
  out.put("l1", std::to_string(l1.port));
  out.put("l2", std::to_string(l2.port));
  TproxySettings settings;  // inet vtps, route table 100, rule pref 100, established mark 1
  std::vector<TproxyTuple> tuples{{kNet(10, 99), 24, 443, 443, l1.port, 1, {}},
                                  {0, 0, 8443, 8444, l2.port, 2, {}}};
  auto rules = TproxyRules::install(settings, tuples);
  out.put("install", rules ? "ok" : rules.message());
  if (!rules) return;
  reportState(out, "after install", settings.route_table);
  auto again = TproxyRules::install(settings, tuples);
  out.put("install again", again ? "ok" : again.message());
  out.put("netlink rules after install again", netlinkRules());
  auto table = rules->listTable();
  out.put("list table", table ? *table : table.message());

  out.put("to 10.99.0.1:443", connectFromClient(cli, app, "10.99.0.1", 443, l1, l2, 2000));
  out.put("to 10.77.0.5:8444", connectFromClient(cli, app, "10.77.0.5", 8444, l1, l2, 2000));
  out.put("to 10.99.0.1:80", connectFromClient(cli, app, "10.99.0.1", 80, l1, l2, 300));

  Status replaced = rules->replace({{kNet(10, 98), 16, 8000, 8080, l1.port, 1, {}}});
  out.put("replace", replaced ? "ok" : replaced.message());
  reportState(out, "after replace", settings.route_table);
  out.put("after replace to 10.98.3.4:8080",
          connectFromClient(cli, app, "10.98.3.4", 8080, l1, l2, 2000));
  out.put("after replace to 10.77.0.5:8444",
          connectFromClient(cli, app, "10.77.0.5", 8444, l1, l2, 300));

  Status removed = rules->remove();
  out.put("remove", removed ? "ok" : removed.message());
  reportState(out, "after remove", settings.route_table);
  Status removed_again = rules->remove();
  out.put("remove again", removed_again ? "ok" : removed_again.message());
  auto listed = rules->listTable();
  out.put("list table after remove", listed ? *listed : listed.message());
  out.put("after remove to 10.98.3.4:8080",
          connectFromClient(cli, app, "10.98.3.4", 8080, l1, l2, 300));
}

// The dpdk exception port's kernel side on vtps-a (standing in for the TAP).
void runExceptionScenario(Reporter& out) {
  auto sysctls = [] {
    return shell(
        "cat /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/tcp_fwmark_accept "
        "/proc/sys/net/ipv4/tcp_tw_reuse /proc/sys/net/ipv4/conf/vtps-a/rp_filter");
  };
  shell("sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.vtps-a.rp_filter=1");
  out.put("exc sysctls before", sysctls());
  auto routing = ExceptionRouting::install({{"vtps-a", 0x7671, 0x7671}});
  out.put("exc install", routing ? "ok" : routing.message());
  if (!routing) return;
  out.put("exc ip rule", shell("ip rule show pref 99"));
  out.put("exc route", shell("ip route show table 0x7671"));
  out.put("exc link", shell("ip -o link show vtps-a | grep -o 'NOARP'"));
  out.put("exc sysctls", sysctls());
  out.put("exc describe", routing->describe());
  Status removed = routing->remove();
  out.put("exc remove", removed ? "ok" : removed.message());
  out.put("exc ip rule after remove", shell("ip rule show pref 99"));
  out.put("exc route after remove", shell("ip route show table 0x7671"));
  out.put("exc sysctls after remove", sysctls());
  auto missing = ExceptionRouting::install({{"vtps-nope", 0x7672, 0x7672}});
  out.put("exc missing interface", missing ? "ok" : missing.message());
  out.put("exc sysctls after failed install", sysctls());
}

[[noreturn]] void childMain(int report_fd) {
  Reporter out(report_fd);
  if (::unshare(CLONE_NEWNET) != 0) {
    out.put("skip", errnoText("unshare(CLONE_NEWNET)"));
    _exit(0);
  }
  int app = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (::unshare(CLONE_NEWNET) != 0) _exit(5);
  int cli = ::open("/proc/self/ns/net", O_RDONLY);  // no CLOEXEC: `ip ... netns` opens it
  if (app < 0 || cli < 0 || ::setns(app, CLONE_NEWNET) != 0) _exit(6);
  std::string setup = shell(
      "ip link set lo up && ip link add vtps-a type veth peer name vtps-b && "
      "ip link set vtps-b netns /proc/self/fd/" +
      std::to_string(cli) + " && ip addr add 10.99.1.1/24 dev vtps-a && ip link set vtps-a up");
  ::setns(cli, CLONE_NEWNET);
  setup += shell(
      "ip link set lo up && ip addr add 10.99.1.2/24 dev vtps-b && "
      "ip link set vtps-b up && ip route add default via 10.99.1.1");
  ::setns(app, CLONE_NEWNET);
  out.put("setup", setup);
  if (setup.empty()) runScenario(out, app, cli);
  if (setup.empty()) runExceptionScenario(out);
  _exit(0);
}

// ---- parent side ----

Report runChild() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {{"error", "pipe"}};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    childMain(fds[1]);
  }
  ::close(fds[1]);
  std::string raw;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0)
    raw.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Report report;
  report["exit"] = WIFEXITED(status) ? std::to_string(WEXITSTATUS(status)) : "signal";
  for (size_t off = 0; off < raw.size();) {
    size_t sep = raw.find('\x1f', off);
    size_t end = raw.find('\x1e', off);
    if (sep == std::string::npos || end == std::string::npos || sep > end) break;
    report[raw.substr(off, sep - off)] = raw.substr(sep + 1, end - sep - 1);
    off = end + 1;
  }
  return report;
}

class TproxyRulesRootTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() == 0) report_ = new Report(runChild());
  }
  static void TearDownTestSuite() {
    delete report_;
    report_ = nullptr;
  }
  void SetUp() override {
    if (report_ == nullptr) GTEST_SKIP() << "needs root (network namespaces, nftables)";
    if (report_->count("skip") != 0) GTEST_SKIP() << report_->at("skip");
    ASSERT_EQ(at("exit"), "0");
    ASSERT_EQ(at("setup"), "");
    ASSERT_EQ(at("install"), "ok");
  }
  static std::string at(const std::string& key) {
    auto it = report_->find(key);
    return it == report_->end() ? "<missing " + key + ">" : it->second;
  }
  static std::string expectedRuleset(const std::string& tuple_rules) {
    return "table inet vtps {\n"
           "\tchain prerouting {\n"
           "\t\ttype filter hook prerouting priority mangle; policy accept;\n"
           "\t\tmeta l4proto tcp socket transparent 1 meta mark set 0x00000001 accept\n" +
           tuple_rules + "\t}\n}\n";
  }
  static Report* report_;
};

Report* TproxyRulesRootTest::report_ = nullptr;

TEST_F(TproxyRulesRootTest, InstallsTableRulesAndLocalRoute) {
  EXPECT_EQ(at("ruleset after install"),
            expectedRuleset("\t\tip daddr 10.99.0.0/24 tcp dport 443 fib daddr type != local "
                            "tproxy ip to 127.0.0.1:" +
                            at("l1") +
                            " meta mark set 0x00000001 accept\n"
                            "\t\tmeta nfproto ipv4 tcp dport 8443-8444 fib daddr type != local "
                            "tproxy ip to 127.0.0.1:" +
                            at("l2") + " meta mark set 0x00000002 accept\n"));
  EXPECT_EQ(at("list table"), at("ruleset after install"));
  EXPECT_EQ(at("netlink rules after install"),
            "fwmark 0x1/0xffffffff lookup 100 pref 100\n"
            "fwmark 0x2/0xffffffff lookup 100 pref 100\n");
  EXPECT_EQ(at("routes after install"), "local 0.0.0.0/0 dev 1 table 100\n");
  EXPECT_EQ(at("ip rule after install"),
            "0:\tfrom all lookup local\n"
            "100:\tfrom all fwmark 0x1 lookup 100\n"
            "100:\tfrom all fwmark 0x2 lookup 100\n"
            "32766:\tfrom all lookup main\n"
            "32767:\tfrom all lookup default\n");
}

TEST_F(TproxyRulesRootTest, ExceptionRoutingSendsMarkedLocalTrafficOutOfItsPort) {
  EXPECT_EQ(at("exc sysctls before"), "1\n0\n2\n1\n");
  EXPECT_EQ(at("exc install"), "ok");
  EXPECT_EQ(at("exc ip rule"), "99:\tfrom all fwmark 0x7671 iif lo lookup 30321\n");
  EXPECT_EQ(at("exc route"), "default dev vtps-a proto static scope link \n");
  EXPECT_EQ(at("exc link"), "NOARP\n");
  EXPECT_EQ(at("exc sysctls"), "0\n1\n1\n0\n");
  EXPECT_EQ(at("exc describe"),
            "exception ports: vtps-a (mark 0x7671, table 0x7671); net.ipv4.tcp_fwmark_accept=1, "
            "tcp_tw_reuse=1, rp_filter off");
  EXPECT_EQ(at("exc remove"), "ok");
  EXPECT_EQ(at("exc ip rule after remove"), "");
  EXPECT_EQ(at("exc route after remove"), "");
  // The namespace-wide ones are restored; the interface's own stays off.
  EXPECT_EQ(at("exc sysctls after remove"), "1\n0\n2\n0\n");
  EXPECT_EQ(at("exc missing interface"),
            "set up the dpdk exception ports: interface vtps-nope does not exist");
  EXPECT_EQ(at("exc sysctls after failed install"), "1\n0\n2\n0\n");
}

TEST_F(TproxyRulesRootTest, InstallTwiceConverges) {
  EXPECT_EQ(at("install again"), "ok");
  EXPECT_EQ(at("netlink rules after install again"), at("netlink rules after install"));
}

TEST_F(TproxyRulesRootTest, DivertsTuplesToTransparentListeners) {
  EXPECT_EQ(at("to 10.99.0.1:443"), "L1 local=10.99.0.1:443 peer=10.99.1.2 ping/pong");
  EXPECT_EQ(at("to 10.77.0.5:8444"), "L2 local=10.77.0.5:8444 peer=10.99.1.2 ping/pong");
  EXPECT_EQ(at("to 10.99.0.1:80"), "timeout");  // not a tuple: nothing answers
}

TEST_F(TproxyRulesRootTest, ReplaceSwapsTuplesAndMarks) {
  EXPECT_EQ(at("replace"), "ok");
  EXPECT_EQ(at("ruleset after replace"),
            expectedRuleset("\t\tip daddr 10.98.0.0/16 tcp dport 8000-8080 fib daddr type != "
                            "local tproxy ip to 127.0.0.1:" +
                            at("l1") + " meta mark set 0x00000001 accept\n"));
  EXPECT_EQ(at("netlink rules after replace"), "fwmark 0x1/0xffffffff lookup 100 pref 100\n");
  EXPECT_EQ(at("after replace to 10.98.3.4:8080"),
            "L1 local=10.98.3.4:8080 peer=10.99.1.2 ping/pong");
  EXPECT_EQ(at("after replace to 10.77.0.5:8444"), "timeout");
}

TEST_F(TproxyRulesRootTest, RemoveDeletesTableRulesAndRouteIdempotently) {
  EXPECT_EQ(at("remove"), "ok");
  EXPECT_EQ(at("ruleset after remove"), "");
  EXPECT_EQ(at("netlink rules after remove"), "");
  EXPECT_EQ(at("routes after remove"), "");
  EXPECT_EQ(at("ip rule after remove"),
            "0:\tfrom all lookup local\n"
            "32766:\tfrom all lookup main\n"
            "32767:\tfrom all lookup default\n");
  EXPECT_EQ(at("remove again"), "ok");
  EXPECT_EQ(at("list table after remove"),
            "list TPROXY table inet vtps: libnftables: Error: No such file or directory; "
            "list table inet vtps");
  EXPECT_EQ(at("after remove to 10.98.3.4:8080"), "timeout");
}

}  // namespace
}  // namespace vtps::proxy
