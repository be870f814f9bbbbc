#include "app/cli/content_commands.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>

#include "agora/hash.h"
#include "agora/names.h"
#include "app/cli/api_client.h"
#include "app/cli/cli_util.h"
#include "app/cli/progress_bar.h"

namespace agora {

namespace {

using nlohmann::json;

// Bytes of regular files under `path` (symlinks not followed), for the progress bar's total.
uint64_t input_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  auto st = std::filesystem::symlink_status(path, ec);
  if (ec) return 0;
  if (std::filesystem::is_regular_file(st)) return std::filesystem::file_size(path, ec);
  uint64_t total = 0;
  if (std::filesystem::is_directory(st)) {
    std::filesystem::recursive_directory_iterator it(path, ec), end;
    for (; !ec && it != end; it.increment(ec))
      if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  }
  return total;
}

Result<size_t> read_stdin(char* buf, size_t max) {
  size_t n = std::fread(buf, 1, max, stdin);
  if (n == 0 && std::ferror(stdin)) return make_error(Errc::io, "reading standard input failed");
  return n;
}

// Symlinks are stored as symlinks, never followed: `add -r link-to-dir` adds the link, not the
// directory, so say so where a person would expect the directory.
std::string symlink_note(const std::string& input) {
  std::error_code ec;
  if (input == "-" || !std::filesystem::is_symlink(input, ec)) return "";
  auto target = std::filesystem::read_symlink(input, ec);
  std::string to = ec ? "" : " to " + target.string();
  return " (a symbolic link" + to + ", stored as the link, not followed: add " +
         (ec ? "its target" : target.string()) + " to add what it points to)";
}

// How add prints: `added <cid> <name>` for each entry below a directory as it is imported, then
// for the root (kubo's lines); -q the CIDs alone, -Q the root's alone; --json one object per
// input, for its root. Lines go out at once while the progress bar is on the terminal.
class AddPrinter {
 public:
  AddPrinter(const CommonOptions& o, const ContentArgs& a) : o_(o), a_(a) {}
  // The progress bar of the input being added (cleared before a line is printed), or none.
  void set_bar(ProgressBar* bar) { bar_ = bar; }

  // `input` as given on the command line; `path` relative to it.
  void entry(const std::string& input, const std::string& path, const std::string& cid) {
    if (o_.json || a_.quieter) return;
    std::string name = input;
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    if (name.empty() || name.back() != '/') name += '/';  // "/" stays as it is
    line(a_.quiet ? cid : "added " + cid + " " + name + path);
  }

  void root(const json& r) {
    const std::string cid = r["cid"].get<std::string>();
    if (o_.json) {
      line(r.dump());
    } else if (a_.quiet || a_.quieter) {
      line(cid);
    } else {
      const std::string name = r["name"].get<std::string>();
      line("added " + cid + " " + name + symlink_note(name));
    }
  }

 private:
  void line(const std::string& text) {
    if (bar_) bar_->finish();  // clears a drawn line; the next update draws it again
    std::cout << text << "\n";
    if (bar_ && bar_->enabled()) std::cout.flush();
  }

