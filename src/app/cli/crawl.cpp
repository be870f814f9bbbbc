#include "app/cli/crawl.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "app/cli/api_client.h"
#include "app/cli/cli_util.h"

namespace agora {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kLeftOutCountedMax = 100'000;  // ids past --max-nodes kept to count them
constexpr size_t kEdgesPerNodeMax = 64;         // edges kept: at most nodes_max times this

struct Node {
  enum class Reach { unknown, yes, no } reach = Reach::unknown;
};

class Crawl {
 public:
  Crawl(ApiClient& client, const CrawlOptions& options) : client_(client), options_(options) {}
  Status run();
  json result() const;

 private:
  void see(const std::string& peer) {
    if (nodes_.count(peer)) return;
    if (nodes_.size() >= options_.nodes_max) {
      if (left_out_.size() < kLeftOutCountedMax) left_out_.insert(peer);  // for the count only
      return;
    }
    nodes_[peer];
    queue_.push_back(peer);
  }
  void on_step(const json& step);

  ApiClient& client_;
  const CrawlOptions& options_;
  std::map<std::string, Node> nodes_;
  std::set<std::pair<std::string, std::string>> edges_;
  std::deque<std::string> queue_;
  std::set<std::string> left_out_;  // peers seen past nodes_max (at most what answers returned)
  size_t queries_ = 0, steps_ = 0, failed_steps_ = 0, edges_left_out_ = 0;
  double seconds_ = 0;
};

void Crawl::on_step(const json& step) {
  std::string peer = step.value("peer", std::string());
  if (peer.empty()) return;
  see(peer);
  auto it = nodes_.find(peer);
  ++steps_;
  if (step.value("failed", false)) {
    ++failed_steps_;
    if (it != nodes_.end() && it->second.reach != Node::Reach::yes)
      it->second.reach = Node::Reach::no;
    return;
  }
  if (it != nodes_.end()) it->second.reach = Node::Reach::yes;
  for (const json& c : step.value("closer", json::array())) {
    std::string to = c.get<std::string>();
    see(to);
    // A peer may return itself among the closest: not an edge.
    if (to == peer || !nodes_.count(to) || !nodes_.count(peer)) continue;
    if (edges_.size() < options_.nodes_max * kEdgesPerNodeMax)
      edges_.insert({peer, to});
    else if (!edges_.count({peer, to}))
      ++edges_left_out_;
  }
}

Status Crawl::run() {
  auto started = Clock::now();
  AGORA_ASSIGN(json table, client_.get("/api/v0/dht/table"));
  for (const json& p : table.value("peers", json::array())) see(p.value("peer", std::string()));
  const auto gap = std::chrono::duration<double>(1.0 / std::max(options_.queries_per_second, 0.01));
  auto next = Clock::now();
  while (!queue_.empty() && queries_ < options_.queries_max) {
    std::string target = queue_.front();
    queue_.pop_front();
    std::this_thread::sleep_until(next);
    next = Clock::now() + std::chrono::duration_cast<Clock::duration>(gap);
    ++queries_;
    Status st = stream_ndjson(client_, "POST", "/api/v0/dht/query", {{"arg", target}},
                              [&](const json& line) {
                                if (line.contains("step")) on_step(line["step"]);
                              });
    if (!st && st.error().code != Errc::not_found) return st;
  }
  seconds_ = std::chrono::duration<double>(Clock::now() - started).count();
  return {};
}

json Crawl::result() const {
  std::map<std::string, json> known;
  if (auto store = client_.get("/api/v0/swarm/known"); store)
    for (const json& p : store->value("peers", json::array()))
      known[p.value("peer", std::string())] = p;
  json nodes = json::array();
  size_t reachable = 0;
  for (const auto& [peer, n] : nodes_) {
    const char* reach = n.reach == Node::Reach::yes  ? "yes"
                        : n.reach == Node::Reach::no ? "no"
                                                     : "unknown";
    reachable += n.reach == Node::Reach::yes;
    json j = {{"peer", peer}, {"reachable", reach}};
    if (auto it = known.find(peer); it != known.end()) {
      j["agent"] = it->second.value("agent", std::string());
      j["protocols"] = it->second.value("protocols", json::array());
      json addrs = json::array();
      for (const json& a : it->second.value("addrs", json::array()))
        addrs.push_back(a.is_object() ? a.value("addr", std::string()) : a.get<std::string>());
      j["addrs"] = addrs;
    }
    nodes.push_back(j);
  }
  json edges = json::array();
  for (const auto& [from, to] : edges_) edges.push_back({{"from", from}, {"to", to}});
  return {{"nodes", nodes},
          {"edges", edges},
          {"stats",
           {{"nodes", nodes_.size()},
            {"reachable", reachable},
            {"edges", edges_.size()},
            {"queries", queries_},
            {"steps", steps_},
            {"failed_steps", failed_steps_},
            {"seconds", seconds_},
            {"left_out", left_out_.size()},
            {"edges_left_out", edges_left_out_},
            {"complete", queue_.empty() && left_out_.empty() && edges_left_out_ == 0}}}};
}

// A short label: the peer id's last 8 characters, and its agent.
std::string dot_text(const json& crawl) {
  std::string out =
      "digraph agora_dht {\n  graph [overlap=false, splines=true];\n"
      "  node [shape=box, style=rounded, fontsize=10];\n";
  for (const json& n : crawl["nodes"]) {
    std::string peer = n["peer"].get<std::string>();
    std::string label = "…" + peer.substr(peer.size() > 8 ? peer.size() - 8 : 0);
    if (n.contains("agent") && !n["agent"].get<std::string>().empty())
      label += "\\n" + n["agent"].get<std::string>();
    std::string reach = n["reachable"].get<std::string>();
    std::string color = reach == "yes" ? "black" : reach == "no" ? "red" : "gray";
    // Ids and agents come from the network: only characters that need no escaping in DOT.
    std::string safe;
    for (char c : label)
      if (std::isalnum(static_cast<unsigned char>(c)) ||
          std::string("./_-:…\\ ").find(c) != std::string::npos)
        safe += c;
    out += "  \"" + peer + "\" [label=\"" + safe + "\", color=" + color + "];\n";
  }
  for (const json& e : crawl["edges"])
    out +=
        "  \"" + e["from"].get<std::string>() + "\" -> \"" + e["to"].get<std::string>() + "\";\n";
  return out + "}\n";
}

// DOT through Graphviz's `dot -Tsvg`, without a shell.
Result<std::string> svg_of(const std::string& dot) {
  char in_path[] = "/tmp/agora-crawl-XXXXXX";
  int fd = ::mkstemp(in_path);
  if (fd < 0) return make_error(Errc::io, "cannot make a temporary file for dot");
  bool wrote = ::write(fd, dot.data(), dot.size()) == ssize_t(dot.size());
  ::close(fd);
  std::string out_path = std::string(in_path) + ".svg";
  pid_t pid = wrote ? ::fork() : -1;
  if (pid == 0) {
    ::execlp("dot", "dot", "-Tsvg", "-o", out_path.c_str(), in_path, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  if (pid > 0) ::waitpid(pid, &status, 0);
  ::unlink(in_path);
  std::ifstream svg(out_path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(svg)), {});
  ::unlink(out_path.c_str());
  if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || text.empty())
    return make_error(Errc::io, WIFEXITED(status) && WEXITSTATUS(status) == 127
                                    ? "Graphviz's dot is not installed (apt install graphviz)"
                                    : "Graphviz's dot failed to draw the graph");
  return text;
}

Status write_new_file(const fs::path& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return make_error(errno == EEXIST ? Errc::exists : Errc::io,
                      path.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok) {
    ::unlink(path.c_str());
    return make_error(Errc::io, path.string() + ": write failed");
  }
  return {};
}

}  // namespace

