// Small file-system helpers shared by the tools: private folders, atomic writes with a chosen
// mode, whole-file reads. Errors are Status values whose messages name the path.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "proto/status.hpp"

namespace sharechain::tools {

enum class Overwrite { kNo, kYes };

// Writes `content` to `path` so that a reader sees either the old file or the whole new one:
// the data goes to a temporary file in the same folder (created with `mode`, never wider),
// is fsync'ed, then moved into place. With Overwrite::kNo an existing `path` is left untouched
// and ALREADY_EXISTS is returned; the check and the move are one atomic link(2).
Status write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode,
                         Overwrite overwrite);

// The whole file. NOT_FOUND when it does not exist.
Result<std::string> read_file(const std::filesystem::path& path);

// Creates `dir` (and missing parents). A folder this call creates gets `mode` exactly; an
// existing folder is left as it is.
Status make_dirs(const std::filesystem::path& dir, mode_t mode);

// The file's permission bits (e.g. 0600). NOT_FOUND when it does not exist.
Result<mode_t> file_mode(const std::filesystem::path& path);

}  // namespace sharechain::tools
