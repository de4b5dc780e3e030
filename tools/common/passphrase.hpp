// Where a tool gets the keystore passphrase: a file, else an environment variable, else a
// prompt without echo when standard input is a terminal. With none of these it is a usage
// error, so a script never hangs waiting for a prompt nobody sees.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "tools/common/outcome.hpp"

namespace sharechain::tools {

inline constexpr std::string_view kPassphraseEnv = "SHARECHAIN_PASSPHRASE";

struct PassphraseSource {
  std::string file;                  // --passphrase-file; empty = not given
  std::optional<std::string> env;    // the value of SHARECHAIN_PASSPHRASE, if set
  bool interactive = false;          // standard input is a terminal
};

// The source for this process: `file` plus the environment and isatty(stdin).
PassphraseSource passphrase_source_from_environment(std::string file);

// The passphrase, from the first source that has one. A file's content loses one trailing line
// break ("\n" or "\r\n") and nothing else. `prompt` is written to `prompt_out` (normally
// standard error, so standard output stays clean for --json); with `confirm` the prompt asks
// twice and the answers must match (for new keys).
Outcome<std::string> read_passphrase(const PassphraseSource& source, std::string_view prompt,
                                     bool confirm, std::ostream& prompt_out);

// Reads one line from standard input with terminal echo switched off.
Outcome<std::string> read_hidden_line(std::string_view prompt, std::ostream& prompt_out);

// Drops one trailing "\n" or "\r\n".
std::string strip_line_break(std::string text);

}  // namespace sharechain::tools
