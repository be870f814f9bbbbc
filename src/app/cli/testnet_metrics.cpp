#include "app/cli/testnet_metrics.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "agora/repo.h"

namespace agora::testnet {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path prom_dir(const fs::path& dir) { return dir / "prometheus"; }

// $AGORA_PROMETHEUS, else `prometheus` on PATH.
Result<fs::path> find_prometheus() {
  if (const char* env = std::getenv("AGORA_PROMETHEUS"); env != nullptr && *env != '\0') {
    if (::access(env, X_OK) == 0) return fs::path(env);
    return make_error(Errc::not_found,
                      std::string("AGORA_PROMETHEUS=") + env + " is not executable");
  }
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string d;
  while (std::getline(dirs, d, ':')) {
    fs::path candidate = fs::path(d.empty() ? "." : d) / "prometheus";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return make_error(Errc::not_found,
                    "no prometheus binary on PATH (apt install prometheus, or set "
                    "AGORA_PROMETHEUS to one)");
}

// The pid in prometheus.pid if that process still runs Prometheus with this testnet's config.
pid_t running_pid(const fs::path& dir) {
  std::ifstream in(prom_dir(dir) / "prometheus.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string args((std::istreambuf_iterator<char>(cmdline)), {});
  std::string config = (prom_dir(dir) / "prometheus.yml").string();
  return args.find(config) != std::string::npos ? pid_t(pid) : 0;
}

bool answers(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

Result<std::string> prometheus_config(const State& state) {
  std::string out =
      "# Written by `agora testnet up --metrics`: one job per daemon, its api.token as the bearer\n"
      "# credential (the API needs it for /metrics too).\n"
      "global:\n  scrape_interval: 5s\n  scrape_timeout: 4s\nscrape_configs:\n";
  for (const PeerState& p : state.peers) {
    AGORA_ASSIGN(std::string url, read_api_url(p.repo));
    std::string target = url.rfind("http://", 0) == 0 ? url.substr(7) : url;
    out += "  - job_name: " + p.name + "\n    authorization:\n      type: Bearer\n" +
           "      credentials_file: " + (fs::absolute(p.repo) / "api.token").string() +
           "\n    static_configs:\n      - targets: [\"" + target + "\"]\n        labels:\n" +
           "          peer: \"" + p.peer + "\"\n";
  }
  return out;
}

Result<std::string> start_prometheus(const fs::path& dir, const State& state, uint16_t port) {
  if (running_pid(dir) != 0)
    return make_error(Errc::exists, "Prometheus already runs for the testnet in " + dir.string());
  AGORA_ASSIGN(fs::path binary, find_prometheus());
  AGORA_ASSIGN(std::string config, prometheus_config(state));
  fs::path pd = prom_dir(dir);
  std::error_code ec;
  fs::create_directories(pd / "data", ec);
  if (ec) return make_error(Errc::io, "cannot create " + pd.string() + ": " + ec.message());
  fs::path config_path = pd / "prometheus.yml";
  {
    std::ofstream out(config_path, std::ios::trunc);
    out << config;
    if (!out) return make_error(Errc::io, "cannot write " + config_path.string());
  }
  if (answers(port))
    return make_error(Errc::exists, "something already listens on 127.0.0.1:" +
                                        std::to_string(port) + " (--metrics-port)");
  fs::path log = pd / "prometheus.log";
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) return make_error(Errc::io, "cannot create " + log.string());
  std::string bin = binary.string(), config_arg = "--config.file=" + config_path.string(),
              data_arg = "--storage.tsdb.path=" + (pd / "data").string(),
              listen_arg = "--web.listen-address=127.0.0.1:" + std::to_string(port);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    return make_error(Errc::io, "fork failed");
  }
  if (pid == 0) {
    ::setsid();
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    const char* argv[] = {bin.c_str(),
                          config_arg.c_str(),
                          data_arg.c_str(),
                          listen_arg.c_str(),
                          "--storage.tsdb.retention.time=1d",
                          nullptr};
    ::execv(bin.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(log_fd);
  std::ofstream(pd / "prometheus.pid") << pid << "\n";
  for (int i = 0; i < 200; ++i) {  // 20 s
    if (answers(port)) return "http://127.0.0.1:" + std::to_string(port);
    if (::waitpid(pid, nullptr, WNOHANG) == pid)
      return make_error(Errc::io, "Prometheus exited at start; see " + log.string());
    std::this_thread::sleep_for(100ms);
  }
  ::kill(pid, SIGKILL);
  return make_error(Errc::timeout, "Prometheus did not listen within 20 s; see " + log.string());
}

bool stop_prometheus(const fs::path& dir) {
  pid_t pid = running_pid(dir);
  if (pid == 0) return false;
  ::kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (running_pid(dir) == pid && std::chrono::steady_clock::now() < deadline) {
    ::waitpid(pid, nullptr, WNOHANG);
    std::this_thread::sleep_for(50ms);
  }
  if (running_pid(dir) == pid) ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, WNOHANG);
  std::error_code ec;
  fs::remove(prom_dir(dir) / "prometheus.pid", ec);
  return true;
}

}  // namespace agora::testnet
