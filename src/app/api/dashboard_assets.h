// The dashboard's built files (web/, bundled by esbuild), embedded in the binary at build time by
// cmake/embed_dashboard.cmake: the daemon serves them from memory and needs no file at run time.
#pragma once

#include <span>
#include <string_view>

namespace agora {

struct DashboardAsset {
  std::string_view path;  // the URL path it is served at
  std::string_view content_type;
  std::string_view body;
};

std::span<const DashboardAsset> dashboard_assets();

}  // namespace agora
