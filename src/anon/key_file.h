#pragma once
// Key files. Two kinds, both small and secret:
//  * a Crypto-PAn key file, used as-is (no derivation): exactly 32 raw
//    bytes, or 64 hex digits optionally followed by one newline. The raw
//    form is what `traceanon -f FILE` reads (but traceanon stops at the
//    first zero byte and zero-fills the rest, so only keys without a zero
//    byte give the same mapping there);
//  * a master-secret file (see anon/key_schedule.h): hex, 64..512 digits
//    (32..256 bytes), optionally followed by one newline. CreateMasterKeyFile
//    writes one.
// A key file must be a regular file with no permission bits beyond 0600;
// anything wider is refused with an error naming the file and the fix
// (chmod 600 FILE). Error messages never contain key bytes.
// Stateless; thread-safe.

#include <string>

#include "anon/secret_bytes.h"
#include "util/status.h"

namespace trove {

// 32 bytes.
Result<SecretBytes> LoadKeyFile(const std::string& path);
// 32..256 bytes.
Result<SecretBytes> LoadMasterSecretFile(const std::string& path);

// 32 random bytes (RAND_bytes) as 64 hex digits and a newline, in a new
// file of mode 0600. The file appears complete or not at all: it is
// written and fsynced under a temporary name in the same directory, then
// hard-linked to `path`, which fails (AlreadyExists) rather than replace an
// existing file; the directory is fsynced.
Status CreateMasterKeyFile(const std::string& path);

}  // namespace trove
