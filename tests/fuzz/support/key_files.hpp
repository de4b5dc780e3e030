// What the key_file target and the corpus generator agree on.
#pragma once

#include <string_view>

namespace sharechain::fuzz {

// The passphrase the corpus's keystore files are sealed with; the target tries it on every
// input, so a seed decrypts and a mutation reaches the "wrong passphrase" and key checks.
inline constexpr std::string_view kKeystorePassphrase = "fuzz corpus passphrase";

}  // namespace sharechain::fuzz
