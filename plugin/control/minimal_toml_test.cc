#include "plugin/control/minimal_toml.h"

#include <gtest/gtest.h>

namespace pullsentry::control {
namespace {

TEST(MinimalTomlTest, ReadsTablesKeysAndValues) {
  absl::StatusOr<std::vector<TomlEntry>> entries = ReadTomlEntries(R"(version = 3  # comment
disabled_plugins = [
  "io.containerd.image-verifier.v1.bindir",  # why
  'other',
]
[plugins.'io.containerd.cri.v1.images']
  use_local_image_pull = true
  [plugins."io.containerd.cri.v1.images".registry.mirrors."docker.io"]
    endpoint = ["https://mirror#1"]
[[plugins."x".list]]
  a.b = { c = 1 }
)");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 8u);
  EXPECT_EQ((*entries)[0].key, std::vector<std::string>{"version"});
  EXPECT_EQ(TomlInteger((*entries)[0].value), 3);
  EXPECT_EQ(TomlStringArray((*entries)[1].value),
            (std::vector<std::string>{"io.containerd.image-verifier.v1.bindir", "other"}));
  EXPECT_TRUE((*entries)[2].is_table);
  EXPECT_EQ((*entries)[3].key, (std::vector<std::string>{"plugins", "io.containerd.cri.v1.images", "use_local_image_pull"}));
  EXPECT_EQ(TomlBool((*entries)[3].value), true);
  EXPECT_EQ((*entries)[3].line, 7);
  EXPECT_EQ(TomlStringArray((*entries)[5].value), std::vector<std::string>{"https://mirror#1"});
  EXPECT_EQ((*entries)[7].key, (std::vector<std::string>{"plugins", "x", "list", "a", "b"}));
  EXPECT_EQ(TomlKeyString((*entries)[3].key), "plugins.\"io.containerd.cri.v1.images\".use_local_image_pull");
}

TEST(MinimalTomlTest, SkipsMultiLineStrings) {
  absl::StatusOr<std::vector<TomlEntry>> entries = ReadTomlEntries("a = \"\"\"\nx = 1\n\"\"\"\nb = 2\n");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].key, std::vector<std::string>{"b"});
}

TEST(MinimalTomlTest, ReportsWhatItCannotRead) {
  EXPECT_FALSE(ReadTomlEntries("[unterminated\n").ok());
  EXPECT_FALSE(ReadTomlEntries("just words\n").ok());
  EXPECT_FALSE(ReadTomlEntries("a = [1, 2\n").ok());
  EXPECT_FALSE(ReadTomlEntries("a = \"\"\"never closed\n").ok());
  EXPECT_FALSE(ReadTomlEntries(std::string(kMaxTomlBytes + 1, '#')).ok());
}

TEST(MinimalTomlTest, ValueInterpretations) {
  EXPECT_EQ(TomlString("\"a\\\"b\""), "a\"b");
  EXPECT_EQ(TomlString("'C:\\path'"), "C:\\path");
  EXPECT_FALSE(TomlString("bare").has_value());
  EXPECT_EQ(TomlInteger("1_000"), 1000);
  EXPECT_FALSE(TomlInteger("3.5").has_value());
  EXPECT_FALSE(TomlBool("yes").has_value());
  EXPECT_FALSE(TomlStringArray("[1, 2]").has_value());
  EXPECT_EQ(TomlStringArray("[]"), std::vector<std::string>{});
}

}  // namespace
}  // namespace pullsentry::control
