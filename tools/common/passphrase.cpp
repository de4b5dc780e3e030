#include "tools/common/passphrase.hpp"

#include <openssl/crypto.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "tools/common/files.hpp"

namespace sharechain::tools {

std::string strip_line_break(std::string text) {
  if (!text.empty() && text.back() == '\n') {
    text.pop_back();
    if (!text.empty() && text.back() == '\r') text.pop_back();
  }
  return text;
}

PassphraseSource passphrase_source_from_environment(std::string file) {
  PassphraseSource s;
  s.file = std::move(file);
  if (const char* v = std::getenv(std::string(kPassphraseEnv).c_str())) s.env = std::string(v);
  s.interactive = ::isatty(STDIN_FILENO) == 1;
  return s;
}

Outcome<std::string> read_hidden_line(std::string_view prompt, std::ostream& prompt_out) {
  prompt_out << prompt << std::flush;
  termios old_mode{};
  const bool is_tty = ::tcgetattr(STDIN_FILENO, &old_mode) == 0;
  if (is_tty) {
    termios quiet = old_mode;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;  // the user still sees the line end after pressing Enter
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (is_tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
  if (!got) return Failure::usage("no input on standard input");
  return strip_line_break(std::move(line) + "\n");
}

Outcome<std::string> read_passphrase(const PassphraseSource& source, std::string_view prompt,
                                     bool confirm, std::ostream& prompt_out) {
  if (!source.file.empty()) {
    Result<std::string> text = read_file(source.file);
    if (!text) return Failure::usage("cannot read the passphrase file: " + text.status().message());
    return strip_line_break(std::move(text).value());
  }
  if (source.env) return *source.env;
  if (!source.interactive) {
    return Failure::usage(
        "a passphrase is needed: give --passphrase-file FILE or set SHARECHAIN_PASSPHRASE "
        "(standard input is not a terminal, so there is no prompt)");
  }
  Outcome<std::string> first = read_hidden_line(prompt, prompt_out);
  if (!first || !confirm) return first;
  Outcome<std::string> second = read_hidden_line("Repeat the passphrase: ", prompt_out);
  if (!second) return second;
  const bool same = *first == *second;
  OPENSSL_cleanse(second->data(), second->size());
  if (!same) return Failure::usage("the two passphrases differ");
  return first;
}

}  // namespace sharechain::tools