  const CommonOptions& o_;
  const ContentArgs& a_;
  ProgressBar* bar_ = nullptr;
};

// Calls a streaming endpoint that answers ndjson: each progress line goes to `on_progress`; the
// last line (a result with "done", or an error) is returned. An error line becomes the Error.
Result<json> stream_lines(ApiClient& client, const std::string& method, const std::string& path,
                          const std::multimap<std::string, std::string>& q,
                          const std::function<void(const json&)>& on_progress) {
  std::optional<json> result;
  Status st = stream_ndjson(client, method, path, q, [&](const json& line) {
    if (line.contains("done") || line.contains("error")) {
      result = line;
    } else {
      on_progress(line);
    }
  });
  if (!st) return st.error();
  if (!result) return make_error(Errc::io, "the daemon ended the call without a result");
  if (result->contains("error")) return error_from_json(*result);
  return *result;
}

// One line per source under the bar, most bytes first: the peer (its id's tail), the bytes it
// sent, its rate lately and whether it chokes us now (the last two over /agora/xfer only).
std::vector<std::string> source_lines(const json& line) {
  std::map<std::string, uint64_t> bytes;
  json sources = line.value("sources", json::object());
  json rates = line.value("source_rates", json::object());
  json choked = line.value("source_choked", json::object());
  for (const auto& [peer, n] : sources.items()) bytes[peer] = n.get<uint64_t>();
  for (const auto& [peer, c] : choked.items()) bytes.try_emplace(peer, 0);
  std::vector<std::pair<std::string, uint64_t>> order(bytes.begin(), bytes.end());
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> out;
  for (const auto& [peer, n] : order) {
    if (out.size() + 1 == ProgressBar::kDetailLinesMax && order.size() > out.size() + 1) {
      out.push_back(fmt::format("  and {} more peers", order.size() - out.size()));
      break;
    }
    std::string tail = peer.size() > 12 ? "…" + peer.substr(peer.size() - 12) : peer;
    std::string row = fmt::format("  {:<13} {:>9}", tail, human_bytes(double(n)));
    if (rates.contains(peer))
      row += fmt::format(" {:>9}/s", human_bytes(rates[peer].get<double>()));
    if (choked.value(peer, false)) row += "  choked";
    out.push_back(std::move(row));
  }
  return out;
}

// A get's or pin add's progress line on the bar: the phase, bytes against the declared total.
void show_fetch_progress(ProgressBar& bar, const json& line) {
  std::string phase = line.value("phase", "fetching");
  uint64_t total = line.value("total_bytes", uint64_t(0));
  if (total > 0) bar.set_total(total);
  uint64_t blocks =
      line.value("blocks_fetched", uint64_t(0)) + line.value("blocks_local", uint64_t(0));
  bar.set_details(phase == "fetching" ? source_lines(line) : std::vector<std::string>{});
  if (phase == "writing") {
    bar.set_label("writing");
    bar.update(line.value("bytes_written", uint64_t(0)));
    return;
  }
  bar.set_label(phase);
  bar.update(line.value("bytes_fetched", uint64_t(0)) + line.value("bytes_local", uint64_t(0)),
             std::to_string(blocks) + (blocks == 1 ? " block" : " blocks"));
}

// --only-hash needs no daemon: the CIDs come from the importer alone.
int add_only_hash(const CommonOptions& o, const ContentArgs& a) {
  AddPrinter print(o, a);
  std::vector<std::string> inputs = a.paths.empty() ? std::vector<std::string>{"-"} : a.paths;
  for (const std::string& in : inputs) {
    Result<AddResult> root = make_error(Errc::internal, "");
    if (in == "-") {
      auto hasher = FileHasher::open(a.profile);
      if (!hasher) return fail(hasher.error());
      std::vector<char> buf(1 << 20);
      for (;;) {
        auto n = read_stdin(buf.data(), buf.size());
        if (!n) return fail(n.error());
        if (*n == 0) break;
        if (Status st = (*hasher)->write({reinterpret_cast<uint8_t*>(buf.data()), *n}); !st)
          return fail(st.error());
      }
      root = (*hasher)->finish();
    } else {
      root = hash_path(in, a.profile, a.recursive, a.preserve_mode,
                       [&](const AddEntry& e) { print.entry(in, e.path, e.cid); });
    }
    if (!root) return fail(root.error());
    print.root({{"name", in}, {"cid", root->cid}, {"size", root->size}});
  }
  return 0;
}

// Standard input as one file, sent as the request body.
int add_stdin(ApiClient& client, std::map<std::string, std::string> params, AddPrinter& print,
              bool show_progress) {
  params["name"] = "-";
  uint64_t sent = 0;
  ProgressBar bar("adding", std::nullopt, show_progress);
  auto r = client.post_stream("/api/v0/add-stream", params, [&](char* buf, size_t max) {
    auto n = read_stdin(buf, max);
    if (n) bar.update(sent += *n);
    return n;
  });
  bar.finish();
  if (!r) return fail(r.error());
  print.root(*r);
  return 0;
}

// A local file or tree, read by the daemon: progress lines, entry lines, then the root.
int add_local(ApiClient& client, const std::map<std::string, std::string>& params,
              const std::string& in, const ContentArgs& a, AddPrinter& print, bool show_progress) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(in, ec);
  std::multimap<std::string, std::string> q(params.begin(), params.end());
  q.insert({"path", abs.lexically_normal().string()});
  q.insert({"recursive", a.recursive ? "1" : "0"});
  ProgressBar bar("adding " + in, input_bytes(abs), show_progress);
  print.set_bar(&bar);
  std::optional<json> result;
  Status st = stream_ndjson(client, "POST", "/api/v0/add", q, [&](const json& line) {
    if (line.contains("entry")) {
      const json& e = line["entry"];
      print.entry(in, e.value("path", ""), e.value("cid", ""));
    } else if (line.contains("bytes") && !line.contains("cid")) {
      bar.update(line["bytes"].get<uint64_t>());
    } else {
      result = line;
    }
  });
  bar.finish();
  print.set_bar(nullptr);
  if (!st) return fail(st.error());
  if (!result) return fail(make_error(Errc::io, "the daemon ended the add without a result"));
  if (result->contains("error")) return fail(error_from_json(*result));
  (*result)["name"] = in;
  print.root(*result);
  return 0;
}

