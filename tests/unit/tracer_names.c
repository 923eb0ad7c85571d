/*
 * tracer_names.c - type names as users write them (tracer/val_tname.c):
 * default template arguments of std:: templates dropped, string aliases,
 * DWARF's word orders, and text that is not a template left alone.
 */
#include "check.h"
#include "tracer/val_int.h"

static const char *shorten(const char *in)
{
    static char out[512];
    return tr_val_short_name(in, out, sizeof out);
}

static void test_default_arguments_dropped(void)
{
    CHECK_STR(shorten("std::vector<int, std::allocator<int> >"), "std::vector<int>");
    CHECK_STR(shorten("std::map<int, double, std::less<int>, "
                      "std::allocator<std::pair<int const, double> > >"),
              "std::map<int, double>");
    CHECK_STR(shorten("std::unordered_map<int, int, std::hash<int>, std::equal_to<int>, "
                      "std::allocator<std::pair<int const, int> > >"),
              "std::unordered_map<int, int>");
    CHECK_STR(shorten("std::unique_ptr<Node, std::default_delete<Node> >"),
              "std::unique_ptr<Node>");
    CHECK_STR(shorten("std::stack<int, std::deque<int, std::allocator<int> > >"),
              "std::stack<int>");
    CHECK_STR(shorten("std::priority_queue<int, std::vector<int, std::allocator<int> >, "
                      "std::less<int> >"),
              "std::priority_queue<int>");
    /* not the default container: kept */
    CHECK_STR(shorten("std::stack<int, std::vector<int, std::allocator<int> > >"),
              "std::stack<int, std::vector<int>>");
    /* a user's template keeps every argument */
    CHECK_STR(shorten("Pool<int, std::allocator<int> >"), "Pool<int, std::allocator<int>>");
}

static void test_strings_and_nesting(void)
{
    CHECK_STR(shorten("std::__cxx11::basic_string<char, std::char_traits<char>, "
                      "std::allocator<char> >"),
              "std::string");
    CHECK_STR(shorten("std::__cxx11::basic_string<wchar_t, std::char_traits<wchar_t>, "
                      "std::allocator<wchar_t> >"),
              "std::wstring");
    CHECK_STR(shorten("std::vector<std::vector<int, std::allocator<int> >, "
                      "std::allocator<std::vector<int, std::allocator<int> > > >"),
              "std::vector<std::vector<int>>");
    CHECK_STR(shorten("std::__cxx11::list<int, std::allocator<int> >"), "std::list<int>");
    CHECK_STR(shorten("__gnu_cxx::__normal_iterator<int*, std::vector<int, "
                      "std::allocator<int> > >"),
              "std::vector<int>::iterator");
    CHECK_STR(shorten("__gnu_cxx::__normal_iterator<const int*, std::vector<int, "
                      "std::allocator<int> > >"),
              "std::vector<int>::const_iterator");
}

static void test_argument_spelling(void)
{
    CHECK_STR(shorten("std::pair<int const, long unsigned int>"),
              "std::pair<const int, unsigned long>");
    CHECK_STR(shorten("std::vector<char const*, std::allocator<char const*> >"),
              "std::vector<char const*>");
    CHECK_STR(shorten("std::set<__int128 unsigned, std::less<__int128 unsigned>, "
                      "std::allocator<__int128 unsigned> >"),
              "std::set<unsigned __int128>");
    CHECK_STR(shorten("std::function<int (int, int)>"), "std::function<int (int, int)>");
}

static void test_plain_text_unchanged(void)
{
    CHECK_STR(shorten("int"), "int");
    CHECK_STR(shorten("int (*)(int)"), "int (*)(int)");
    CHECK_STR(shorten("const Node*"), "const Node*");
    /* unbalanced: copied as far as it goes, never a crash */
    CHECK(shorten("Broken<int, ")[0] == 'B');
    char tiny[8];
    CHECK_STR(tr_val_short_name("std::vector<int, std::allocator<int> >", tiny, sizeof tiny),
              "std::ve");
}

TEST_MAIN(TEST(test_default_arguments_dropped), TEST(test_strings_and_nesting),
          TEST(test_argument_spelling), TEST(test_plain_text_unchanged))
