// Two agora nodes in one process, used the way an embedding application would use the library:
// each gets a repo of its own, one adds a file, the other fetches it from the first (dialing the
// address it is given) and writes it to disk, printing progress as it goes; then the copy is
// compared with the original. Only the public API (include/agora/) is used.
//
//   two_nodes [WORK_DIR] [MIB]   (default: a new directory under /tmp, 8 MiB)
#include <agora/node.h>
#include <agora/repo.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

namespace fs = std::filesystem;

namespace {

int fail(const std::string& what, const agora::Error& e) {
  std::fprintf(stderr, "two_nodes: %s: %s (%s)\n", what.c_str(), e.message.c_str(),
               agora::errc_name(e.code));
  return 1;
}

// A repo that listens on loopback only, on a port the kernel picks, and stays off the LAN.
agora::Result<std::unique_ptr<agora::Node>> open_node(const fs::path& repo) {
  AGORA_TRY(agora::init_repo(repo, {{"/ip4/127.0.0.1/tcp/0"}, "127.0.0.1:0"}));
  agora::ConfigOverrides overrides;
  overrides.mdns = false;
  AGORA_TRY(agora::override_config(repo, overrides));
  return agora::Node::open({.repo = repo});
}

// Bytes that differ from block to block, so the file is not one block repeated.
bool write_input(const fs::path& path, uint64_t bytes) {
  std::ofstream out(path, std::ios::binary);
  uint64_t x = 0x9e3779b97f4a7c15;
  for (uint64_t i = 0; i < bytes; i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    out.write(reinterpret_cast<const char*>(&x), std::streamsize(std::min<uint64_t>(8, bytes - i)));
  }
  return bool(out);
}

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  fs::path work = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "agora-two-nodes";
  uint64_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 8;
  fs::remove_all(work);
  fs::create_directories(work);

  auto seed = open_node(work / "seed");
  if (!seed) return fail("opening the seed", seed.error());
  auto leech = open_node(work / "leech");
  if (!leech) return fail("opening the leech", leech.error());
  std::printf("seed  %s\nleech %s\n", (*seed)->peer_id().c_str(), (*leech)->peer_id().c_str());

  fs::path input = work / "input.bin";
  if (!write_input(input, mib << 20)) return fail("writing the input", {agora::Errc::io, ""});
  auto added = (*seed)->add_path(input, {});
  if (!added) return fail("adding", added.error());
  std::printf("added %s (%llu bytes)\n", added->cid.c_str(), (unsigned long long)added->size);

  agora::GetRequest request;
  request.content_path = added->cid;
  request.peers = {(*seed)->start_report().listen_addrs.at(0)};
  request.dest = (work / "copy.bin").string();
  auto got = (*leech)->get(request, [](const agora::GetProgress& p) {
    std::printf("  %llu blocks, %llu bytes fetched, %zu in flight\n",
                (unsigned long long)p.blocks_fetched, (unsigned long long)p.bytes_fetched,
                p.blocks_in_flight);
  });
  if (!got) return fail("getting", got.error());
  std::printf("got %s: %llu bytes in %.3f s from %zu peer(s)\n", got->cid.c_str(),
              (unsigned long long)got->bytes, got->seconds, got->fetched.blocks_by_peer.size());

  if (read_all(input) != read_all(request.dest)) {
    std::fprintf(stderr, "two_nodes: the copy differs from the original\n");
    return 1;
  }
  std::printf("the copy matches the original\n");
  return 0;
}
