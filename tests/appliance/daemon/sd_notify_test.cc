#include "appliance/daemon/sd_notify.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace vtps::daemon {
namespace {

// A datagram socket standing in for systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@')
      addr.sun_path[0] = '\0';
    else
      ::unlink(name.c_str());
    auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
    if (name[0] == '/') path_ = name;
  }
  ~NotifySocket() {
    ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  std::string receive() {
    char buf[512];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    return n < 0 ? std::string("(nothing)") : std::string(buf, static_cast<size_t>(n));
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
  std::string path_;
};

class SdNotifyTest : public ::testing::Test {
 protected:
  void TearDown() override { ::unsetenv("NOTIFY_SOCKET"); }
};

TEST_F(SdNotifyTest, SendsTheStateToAPathSocket) {
  std::string path = "/tmp/vtps-notify-" + std::to_string(::getpid());
  NotifySocket systemd(path);
  ASSERT_TRUE(systemd.bound());
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ASSERT_TRUE(notifySystemd("READY=1\nSTATUS=inspecting").ok());
  EXPECT_EQ(systemd.receive(), "READY=1\nSTATUS=inspecting");
}

TEST_F(SdNotifyTest, SendsTheStateToAnAbstractSocket) {
  std::string name = "@vtps-notify-" + std::to_string(::getpid());
  NotifySocket systemd(name);
  ASSERT_TRUE(systemd.bound());
  ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  ASSERT_TRUE(notifySystemd("STOPPING=1").ok());
  EXPECT_EQ(systemd.receive(), "STOPPING=1");
}

TEST_F(SdNotifyTest, DoesNothingWithoutNotifySocket) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(notifySystemd("READY=1").ok());
}

TEST_F(SdNotifyTest, RefusesARelativeSocketName) {
  ::setenv("NOTIFY_SOCKET", "run/notify", 1);
  auto st = notifySystemd("READY=1");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "sd_notify: NOTIFY_SOCKET 'run/notify' is not a usable socket path");
}

TEST_F(SdNotifyTest, ReportsASocketNobodyListensOn) {
  std::string path = "/tmp/vtps-notify-absent-" + std::to_string(::getpid());
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  auto st = notifySystemd("READY=1");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "sd_notify: send to " + path + ": No such file or directory");
}

}  // namespace
}  // namespace vtps::daemon
