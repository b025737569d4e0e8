#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "appliance/mgmt/control_client.h"
#include "appliance/mgmt/control_server.h"

namespace vtps::mgmt {
namespace {

namespace fs = std::filesystem;

// Runs a ControlServer's dispatch loop on its own thread, as vtpsd's control loop would.
class ServingThread {
 public:
  explicit ServingThread(ControlServer& server)
      : thread_([this, &server] {
          while (!stop_.load()) {
            pollfd p{server.pollFd(), POLLIN, 0};
            if (::poll(&p, 1, 20) > 0) server.dispatch();
          }
        }) {}
  ~ServingThread() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A raw client, for input vtpsctl would never send.
std::string rawExchange(const std::string& path, const std::string& bytes) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return "connect failed";
  }
  (void)!::write(fd, bytes.data(), bytes.size());
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof(buf))) > 0;)
    out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

class ControlSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("vtps-ctl-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    path_ = (dir_ / "run" / "vtpsd.sock").string();  // parent created by the server
  }
  void TearDown() override { fs::remove_all(dir_); }

  static Json echo(const Json& request) { return Json{{"echo", request}}; }

  fs::path dir_;
  std::string path_;
};

TEST_F(ControlSocketTest, AnswersEachRequestWithOneResponseOnTheSameConnection) {
  auto server = ControlServer::create(path_, echo);
  ASSERT_TRUE(server.ok()) << server.message();
  ServingThread serving(**server);
  auto client = ControlClient::connect(path_);
  ASSERT_TRUE(client.ok()) << client.message();
  for (int i = 0; i < 3; ++i) {
    auto r = client->call(Json{{"method", "status"}, {"n", i}});
    ASSERT_TRUE(r.ok()) << r.message();
    EXPECT_EQ((*r)["echo"]["n"], i);
    EXPECT_EQ((*r)["echo"]["method"], "status");
  }
}

TEST_F(ControlSocketTest, CarriesLargeRequestsAndResponses) {
  auto server = ControlServer::create(path_, echo);
  ASSERT_TRUE(server.ok()) << server.message();
  ServingThread serving(**server);
  auto client = ControlClient::connect(path_);
  ASSERT_TRUE(client.ok()) << client.message();
  std::string yaml(3 * 1024 * 1024, 'y');
  auto r = client->call(Json{{"method", "apply"}, {"yaml", yaml}});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ((*r)["echo"]["yaml"].get<std::string>().size(), yaml.size());
}

TEST_F(ControlSocketTest, RefusesMalformedRequestsWithJsonErrors) {
  auto server = ControlServer::create(path_, [](const Json& request) -> Json {
    return Json{{"value", request.at("param").get<int>()}};
  });
  ASSERT_TRUE(server.ok()) << server.message();
  ServingThread serving(**server);
  EXPECT_EQ(rawExchange(path_, "not json\n"), "{\"error\":\"request is not valid JSON\"}\n");
  EXPECT_EQ(rawExchange(path_, "[1]\n"), "{\"error\":\"request is not a JSON object\"}\n");
  EXPECT_EQ(rawExchange(path_, "{\"method\":7}\n"),
            "{\"error\":\"request has no \\\"method\\\" string\"}\n");
  std::string bad = rawExchange(path_, "{\"method\":\"x\"}\n");
  EXPECT_EQ(bad.rfind("{\"error\":\"bad request: ", 0), 0u) << bad;
  EXPECT_EQ(rawExchange(path_, "{\"method\":\"x\",\"param\":4}\n"), "{\"value\":4}\n");
}

TEST_F(ControlSocketTest, RefusesARequestLongerThanTheLimitAndCloses) {
  ControlServerLimits limits;
  limits.max_request_bytes = 100;
  auto server = ControlServer::create(path_, echo, limits);
  ASSERT_TRUE(server.ok()) << server.message();
  ServingThread serving(**server);
  EXPECT_EQ(rawExchange(path_, std::string(300, 'x')),
            "{\"error\":\"request longer than 100 bytes\"}\n");
}

TEST_F(ControlSocketTest, SocketIsOwnerOnlyAndRemovedOnDestruction) {
  {
    auto server = ControlServer::create(path_, echo);
    ASSERT_TRUE(server.ok()) << server.message();
    struct stat st {};
    ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  EXPECT_FALSE(fs::exists(path_));
}

TEST_F(ControlSocketTest, RefusesWhenAnotherServerListens) {
  auto first = ControlServer::create(path_, echo);
  ASSERT_TRUE(first.ok()) << first.message();
  auto second = ControlServer::create(path_, echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.message(), "control socket " + path_ +
                                  ": another process is listening on it (is vtpsd already "
                                  "running?)");
  EXPECT_TRUE(fs::exists(path_));  // the refusal left the first server's socket alone
}

TEST_F(ControlSocketTest, ReplacesAStaleSocketLeftByADeadDaemon) {
  fs::create_directories(fs::path(path_).parent_path());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);  // bound, never listening: what a crash leaves
  auto server = ControlServer::create(path_, echo);
  ASSERT_TRUE(server.ok()) << server.message();
  ServingThread serving(**server);
  auto client = ControlClient::connect(path_);
  ASSERT_TRUE(client.ok()) << client.message();
  EXPECT_TRUE(client->call(Json{{"method", "status"}}).ok());
}

TEST_F(ControlSocketTest, RefusesAPathThatIsNotASocket) {
  fs::create_directories(fs::path(path_).parent_path());
  { std::ofstream(path_) << "config"; }
  auto server = ControlServer::create(path_, echo);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.message(), "control socket " + path_ + ": exists and is not a socket");
  EXPECT_TRUE(fs::is_regular_file(path_));
}

TEST_F(ControlSocketTest, RefusesAPathLongerThanSunPath) {
  std::string long_path = "/tmp/" + std::string(120, 'a');
  auto server = ControlServer::create(long_path, echo);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.message(), "control socket " + long_path + ": path longer than 107 bytes");
}

TEST_F(ControlSocketTest, ClientSaysWhenNoDaemonIsThere) {
  auto client = ControlClient::connect(path_);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.message(), "connect to vtpsd control socket " + path_ +
                                  ": No such file or directory (is vtpsd running?)");
}

TEST_F(ControlSocketTest, ClientTimesOutWhenTheDaemonDoesNotAnswer) {
  fs::create_directories(fs::path(path_).parent_path());
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 1), 0);  // accepts into the backlog, never answers
  auto client = ControlClient::connect(path_);
  ASSERT_TRUE(client.ok()) << client.message();
  auto r = client->call(Json{{"method", "status"}}, 200);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "vtpsd control socket " + path_ + ": no answer within 200 ms");
  ::close(fd);
}

}  // namespace
}  // namespace vtps::mgmt
