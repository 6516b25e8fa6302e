// Key files: raw and hex forms, permission checks, errors that never carry
// key bytes, and atomic creation of master key files.

#include "anon/key_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace trove {
namespace {

namespace fs = std::filesystem;

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "trove_keyfile_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    for (size_t i = 0; i < 32; ++i) key_.push_back(static_cast<uint8_t>(0xA0 + i * 3));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }
  std::string Raw() const { return std::string(key_.begin(), key_.end()); }
  std::string HexOf(const std::vector<uint8_t>& b, bool upper = false) const {
    std::string s;
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    for (const uint8_t x : b) {
      s += digits[x >> 4];
      s += digits[x & 15];
    }
    return s;
  }
  // No fragment of the key, raw or hex, appears in `msg`.
  void ExpectNoKeyMaterial(const std::string& msg) {
    const std::string hex = HexOf(key_);
    for (size_t i = 0; i + 8 <= hex.size(); i += 8) {
      EXPECT_EQ(msg.find(hex.substr(i, 8)), std::string::npos) << msg;
      EXPECT_EQ(msg.find(HexOf(key_, true).substr(i, 8)), std::string::npos) << msg;
    }
    EXPECT_EQ(msg.find(Raw().substr(0, 4)), std::string::npos) << msg;
  }

  std::string dir_;
  std::vector<uint8_t> key_;
};

TEST_F(KeyFileTest, RawAndHexFormsLoadTheSameKey) {
  const std::vector<std::string> paths = {
      Write("raw", Raw()),
      Write("hex", HexOf(key_)),
      Write("hex_nl", HexOf(key_) + "\n"),
      Write("hex_crlf", HexOf(key_, true) + "\r\n"),
      Write("readonly", HexOf(key_), 0400),
  };
  for (const std::string& p : paths) {
    Result<SecretBytes> k = LoadKeyFile(p);
    ASSERT_TRUE(k.ok()) << p << ": " << k.status().ToString();
    ASSERT_EQ(k->size(), 32u);
    EXPECT_EQ(std::vector<uint8_t>(k->data(), k->data() + 32), key_) << p;
  }
  // 32 raw bytes are raw even when the last one is a newline.
  std::string nl = Raw();
  nl.back() = '\n';
  Result<SecretBytes> k = LoadKeyFile(Write("raw_nl", nl));
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->data()[31], '\n');
}

TEST_F(KeyFileTest, BadContentIsRefusedWithoutKeyMaterial) {
  const std::string hex = HexOf(key_);
  for (const auto& [name, content] :
       std::vector<std::pair<std::string, std::string>>{{"short_raw", Raw().substr(0, 31)},
                                                        {"long_raw", Raw() + "\n"},
                                                        {"short_hex", hex.substr(0, 62) + "\n"},
                                                        {"long_hex", hex + "00\n"},
                                                        {"not_hex", hex.substr(0, 63) + "g"},
                                                        {"two_newlines", hex + "\n\n"},
                                                        {"empty", ""}}) {
    Result<SecretBytes> k = LoadKeyFile(Write(name, content));
    ASSERT_FALSE(k.ok()) << name;
    EXPECT_EQ(k.status().code(), Status::Code::kInvalidArgument) << name;
    EXPECT_NE(k.status().message().find(dir_ + "/" + name), std::string::npos);
    ExpectNoKeyMaterial(k.status().message());
  }
}

TEST_F(KeyFileTest, WidePermissionsAreRefusedWithTheFix) {
  for (const mode_t mode : {0644, 0640, 0604, 0660, 0700, 0666}) {
    const std::string path = Write("wide", HexOf(key_), mode);
    for (const bool master : {false, true}) {
      Result<SecretBytes> k = master ? LoadMasterSecretFile(path) : LoadKeyFile(path);
      ASSERT_FALSE(k.ok()) << std::oct << mode;
      EXPECT_EQ(k.status().code(), Status::Code::kFailedPrecondition);
      EXPECT_NE(k.status().message().find(path), std::string::npos);
      EXPECT_NE(k.status().message().find("chmod 600 " + path), std::string::npos)
          << k.status().message();
      ExpectNoKeyMaterial(k.status().message());
    }
  }
}

TEST_F(KeyFileTest, MissingFileAndDirectory) {
  Result<SecretBytes> k = LoadKeyFile(dir_ + "/nope");
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Status::Code::kNotFound);
  ::chmod(dir_.c_str(), 0700);
  EXPECT_FALSE(LoadKeyFile(dir_).ok());
}

TEST_F(KeyFileTest, MasterSecretFiles) {
  std::vector<uint8_t> m48(48);
  for (size_t i = 0; i < m48.size(); ++i) m48[i] = static_cast<uint8_t>(i * 5 + 1);
  Result<SecretBytes> m = LoadMasterSecretFile(Write("m48", HexOf(m48) + "\n"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(std::vector<uint8_t>(m->data(), m->data() + m->size()), m48);
  EXPECT_FALSE(LoadMasterSecretFile(Write("m31", HexOf(key_).substr(0, 62))).ok());  // 31 bytes
  EXPECT_FALSE(LoadMasterSecretFile(Write("odd", HexOf(key_) + "a")).ok());
  EXPECT_FALSE(LoadMasterSecretFile(Write("raw", Raw())).ok());  // hex only
}

TEST_F(KeyFileTest, CreateMasterKeyFileIsPrivateAtomicAndNoClobber) {
  const std::string path = dir_ + "/master.key";
  ASSERT_TRUE(CreateMasterKeyFile(path).ok());
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 65);  // 64 hex digits and a newline
  Result<SecretBytes> m = LoadMasterSecretFile(path);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->size(), 32u);

  // A second create refuses and leaves the first key alone.
  Status again = CreateMasterKeyFile(path);
  EXPECT_EQ(again.code(), Status::Code::kAlreadyExists);
  EXPECT_NE(again.message().find(path), std::string::npos);
  Result<SecretBytes> m2 = LoadMasterSecretFile(path);
  ASSERT_TRUE(m2.ok());
  EXPECT_TRUE(*m == *m2);

  // Two keys are different; no temporary files are left behind.
  ASSERT_TRUE(CreateMasterKeyFile(dir_ + "/other.key").ok());
  Result<SecretBytes> o = LoadMasterSecretFile(dir_ + "/other.key");
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(*m == *o);
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 2);
  EXPECT_FALSE(CreateMasterKeyFile(dir_ + "/no/such/dir/key").ok());
}

}  // namespace
}  // namespace trove