Result<json> crawl_report(const CommonOptions& o, const CrawlOptions& options) {
  AGORA_ASSIGN(ApiClient client, ApiClient::connect(o.repo));
  Crawl crawl(client, options);
  AGORA_TRY(crawl.run());
  return crawl.result();
}

int cmd_crawl(const CommonOptions& o, const CrawlOptions& options) {
  if (!options.output.empty() && fs::exists(options.output))
    return fail(make_error(Errc::exists, options.output + " already exists"));
  auto report = crawl_report(o, options);
  if (!report) return fail(report.error());
  json result = std::move(*report);
  std::string text;
  if (options.format == "json") {
    text = result.dump(o.json ? -1 : 2) + "\n";
  } else {
    text = dot_text(result);
    if (options.format == "svg") {
      auto svg = svg_of(text);
      if (!svg) return fail(svg.error());
      text = std::move(*svg);
    }
  }
  if (options.output.empty()) {
    std::cout << text;
  } else {
    if (Status st = write_new_file(options.output, text); !st) return fail(st.error());
  }
  const json& s = result["stats"];
  std::cerr << "crawled " << s["nodes"] << " nodes (" << s["reachable"] << " reachable), "
            << s["edges"] << " edges, " << s["queries"] << " lookups in "
            << fmt::format("{:.1f}", s["seconds"].get<double>()) << " s"
            << (s["complete"].get<bool>() ? "" : " (stopped at a bound: not every node asked)")
            << "\n";
  return kExitOk;
}

}  // namespace agora