int cmd_add(const CommonOptions& o, const ContentArgs& a) {
  if (Status st = validate_profile(a.profile); !st) return fail(st.error());
  if (a.only_hash) return add_only_hash(o, a);
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  std::map<std::string, std::string> params{{"profile", a.profile},
                                            {"pin", a.pin_added ? "1" : "0"},
                                            {"preserve_mode", a.preserve_mode ? "1" : "0"},
                                            {"nocopy", a.nocopy ? "1" : "0"}};
  AddPrinter print(o, a);
  const bool show_progress = !a.quiet && !a.quieter && !o.json;
  std::vector<std::string> inputs = a.paths.empty() ? std::vector<std::string>{"-"} : a.paths;
  for (const std::string& in : inputs) {
    if (in == "-" && a.nocopy)
      return fail(make_error(Errc::invalid_input,
                             "--nocopy needs a file to reference, and standard input is none: "
                             "give a path"));
    int rc = in == "-" ? add_stdin(*client, params, print, show_progress)
                       : add_local(*client, params, in, a, print, show_progress);
    if (rc != 0) return rc;
  }
  return 0;
}

// An entry's size for people: "-" where the listing has none (a symlink, say).
std::string ls_size(const json& size) {
  return size.is_number() ? human_bytes(size.get<double>()) : "-";
}

std::multimap<std::string, std::string> arg_and_peers(const ContentArgs& a) {
  std::multimap<std::string, std::string> q{{"arg", a.arg}};
  for (const auto& p : a.peers) q.insert({"peer", p});
  return q;
}

int cmd_cat(const CommonOptions& o, const ContentArgs& a) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  // Progress on the terminal only when the bytes go elsewhere (cat big > file).
  ProgressBar bar("reading", std::nullopt, !o.json && !isatty(STDOUT_FILENO));
  uint64_t got = 0;
  Status st = client->stream("GET", "/api/v0/cat", arg_and_peers(a), [&](const char* d, size_t n) {
    got += n;
    bar.update(got);
    return std::fwrite(d, 1, n, stdout) == n;
  });
  bar.finish();
  std::fflush(stdout);
  if (!st) return fail(st.error());
  return 0;
}

