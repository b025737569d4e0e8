#include "appliance/hypervisor/instance_storage.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

extern char** environ;

namespace vtps::hypervisor {
namespace {

namespace fs = std::filesystem;

std::string commandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv)
    out += (out.empty() ? "" : " ") + a;
  return out;
}

std::string tail(std::string text, size_t max) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text.size() > max ? "…" + text.substr(text.size() - max) : text;
}

Status writeText(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Error{"write " + path.string() + ": " + std::strerror(errno)};
  return Status::success();
}

}  // namespace

Status runTool(const std::vector<std::string>& argv) {
  std::string cmd = commandLine(argv);
  // stderr goes to an anonymous temp file: no pipe that a chatty tool could fill and block on.
  FILE* err = std::tmpfile();
  if (err == nullptr) return Error{cmd + ": temporary file: " + std::strerror(errno)};
  std::unique_ptr<FILE, int (*)(FILE*)> err_owner(err, &std::fclose);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fileno(err), STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return Error{cmd + ": " + std::strerror(rc)};
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error{cmd + ": wait: " + std::strerror(errno)};
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::success();
  std::string text;
  std::rewind(err);
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, err)) > 0)
    text.append(buf, n);
  std::string how = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                      : "signal " + std::to_string(WTERMSIG(status));
  return Error{cmd + ": " + how + (text.empty() ? "" : ": " + tail(text, 400))};
}

Status ensureOverlayDisk(const std::string& base_image, const std::string& disk) {
  std::error_code ec;
  if (fs::exists(disk, ec)) return Status::success();
  fs::path base = fs::absolute(base_image, ec);
  if (ec || !fs::is_regular_file(base, ec)) {
    return Error{"instance disk " + disk + ": base image " + base_image + " does not exist"};
  }
  return runTool(
      {"qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", base.string(), disk});
}

Status writeSeedIso(const SeedFiles& seed, const std::string& iso) {
  std::error_code ec;
  fs::path target(iso);
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  fs::path staging = dir / ("." + target.filename().string() + ".d");
  fs::remove_all(staging, ec);
  if (!fs::create_directories(staging, ec)) {
    return Error{"seed " + iso + ": create " + staging.string() + ": " + ec.message()};
  }
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{staging};
  VTPS_RETURN_IF_ERROR(writeText(staging / "meta-data", seed.meta_data));
  VTPS_RETURN_IF_ERROR(writeText(staging / "user-data", seed.user_data));
  fs::path partial = dir / ("." + target.filename().string() + ".partial");
  VTPS_RETURN_IF_ERROR(runTool({"xorriso", "-as", "mkisofs", "-quiet", "-output", partial.string(),
                                "-volid", "cidata", "-joliet", "-rock", staging.string()}));
  fs::rename(partial, target, ec);
  if (ec) return Error{"seed " + iso + ": rename: " + ec.message()};
  return Status::success();
}

}  // namespace vtps::hypervisor
