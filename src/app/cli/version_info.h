// What `agora version` and `agora --version` say: agora's version, the git commit it was built
// from (captured at build time by cmake/build_commit.cmake; none outside a git checkout) and the
// versions of the libraries in the binary, from their own version macros (built against) and,
// where a library reports it, the version loaded at run time.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace agora {

extern const char* const kBuildCommit;  // full hash; "" when not built from a git checkout
extern const bool kBuildCommitDirty;    // the checkout had uncommitted changes to tracked files

struct DependencyVersion {
  std::string name;     // "OpenSSL", "SQLite", ...
  std::string version;  // as built against
  std::string runtime;  // as loaded at run time, where the library says; else ""
};
std::vector<DependencyVersion> dependency_versions();

// "agora 0.1.0\ncommit ...\nlibraries:\n  OpenSSL 3.0.19\n..." for people.
std::string version_text();
// {"version", "agent", "commit" (null without git), "commit_dirty",
//  "dependencies": {name: {"built", "loaded" (where known)}}}.
nlohmann::json version_json();

}  // namespace agora