int cmd_get(const CommonOptions& o, const ContentArgs& a) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  std::string out = a.output;
  if (out.empty()) {
    out = a.arg.substr(a.arg.rfind('/') + 1);
  }
  std::error_code ec;
  auto dest = std::filesystem::absolute(out, ec).lexically_normal();
  auto q = arg_and_peers(a);
  q.insert({"dest", dest.string()});
  if (a.max_size > 0) q.insert({"max_size", std::to_string(a.max_size)});
  ProgressBar bar("resolving", std::nullopt, !o.json);
  auto result = stream_lines(*client, "POST", "/api/v0/get", q,
                             [&bar](const json& line) { show_fetch_progress(bar, line); });
  bar.finish();
  if (!result) return fail(result.error());
  if (o.json) {
    std::cout << result->dump() << "\n";
  } else {
    double secs = (*result)["seconds"].get<double>();
    double bytes = double((*result)["bytes"].get<uint64_t>());
    std::cout << "saved " << (*result)["cid"].get<std::string>() << " to " << dest.string() << ": "
              << human_bytes(bytes) << " in " << fmt::format("{:.2f}", secs) << " s ("
              << count_of((*result)["blocks_fetched"], "block") << " fetched, "
              << (*result)["blocks_local"] << " already stored)\n";
    // Who it came from: bytes and the share of the download, largest first.
    std::vector<std::pair<uint64_t, std::string>> sources;
    const json by_peer = result->value("sources", json::object());  // iterated below: a named copy
    for (const auto& [peer, n] : by_peer.items())
      if (n.is_number_unsigned()) sources.emplace_back(n.get<uint64_t>(), peer);
    std::sort(sources.rbegin(), sources.rend());
    for (const auto& [n, peer] : sources)
      std::cout << "  from " << peer << ": " << human_bytes(double(n)) << " ("
                << fmt::format("{:.2f}", secs > 0 ? double(n) / secs / 1e6 : 0.0) << " MB/s)\n";
  }
  return 0;
}

// A GET whose parameters repeat (--peer), answered with one JSON document.
Result<json> get_json(ApiClient& client, const std::string& path,
                      const std::multimap<std::string, std::string>& q) {
  std::string body;
  AGORA_TRY(client.stream("GET", path, q, [&body](const char* d, size_t n) {
    body.append(d, n);
    return true;
  }));
  auto answer = json::parse(body, nullptr, false);
  if (answer.is_discarded()) return make_error(Errc::io, "the daemon's answer is not JSON");
  return answer;
}

int cmd_ls(const CommonOptions& o, const ContentArgs& a) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  // The entries' blocks being fetched, on the terminal: the listing streams progress lines.
  ProgressBar bar("listing", std::nullopt, !o.json);
  bar.count("entries");
  Result<json> listing = make_error(Errc::internal, "");
  if (bar.enabled()) {
    auto q = arg_and_peers(a);
    q.insert({"progress", "1"});
    listing = stream_lines(*client, "GET", "/api/v0/ls", q, [&bar](const json& line) {
      bar.set_total(line.value("entries_total", uint64_t(0)));
      bar.update(line.value("entries_ready", uint64_t(0)),
                 human_bytes(double(line.value("bytes_fetched", uint64_t(0)))) + " fetched");
    });
    bar.finish();
  } else {
    listing = get_json(*client, "/api/v0/ls", arg_and_peers(a));
  }
  // Sizes for people (1.2 MB); --json keeps the bytes.
  return print_answer(o, listing, [](const json& r) {
    for (const auto& e : r["entries"])
      std::cout << e["cid"].get<std::string>() << " " << fmt::format("{:>9}", ls_size(e["size"]))
                << " " << e["type"].get<std::string>() << " " << e["name"].get<std::string>()
                << "\n";
  });
}

