// The web app's files (explorer/web/), embedded in the binary at build time by
// explorer/embed_web.cmake: the node serves them without reading the disk.
#pragma once

#include <optional>
#include <string_view>

namespace sharechain::explorer {

struct WebFile {
  std::string_view content_type;
  std::string_view bytes;
};

// The file named `name` ("index.html", "app.js", "app.css", "verify.js", "bundle_check.js",
// "proto_schema.js"), or nullopt.
std::optional<WebFile> web_file(std::string_view name);

}  // namespace sharechain::explorer
