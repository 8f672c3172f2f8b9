// RouterProcess: catalog apply, then `domicile serve` on an ephemeral port, stopped by PID.
#include "support/router_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

namespace domicile::testing {

bool LoopbackAccepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

RouterProcess::RouterProcess(RouterOptions options)
    : options_(std::move(options)), dir_("domicile-router") {
  std::string topology = dir_.Sub("topology.toml");
  std::string data = dir_.Sub("data");
  std::ofstream(topology) << options_.topology;
  ProcessResult applied = RunProcess({options_.binary, "catalog", "apply", "--data", data,
                                      topology});
  if (applied.exit_code != 0) {
    throw std::runtime_error("domicile catalog apply failed: " + applied.Describe());
  }
  std::vector<std::string> argv = {options_.binary, "serve",   "--data",
                                   data,            "--listen", "127.0.0.1:0",
                                   "--workers",     std::to_string(options_.workers)};
  if (!options_.settings.empty()) {
    std::string settings = dir_.Sub("settings.toml");
    std::ofstream(settings) << options_.settings;
    argv.push_back("--config");
    argv.push_back(settings);
  }
  child_ = std::make_unique<ChildProcess>(argv);
  // The router prints its port once it listens; poll its output rather than guess a port.
  static const std::regex kServing(R"(serving .* on 127\.0\.0\.1:([0-9]+) )");
  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (port_ == 0) {
    std::smatch m;
    std::string out = child_->Stdout();
    if (std::regex_search(out, m, kServing)) {
      port_ = std::stoi(m[1].str());
      break;
    }
    if (!child_->Running()) {
      throw std::runtime_error("domicile serve exited during startup:\n" + Log());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::string log = Log();
      Stop();
      throw std::runtime_error("domicile serve did not report a port in time:\n" + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  while (!LoopbackAccepts(port_)) {
    if (!child_->Running() || std::chrono::steady_clock::now() > deadline) {
      std::string log = Log();
      Stop();
      throw std::runtime_error("domicile serve does not accept on port " +
                               std::to_string(port_) + ":\n" + log);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

RouterProcess::~RouterProcess() { Stop(); }

void RouterProcess::Stop() {
  if (!child_) return;
  if (child_->Running()) {
    child_->Signal(SIGTERM);
    child_->Wait(std::chrono::seconds(5));  // SIGKILLs when the graceful stop hangs
  }
  child_.reset();
}

std::string RouterProcess::Conninfo(const std::string& user) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + user + " dbname=app";
}

std::string RouterProcess::Log() const {
  if (!child_) return "";
  return "--- router stdout ---\n" + child_->Stdout() + "\n--- router stderr ---\n" +
         child_->Stderr();
}

}  // namespace domicile::testing