int cmd_pin(const CommonOptions& o, const ContentArgs& a) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  if (a.pin->got_subcommand("ls")) {
    return print_answer(o, client->get("/api/v0/pin/ls"), [](const json& r) {
      if (r["pins"].empty()) std::cout << "nothing is pinned\n";
      for (const auto& p : r["pins"])
        std::cout << p["cid"].get<std::string>() << " " << p["type"].get<std::string>()
                  << (p["name"].get<std::string>().empty() ? ""
                                                           : " " + p["name"].get<std::string>())
                  << "\n";
    });
  }
  std::map<std::string, std::string> q{{"arg", a.arg}, {"recursive", a.direct ? "0" : "1"}};
  if (!a.name.empty()) q["name"] = a.name;
  bool add = a.pin->got_subcommand("add");
  if (add) {  // fetches what is missing first: progress as get's
    ProgressBar bar("resolving", std::nullopt, !o.json);
    auto pinned = stream_lines(*client, "POST", "/api/v0/pin/add", {q.begin(), q.end()},
                               [&bar](const json& line) { show_fetch_progress(bar, line); });
    bar.finish();
    return print_answer(o, pinned, [](const json& r) {
      std::cout << "pinned " << r["cid"].get<std::string>() << "\n";
    });
  }
  return print_answer(o, client->post("/api/v0/pin/rm", q), [](const json& r) {
    std::cout << "unpinned " << r["cid"].get<std::string>() << "\n";
  });
}

int cmd_ops(const CommonOptions& o, const ContentArgs& a) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  if (a.ops->got_subcommand("cancel")) {
    return print_answer(o, client->post("/api/v0/ops/cancel", {{"arg", a.arg}}),
                        [](const json& r) { std::cout << "cancelling " << r["id"] << "\n"; });
  }
  return print_answer(o, client->get("/api/v0/ops"), [](const json& r) {
    if (r["operations"].empty()) std::cout << "no operations running\n";
    for (const auto& op : r["operations"])
      std::cout << op["id"] << "  " << op["kind"].get<std::string>() << "  "
                << op["target"].get<std::string>() << "  "
                << fmt::format("{:.1f} s", op["seconds"].get<double>()) << "  "
                << human_bytes(op["bytes"].get<double>())
                << (op["cancelling"].get<bool>() ? "  (cancelling)" : "") << "\n";
  });
}

int cmd_block(const CommonOptions& o, const ContentArgs& a) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  if (a.block->got_subcommand("put")) {
    std::string data;
    std::vector<char> buf(1 << 16);
    for (;;) {
      auto n = read_stdin(buf.data(), buf.size());
      if (!n) return fail(n.error());
      if (*n == 0) break;
      data.append(buf.data(), *n);
      if (data.size() > (4u << 20)) return fail(make_error(Errc::too_large, "block over 4 MiB"));
    }
    return print_answer(o, client->post_body("/api/v0/block/put", {{"codec", a.codec}}, data),
                        [](const json& r) { std::cout << r["cid"].get<std::string>() << "\n"; });
  }
  std::multimap<std::string, std::string> q{{"arg", a.arg}};
  if (a.block->got_subcommand("get")) {
    Status st = client->stream("GET", "/api/v0/block/get", q, [](const char* d, size_t n) {
      return std::fwrite(d, 1, n, stdout) == n;
    });
    std::fflush(stdout);
    return st ? 0 : fail(st.error());
  }
  return print_answer(o, client->get("/api/v0/block/stat", {{"arg", a.arg}}), [](const json& r) {
    std::cout << r["cid"].get<std::string>() << " " << r["size"] << " bytes "
              << r["codec"].get<std::string>() << "\n";
  });
}

