/*
 * val_tname.c - type names as a user writes them.
 *
 * DWARF spells a libstdc++ type with every default template argument and
 * the inline ABI namespace: "std::__cxx11::basic_string<char,
 * std::char_traits<char>, std::allocator<char> >". Students wrote
 * "std::string", and See++ shows the name in every frame, so names are
 * rewritten: default arguments of std:: templates dropped, basic_string of
 * a character type renamed, "__cxx11::" removed, "> >" closed up.
 *
 * The rewrite parses the template argument lists (angle brackets, with
 * parentheses keeping function types' commas inside one argument) and
 * rebuilds them; text it does not understand is copied as it is.
 */
#include "tracer/val_int.h"

#include <stdio.h>
#include <string.h>

#define TN_CAP 512  /* one name, and one argument, at most */
#define TN_ARGS 12  /* template arguments per list */
#define TN_DEPTH 12 /* template lists inside each other */

struct tn_buf {
    char s[TN_CAP];
    size_t n;
    int overflow;
};

static void put(struct tn_buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > sizeof b->s) {
        b->overflow = 1;
        return;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void puts_(struct tn_buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Is argument i of template `name` its default, given the arguments before
   it? Only std:: templates are judged; a user's template keeps all. */
static int is_default_arg(const char *name, char args[][TN_CAP], size_t i)
{
    static const char *const defaults[] = {"std::allocator<", "std::char_traits<",
                                           "std::less<",      "std::hash<",
                                           "std::equal_to<",  "std::default_delete<"};
    if (i == 0 || !starts(name, "std::"))
        return 0;
    for (size_t k = 0; k < sizeof defaults / sizeof defaults[0]; k++)
        if (starts(args[i], defaults[k]))
            return 1;
    char want[TN_CAP + 16];
    if (i == 1 && (strcmp(name, "std::stack") == 0 || strcmp(name, "std::queue") == 0)) {
        snprintf(want, sizeof want, "std::deque<%s>", args[0]);
        return strcmp(args[1], want) == 0;
    }
    if (i == 1 && strcmp(name, "std::priority_queue") == 0) {
        snprintf(want, sizeof want, "std::vector<%s>", args[0]);
        return strcmp(args[1], want) == 0;
    }
    return 0;
}

static const char *string_alias(const char *elem)
{
    if (strcmp(elem, "char") == 0)
        return "std::string";
    if (strcmp(elem, "wchar_t") == 0)
        return "std::wstring";
    if (strcmp(elem, "char16_t") == 0)
        return "std::u16string";
    if (strcmp(elem, "char32_t") == 0)
        return "std::u32string";
    if (strcmp(elem, "char8_t") == 0)
        return "std::u8string";
    return NULL;
}

static void rewrite(const char **p, struct tn_buf *o, int in_list, int depth);

/* An integer type named in gcc's word order ("long unsigned int",
   "__int128 unsigned") as C programmers write it ("unsigned long",
   "unsigned __int128"); 0 when arg is not made of integer words only. */
static int integer_words(const char *arg, char *out, size_t cap)
{
    int nlong = 0, nshort = 0, nint = 0, nchar = 0, nuns = 0, nsig = 0, n128 = 0;
    char word[16];
    for (const char *p = arg; *p;) {
        size_t k = strcspn(p, " ");
        if (k == 0 || k >= sizeof word)
            return 0;
        memcpy(word, p, k);
        word[k] = '\0';
        if (strcmp(word, "long") == 0)
            nlong++;
        else if (strcmp(word, "short") == 0)
            nshort++;
        else if (strcmp(word, "int") == 0)
            nint++;
        else if (strcmp(word, "char") == 0)
            nchar++;
        else if (strcmp(word, "unsigned") == 0)
            nuns++;
        else if (strcmp(word, "signed") == 0)
            nsig++;
        else if (strcmp(word, "__int128") == 0)
            n128++;
        else
            return 0;
        p += k;
        while (*p == ' ')
            p++;
    }
    const char *base = n128         ? "__int128"
                       : nchar      ? "char"
                       : nlong == 2 ? "long long"
                       : nlong      ? "long"
                       : nshort     ? "short"
                                    : "int";
    const char *sign = nuns ? "unsigned " : nsig && nchar ? "signed " : "";
    snprintf(out, cap, "%s%s", sign, base);
    return 1;
}

/* A template argument as a user writes it: "int const" (DWARF's spelling)
   as "const int", integer words in the usual order; anything with a
   declarator ("char const*") stays as it is. */
static void const_first(const char *arg, char *out)
{
    size_t n = strlen(arg);
    const size_t k = strlen(" const");
    char base[TN_CAP];
    if (n > k && strcmp(arg + n - k, " const") == 0 && !strpbrk(arg, "*&()[]<")) {
        snprintf(base, sizeof base, "%.*s", (int)(n - k), arg);
        char words[64];
        snprintf(out, TN_CAP, "const %s", integer_words(base, words, sizeof words) ? words : base);
        return;
    }
    if (integer_words(arg, out, TN_CAP))
        return;
    memcpy(out, arg, n + 1);
}

/* At '<' in the input: o ends with the template's name. Parses the list
   up to its '>' and writes the shortened list (or an alias for the whole
   name). */
static void template_list(const char **p, struct tn_buf *o, int depth)
{
    size_t name_end = o->n, name_start = name_end;
    while (name_start > 0) {
        char ch = o->s[name_start - 1];
        if (!(ch == '_' || ch == ':' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9')))
            break;
        name_start--;
    }
    char name[TN_CAP];
    snprintf(name, sizeof name, "%.*s", (int)(name_end - name_start), o->s + name_start);

    char args[TN_ARGS][TN_CAP]; /* ~6 KiB of stack per nesting level */
    size_t nargs = 0;
    (*p)++; /* '<' */
    for (;;) {
        struct tn_buf arg = {.n = 0};
        arg.s[0] = '\0';
        while (**p == ' ')
            (*p)++;
        rewrite(p, &arg, 1, depth + 1);
        while (arg.n > 0 && arg.s[arg.n - 1] == ' ')
            arg.s[--arg.n] = '\0';
        if (arg.overflow || nargs == TN_ARGS) {
            o->overflow = 1;
            return;
        }
        if (arg.n > 0)
            const_first(arg.s, args[nargs++]);
        if (**p == ',') {
            (*p)++;
            continue;
        }
        if (**p == '>')
            (*p)++;
        break; /* '>' or the end of an unbalanced name */
    }
    size_t keep = nargs;
    if (strcmp(name, "__gnu_cxx::__normal_iterator") == 0 && nargs == 2) {
        /* the iterator of a vector or string, as the user declared it */
        o->n = name_start;
        o->s[o->n] = '\0';
        puts_(o, args[1]);
        puts_(o, starts(args[0], "const ") ? "::const_iterator" : "::iterator");
        return;
    }
    while (keep > 1 && is_default_arg(name, args, keep - 1))
        keep--;
    if ((strcmp(name, "std::basic_string") == 0 ||
         strcmp(name, "std::__cxx11::basic_string") == 0) &&
        keep == 1 && string_alias(args[0])) {
        o->n = name_start;
        o->s[o->n] = '\0';
        puts_(o, string_alias(args[0]));
        return;
    }
    puts_(o, "<");
    for (size_t i = 0; i < keep; i++) {
        if (i)
            puts_(o, ", ");
        puts_(o, args[i]);
    }
    puts_(o, ">");
}

/* Copy from *p into o, rewriting template lists; inside a list, stop
   before a ',' or '>' that is not nested in parentheses. */
static void rewrite(const char **p, struct tn_buf *o, int in_list, int depth)
{
    int parens = 0;
    while (**p && !o->overflow) {
        char ch = **p;
        if (in_list && parens == 0 && (ch == ',' || ch == '>'))
            return;
        if (ch == '<') {
            if (depth + 1 >= TN_DEPTH) {
                o->overflow = 1;
                return;
            }
            template_list(p, o, depth);
            continue;
        }
        if (ch == '(')
            parens++;
        else if (ch == ')' && parens > 0)
            parens--;
        if (starts(*p, "__cxx11::")) {
            *p += strlen("__cxx11::");
            continue;
        }
        put(o, p[0], 1);
        (*p)++;
    }
}

const char *tr_val_short_name(const char *in, char *out, size_t cap)
{
    if (cap == 0)
        return out;
    if (!strchr(in, '<') && !strstr(in, "__cxx11::")) {
        snprintf(out, cap, "%s", in);
        return out;
    }
    struct tn_buf o = {.n = 0};
    o.s[0] = '\0';
    const char *p = in;
    rewrite(&p, &o, 0, 0);
    snprintf(out, cap, "%s", o.overflow ? in : o.s);
    return out;
}
