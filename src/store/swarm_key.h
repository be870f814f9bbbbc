// swarm.key: the pre-shared key of a libp2p private network, in the format kubo, go-libp2p and
// js-libp2p read and write (libp2p/specs pnet/Private-Networks-PSK-V1.md):
//
//   /key/swarm/psk/1.0.0/
//   /base16/
//   <64 hex characters>
//
// The second line may also be `/base64/` (standard alphabet, then 44 characters) or `/bin/` (then
// the 32 raw bytes). Lines may end in \r\n; after the key only whitespace may follow. The file is
// input from outside: every error names the file and the line, nothing here aborts.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "proto/pnet/pnet_protector.h"

namespace agora::store {

inline constexpr const char* kSwarmKeyFile = "swarm.key";
inline constexpr size_t kSwarmKeyFileBytesMax = 4096;

// The base16 form with a final newline (what `ipfs-swarm-key-gen` writes).
std::string encode_swarm_key_file(const pnet::PreSharedKey& key);
// Errors are Errc::invalid_input "<source_name>:<line>: <what>" (unsupported for an unknown
// encoding line).
Result<pnet::PreSharedKey> decode_swarm_key_file(std::string_view text,
                                                 std::string_view source_name);
// A new random key.
pnet::PreSharedKey generate_swarm_key();
// Reads <repo>/swarm.key: nullopt when there is none (a public network). Refuses a file group or
// others can read, and one that is not a valid key.
Result<std::optional<pnet::PreSharedKey>> load_swarm_key(const std::filesystem::path& repo);

}  // namespace agora::store