int cmd_repo(const CommonOptions& o, const ContentArgs& a) {
  auto client = ApiClient::connect(o.repo);
  if (!client) return fail(client.error());
  if (a.repo->got_subcommand("gc")) {
    return print_answer(o, client->post("/api/v0/repo/gc"), [](const json& r) {
      std::cout << "removed " << count_of(r["removed_blocks"], "block") << " ("
                << human_bytes(r["removed_bytes"].get<double>()) << "), kept " << r["kept_blocks"]
                << "\n";
    });
  }
  if (a.repo->got_subcommand("verify")) {
    auto r = client->post("/api/v0/repo/verify");
    int rc = print_answer(o, r, [](const json& r) {
      for (const auto& q : r["quarantined"])
        std::cout << "corrupt: " << q["file"].get<std::string>() << " ("
                  << q["reason"].get<std::string>() << "), moved to "
                  << q["moved_to"].get<std::string>() << "\n";
      for (const auto& b : r["broken_refs"])
        std::cout << "broken reference: " << b["reason"].get<std::string>() << "; "
                  << (b["removed"].get<bool>()
                          ? std::string("reference removed")
                          : "reference kept: " + b["remove_error"].get<std::string>())
                  << "\n";
      for (const auto& m : r["pinned_blocks_missing"])
        std::cout << "missing pinned block: " << m.get<std::string>() << "\n";
      std::cout << (r["clean"].get<bool>() ? "repo verified: clean" : "repo verify found problems")
                << "\n";
    });
    if (rc == 0 && !(*r)["clean"].get<bool>()) return kExitProblemsFound;
    return rc;
  }
  return print_answer(o, client->get("/api/v0/repo/stat"), [](const json& r) {
    std::cout << "blocks: " << r["blocks"] << " (" << human_bytes(r["block_bytes"].get<double>())
              << ")\nreferenced blocks: " << r["referenced_blocks"] << " ("
              << human_bytes(r["referenced_bytes"].get<double>())
              << " in files added with --nocopy)"
              << "\npins: " << r["pins"]["recursive"] << " recursive, " << r["pins"]["direct"]
              << " direct\nfree: " << human_bytes(r["fs_free_bytes"].get<double>())
              << "\nblocks dir: " << r["blocks_dir"].get<std::string>() << "\n";
  });
}

}  // namespace

