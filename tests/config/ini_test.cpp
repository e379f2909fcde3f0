// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
// The INI tokenizer: the Boost.Program_options dialect, and a clear FILE:LINE for what it refuses.
#include <gtest/gtest.h>

#include "helpers.h"

namespace tld::config {
namespace {

using test::ini_error;
using namespace std::literals;

std::vector<IniEntry> tokens(std::string_view text)
{
	auto r = tokenize_ini(text, "x.ini");
	EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message());
	return r ? r.value() : std::vector<IniEntry>{};
}

TEST(Ini, SectionsPrefixNamesLikeBoost)
{
	auto t = tokens("top = 1\n[key.prio]\ntype = u32\n\n[options]\nquiet=true\n");
	ASSERT_EQ(t.size(), 5u);
	EXPECT_EQ(t[0].key(), "top");
	EXPECT_EQ(t[0].line, 1);
	EXPECT_EQ(t[1].kind, IniEntry::Kind::section);
	EXPECT_EQ(t[1].section, "key.prio");
	EXPECT_EQ(t[1].line, 2);
	EXPECT_EQ(t[2].key(), "key.prio.type");
	EXPECT_EQ(t[2].value, "u32");
	EXPECT_EQ(t[2].line, 3);
	EXPECT_EQ(t[4].key(), "options.quiet");
	EXPECT_EQ(t[4].value, "true");
	EXPECT_EQ(t[4].line, 6);
}

TEST(Ini, CommentsBlanksAndLineEnds)
{
	auto t = tokens("\xef\xbb\xbf# leading comment\r\n"
	                "  ; a semicolon comment\n"
	                "\ta = 1 # trailing comment\r\n"
	                "b=   spaced value\t\n"
	                "c =\n"
	                "d = x;y\n"
	                "   [ s ]   \n");
	ASSERT_EQ(t.size(), 5u);
	EXPECT_EQ(t[0].name, "a");
	EXPECT_EQ(t[0].value, "1");
	EXPECT_EQ(t[0].line, 3);
	EXPECT_EQ(t[1].value, "spaced value");
	EXPECT_EQ(t[2].value, "");
	EXPECT_EQ(t[3].value, "x;y") << "';' is a comment only at the start of a line";
	EXPECT_EQ(t[4].section, "s");
	EXPECT_EQ(t[4].line, 7);
}

TEST(Ini, ValueKeepsEverythingAfterTheFirstEquals)
{
	auto t = tokens("set = a=1, b = 2\n");
	ASSERT_EQ(t.size(), 1u);
	EXPECT_EQ(t[0].name, "set");
	EXPECT_EQ(t[0].value, "a=1, b = 2");
}

TEST(Ini, EmptyAndCommentOnlyTextHasNoEntries)
{
	EXPECT_TRUE(tokens("").empty());
	EXPECT_TRUE(tokens("\n\n# nothing\n; here\n").empty());
}

TEST(Ini, NoFinalNewline)
{
	auto t = tokens("a = 1\nb = 2");
	ASSERT_EQ(t.size(), 2u);
	EXPECT_EQ(t[1].value, "2");
	EXPECT_EQ(t[1].line, 2);
}

TEST(Ini, Errors)
{
	EXPECT_EQ(ini_error("a = 1\ngarbage\n"),
	          "x.ini:2: expected 'name = value' or '[section]', not 'garbage'");
	EXPECT_EQ(ini_error("[options\n"), "x.ini:1: unterminated section header '[options'");
	EXPECT_EQ(ini_error("\n\n[]\n"), "x.ini:3: empty section name '[]'");
	EXPECT_EQ(ini_error("[key..a]\n"),
	          "x.ini:1: empty part between dots in section name '[key..a]'");
	EXPECT_EQ(ini_error("[key.]\n"),
	          "x.ini:1: empty part between dots in section name '[key.]'");
	EXPECT_EQ(ini_error("[key.a b]\n"), "x.ini:1: blank in section name '[key.a b]'");
	EXPECT_EQ(ini_error("[a=b]\n"), "x.ini:1: '[', ']' or '=' in section name '[a=b]'");
	EXPECT_EQ(ini_error("= 5\n"), "x.ini:1: missing option name before '='");
	EXPECT_EQ(ini_error("my prio = 5\n"), "x.ini:1: blank in option name 'my prio'");
	EXPECT_EQ(ini_error("a]b = 5\n"), "x.ini:1: '[' or ']' in option name 'a]b'");
	EXPECT_EQ(ini_error("a = 1\nb = x\0y\n"sv), "x.ini:2: NUL byte in line");
}

TEST(Ini, ErrorEchoIsEscapedAndCut)
{
	std::string line = "\x1b[31m" + std::string(100, 'x');
	EXPECT_EQ(ini_error(line),
	          "x.ini:1: expected 'name = value' or '[section]', not '\\x1b[31m" +
	                  std::string(56, 'x') + "...'");
}

TEST(Ini, ReadConfigFileErrors)
{
	auto missing = read_config_file("/nonexistent/tld/keys.conf");
	ASSERT_FALSE(missing.ok());
	EXPECT_EQ(missing.error().message(),
	          "/nonexistent/tld/keys.conf: cannot open: No such file or directory");
	auto dir = read_config_file("/tmp");
	ASSERT_FALSE(dir.ok());
	EXPECT_EQ(dir.error().message(), "/tmp: is a directory, not a config file");
	auto dev = read_config_file("/dev/zero");
	ASSERT_FALSE(dev.ok());
	EXPECT_EQ(dev.error().message(), "/dev/zero: is not a regular file");
	auto empty = read_config_file("");
	ASSERT_FALSE(empty.ok());
	EXPECT_EQ(empty.error().message(), "(empty path): no config file name given");
}

} // namespace
} // namespace tld::config