void register_content_commands(CLI::App& app, ContentArgs& a) {
  a.add = app.add_subcommand(
      "add",
      "Import files or directories (UnixFS), pin and serve them; prints 'added <cid> <name>' for "
      "each file and directory, the root last");
  a.add->add_option("path", a.paths, "Files or directories; none or '-' reads standard input");
  a.add->add_flag("-r,--recursive", a.recursive, "Add directories and everything under them");
  a.add->add_option("--profile", a.profile,
                    "DAG layout: unixfs-v1-2025 (default) or unixfs-v0-2015");
  a.add->add_flag("-n,--only-hash", a.only_hash,
                  "Only compute the CIDs; store nothing (no daemon needed)");
  a.add->add_flag("--nocopy", a.nocopy,
                  "Do not copy the files into the repo: their leaves are referenced where they "
                  "are (path, offset, length) and re-hashed whenever read; a changed or moved "
                  "file is detected, not served, and reported by repo verify. Needs raw leaves "
                  "(the default profile) and a path, not standard input");
  a.add->add_option("--pin", a.pin_added, "Pin what is added (default true)");
  a.add->add_flag("-q,--quiet", a.quiet,
                  "Print only the CIDs, one a line: each entry's, then the root's (last)");
  a.add->add_flag("-Q,--quieter", a.quieter, "Print only the root's CID");
  a.add->add_flag("--preserve-mode", a.preserve_mode,
                  "Keep the permission bits (executable bits too) in UnixFS mode; this changes "
                  "the CIDs (off by default, as in kubo)");

  a.cat = app.add_subcommand(
      "cat", "Write a file's bytes to standard output, in order, as its blocks arrive");
  a.cat->add_option("cid", a.arg, "<cid>[/path]")->required();
  a.cat->add_option("--peer", a.peers, "Dial this peer first (repeatable)");

  a.get = app.add_subcommand(
      "get",
      "Fetch a file or directory and save it (the daemon writes it, as the user it runs as; "
      "the destination must not exist)");
  a.get->add_option("cid", a.arg, "<cid>[/path]")->required();
  a.get->add_option("-o,--output", a.output,
                    "Where to save it (default: the CID or last path name)");
  a.get->add_option("--peer", a.peers, "Dial this peer first (repeatable)");
  a.get
      ->add_option("--max-size", a.max_size,
                   "Refuse to write more than this (e.g. 500M, 2G; K = 1024; 0: no limit): "
                   "checked against the DAG's declared size before writing and counted while "
                   "writing; a whole-DAG get also stops fetching past it")
      ->transform(CLI::AsSizeValue(false));

  a.ls = app.add_subcommand(
      "ls", "List a directory (fetching its blocks and each entry's first block, no more)");
  a.ls->add_option("cid", a.arg, "<cid>[/path]")->required();
  a.ls->add_option("--peer", a.peers, "Dial this peer first (repeatable)");

  a.pin = app.add_subcommand("pin", "Keep content: pinned DAGs survive repo gc and are served");
  a.pin->require_subcommand(1);
  auto* pin_add = a.pin->add_subcommand("add", "Pin a DAG (fetching what is missing)");
  pin_add->add_option("cid", a.arg, "<cid>[/path]")->required();
  pin_add->add_flag("--direct", a.direct, "Pin only this block, not its DAG");
  pin_add->add_option("--name", a.name, "A label for the pin");
  auto* pin_rm = a.pin->add_subcommand("rm", "Remove a pin");
  pin_rm->add_option("cid", a.arg, "CID")->required();
  pin_rm->add_flag("--direct", a.direct, "Remove a direct pin");
  pin_rm->add_option("--name", a.name, "Only the pin with this label");
  a.pin->add_subcommand("ls", "List pins");

  a.block = app.add_subcommand("block", "Raw blocks");
  a.block->require_subcommand(1);
  a.block->add_subcommand("get", "Write a block's bytes to standard output")
      ->add_option("cid", a.arg, "CID")
      ->required();
  a.block->add_subcommand("put", "Store standard input as one block; prints its CID")
      ->add_option("--codec", a.codec, "raw (default) or dag-pb");
  a.block->add_subcommand("stat", "Show a block's size and codec")
      ->add_option("cid", a.arg, "CID")
      ->required();

  a.ops = app.add_subcommand("ops", "Long operations running in the daemon (get, cat, ls, ...)");
  a.ops->require_subcommand(1);
  a.ops->add_subcommand("ls", "List them: id, kind, target, time, bytes");
  a.ops->add_subcommand("cancel", "Cancel one (fetched blocks stay stored; nothing is pinned)")
      ->add_option("id", a.arg, "Its id, from agora ops ls")
      ->required();

  a.repo = app.add_subcommand("repo", "The blockstore: garbage collection, verification, stats");
  a.repo->require_subcommand(1);
  a.repo->add_subcommand("gc", "Remove blocks no pin needs");
  a.repo->add_subcommand("verify", "Re-hash every block; quarantine corrupt ones (exit 2 if any)");
  a.repo->add_subcommand("stat", "Blocks, bytes, pins and free space");
}

std::optional<int> run_content_command(const CommonOptions& o, ContentArgs& a) {
  if (*a.add) return cmd_add(o, a);
  if (*a.cat) return cmd_cat(o, a);
  if (*a.get) return cmd_get(o, a);
  if (*a.ls) return cmd_ls(o, a);
  if (*a.pin) return cmd_pin(o, a);
  if (*a.block) return cmd_block(o, a);
  if (*a.repo) return cmd_repo(o, a);
  if (*a.ops) return cmd_ops(o, a);
  return std::nullopt;
}

}  // namespace agora
