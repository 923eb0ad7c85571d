/*
 * compile.c - the compile driver (see compile.h).
 *
 * Precompiled headers: gcc accepts one PCH, as the first thing included.
 * We read the run of `#include <...>` lines at the top of the source (with
 * blank lines and comments between them) and, when a PCH of exactly that
 * list exists in the cache, pass it with -include. Every header of the list
 * is then already seen and its include guards make the source's own
 * #include lines no-ops, so nothing changes but the time. The PCH is built
 * the first time a list is seen, from standard headers only (never from user
 * text), with the very same flags as the program. Where none can be built
 * (a read-only installation, a full cache), the PCH of the largest part of
 * the list is used instead (pch_part says why that is exact too).
 */
#include "tracer/compile.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tracer/sandbox.h"
#include "tracer/target.h"

#define MAX_PCH_HEADERS 32
#define SHIM "#define union struct"

static const char *const cxx_flags[] = {"-std=c++17", "-g", "-O0", "-fno-omit-frame-pointer",
                                        "-fcf-protection=none", "-fno-pie", "-fmax-errors=50",
                                        "-fdiagnostics-color=never", "-pipe", NULL};
static const char *const c_flags[] = {"-std=c11", "-g", "-O0", "-fno-omit-frame-pointer",
                                      "-fcf-protection=none", "-fno-pie", "-fmax-errors=50",
                                      "-fdiagnostics-color=never", "-pipe", NULL};

int tr_compile_has_shim(const char *code, size_t len)
{
    size_t slen = strlen(SHIM);
    return code && len >= slen && strncmp(code, SHIM, slen) == 0 &&
           (len == slen || code[slen] == '\n' || code[slen] == '\r');
}

void tr_compile_result_free(struct tr_compile_result *r)
{
    if (!r)
        return;
    free(r->diagnostics);
    free(r->error_msg);
    r->diagnostics = r->error_msg = NULL;
}

/* 0644: the compiler may run as the run's uid; the directory (0700, the
   run's or the PCH cache's) is what keeps others out. */
static int write_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return -1;
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return close(fd);
}

/* Run argv sandboxed with output to out_path; 0 = ran (status set),
   1 = limit hit (killed), -1 = could not run. */
static int run_tool(const char *const argv[], const char *dir, const char *out_path,
                    int64_t deadline_ms, const struct tr_sandbox *sb, int *status)
{
    struct tr_limits lim;
    tr_limits_default(&lim);
    lim.cpu_soft_s = (unsigned)(TR_LIMIT_COMPILE_WALL_MS / 1000);
    lim.cpu_hard_s = lim.cpu_soft_s + 1;
    lim.as_bytes = TR_LIMIT_COMPILE_AS;
    lim.fsize = TR_LIMIT_COMPILE_FSIZE;
    lim.nofile = 256;
    lim.nproc = tr_sandbox_nproc(sb);
    struct tr_launch l = {.exe = argv[0], .run_dir = dir, .stdin_path = "/dev/null",
                          .stdout_path = out_path, .stderr_path = out_path, .limits = &lim,
                          .sandbox = sb};
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        tr_sandbox_exec(&l, argv, 0);
    setpgid(pid, pid);
    return tr_sandbox_wait(pid, deadline_ms, status);
}

/* ---- the source's leading includes -------------------------------------- */

struct include_list {
    char names[MAX_PCH_HEADERS][64];
    size_t n;
};

/* Standard headers only: a name of letters, digits, '_', '/', '.', '+'. */
static int header_name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= 64 || s[0] == '/' || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(c == '_' || c == '/' || c == '.' || c == '+' || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return 0;
        if (c == '.' && i + 1 < n && s[i + 1] == '.')
            return 0;
    }
    return 1;
}

static void leading_includes(const char *code, size_t len, struct include_list *out)
{
    size_t i = 0;
    int in_comment = 0;
    out->n = 0;
    while (i < len) {
        size_t eol = i;
        while (eol < len && code[eol] != '\n')
            eol++;
        const char *p = code + i, *e = code + eol;
        while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (in_comment) {
            const char *end = strstr(p, "*/");
            if (!end || end >= e)
                goto next;
            in_comment = 0;
            p = end + 2;
            while (p < e && (*p == ' ' || *p == '\t' || *p == '\r'))
                p++;
        }
        if (p == e || (e - p >= 2 && p[0] == '/' && p[1] == '/'))
            goto next;
        if (e - p >= 2 && p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            if (!end || end >= e) {
                in_comment = 1;
                goto next;
            }
            const char *rest = end + 2;
            while (rest < e && (*rest == ' ' || *rest == '\t' || *rest == '\r'))
                rest++;
            if (rest == e)
                goto next;
            return;
        }
        if (i == 0 && (size_t)(e - p) >= strlen(SHIM) && strncmp(p, SHIM, strlen(SHIM)) == 0)
            goto next; /* the See++ shim line becomes empty */
        if (*p != '#')
            return;
        p++;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        if (e - p < 8 || strncmp(p, "include", 7) != 0)
            return;
        p += 7;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        if (p >= e || *p != '<')
            return;
        const char *name = ++p;
        while (p < e && *p != '>')
            p++;
        if (p >= e || !header_name_ok(name, (size_t)(p - name)) || out->n == MAX_PCH_HEADERS)
            return;
        /* nothing but space or a comment may follow on the line */
        for (const char *q = p + 1; q < e; q++) {
            if (*q == '/' && q + 1 < e && q[1] == '/')
                break;
            if (*q != ' ' && *q != '\t' && *q != '\r')
                return;
        }
        memcpy(out->names[out->n], name, (size_t)(p - name));
        out->names[out->n][p - name] = '\0';
        out->n++;
    next:
        i = eol + 1;
    }
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

static const char *compiler_for(enum tr_lang lang)
{
    return lang == TR_LANG_C ? "/usr/bin/gcc" : "/usr/bin/g++";
}

/* Every distinct list of leading includes would get its own PCH (3 to
   100 MiB each, 1-2 s of CPU to build): past a cap, new lists compile
   without one. The common lists are built ahead (tr_compile_warm_pch). */
#define PCH_MAX_FILES 32
#define PCH_MAX_BYTES (1536ull << 20)
/* The spill directory sits in Lambda's /tmp (512 MiB by default), which the
   runs need too. */
#define PCH_SPILL_MAX_BYTES (256ull << 20)
#define PCH_MAX_NOTED 256 /* lists seen once in the spill directory */

/* How a PCH directory is filled. */
struct pch_policy {
    unsigned long long max_bytes;
    int note_first; /* a list seen the first time is only noted (a file NAME.seen):
                       building costs 2-3 compiles, worth it for a list that comes back */
};
static const struct pch_policy installed_pch = {PCH_MAX_BYTES, 0};
static const struct pch_policy spill_pch = {PCH_SPILL_MAX_BYTES, 1};

static int pch_cache_full(const char *pch_dir, const struct pch_policy *pol)
{
    DIR *d = opendir(pch_dir);
    if (!d)
        return 1;
    size_t files = 0, noted = 0;
    unsigned long long bytes = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        struct stat st;
        if (n > 5 && strcmp(e->d_name + n - 5, ".seen") == 0)
            noted++;
        if (n < 4 || strcmp(e->d_name + n - 4, ".gch") != 0 ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        files++;
        bytes += (unsigned long long)st.st_size;
    }
    closedir(d);
    return files >= PCH_MAX_FILES || bytes >= pol->max_bytes || noted >= PCH_MAX_NOTED;
}

/* The runtime's clock (sppmon.h). A PCH is always built with it: gcc 12
   crashes (ICE in its sancov pass) compiling with the flag against a PCH
   built without it, while a PCH built with it serves compiles with and
   without the flag (the flag instruments code generation, which a PCH
   does not hold). */
#define CLOCK_FLAG "-fsanitize-coverage=trace-pc"

/* The name of the PCH header for this list: a hash of everything a PCH
   must match (compiler, version, flags, the list). 0, or -1 if too long. */
static int pch_path(const char *pch_dir, enum tr_lang lang, const struct include_list *inc,
                    char *hdr, size_t hdrlen)
{
    const char *const *flags = lang == TR_LANG_C ? c_flags : cxx_flags;
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv1a(h, compiler_for(lang));
    h = fnv1a(h, SPP_VERSION);
    for (size_t i = 0; flags[i]; i++)
        h = fnv1a(h, flags[i]);
    h = fnv1a(h, CLOCK_FLAG);
    for (size_t i = 0; i < inc->n; i++)
        h = fnv1a(fnv1a(h, inc->names[i]), "\n");
    int n = snprintf(hdr, hdrlen, "%s/%016llx.%s", pch_dir, (unsigned long long)h,
                     lang == TR_LANG_C ? "h" : "hpp");
    return n < 0 || (size_t)n >= hdrlen ? -1 : 0;
}

/* Path of the PCH header for this list; builds the .gch if missing.
   0 = usable, -1 = not available. */
static int pch_for(const char *pch_dir, const struct pch_policy *pol, enum tr_lang lang,
                   const struct include_list *inc, int64_t deadline_ms,
                   const struct tr_sandbox *sb, char *hdr, size_t hdrlen)
{
    const char *const *flags = lang == TR_LANG_C ? c_flags : cxx_flags;
    if (pch_path(pch_dir, lang, inc, hdr, hdrlen) != 0)
        return -1;
    char gch[4200];
    snprintf(gch, sizeof gch, "%s.gch", hdr);
    /* The compiler may run as the run's uid: the cache must be readable,
       and is writable by us only (older caches were made 0700). */
    struct stat st;
    if (stat(pch_dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
        (st.st_mode & 0755) != 0755)
        chmod(pch_dir, 0755);
    if (access(gch, R_OK) == 0 && access(hdr, R_OK) == 0) {
        if (stat(hdr, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 0044) != 0044)
            chmod(hdr, 0644);
        return 0;
    }

    /* Build it: header text, then the .gch under a temporary name. */
    if (mkdir(pch_dir, 0755) != 0 && errno != EEXIST)
        return -1;
    if (pch_cache_full(pch_dir, pol))
        return -1; /* compile without: a PCH per include list must not fill the disk */
    if (pol->note_first) {
        char seen[4200];
        snprintf(seen, sizeof seen, "%s.seen", hdr);
        int fd = open(seen, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0)
            close(fd);
        if (fd >= 0 || errno != EEXIST)
            return -1; /* first sight (or cannot note it): compile without */
    }
    char text[MAX_PCH_HEADERS * 80];
    size_t used = 0;
    for (size_t i = 0; i < inc->n; i++) {
        int k = snprintf(text + used, sizeof text - used, "#include <%s>\n", inc->names[i]);
        if (k < 0 || (size_t)k >= sizeof text - used)
            return -1;
        used += (size_t)k;
    }
    char tmp_hdr[4200], tmp_gch[4200], log[4200];
    snprintf(tmp_hdr, sizeof tmp_hdr, "%s.%d.tmp", hdr, (int)getpid());
    snprintf(tmp_gch, sizeof tmp_gch, "%s.%d.tmp.gch", hdr, (int)getpid());
    snprintf(log, sizeof log, "%s.%d.log", hdr, (int)getpid());
    if (write_file(tmp_hdr, text, used) != 0)
        return -1;
    const char *argv[32];
    size_t a = 0;
    argv[a++] = compiler_for(lang);
    for (size_t i = 0; flags[i]; i++)
        argv[a++] = flags[i];
    argv[a++] = CLOCK_FLAG;
    argv[a++] = "-x";
    argv[a++] = lang == TR_LANG_C ? "c-header" : "c++-header";
    argv[a++] = tmp_hdr;
    argv[a++] = "-o";
    argv[a++] = tmp_gch;
    argv[a] = NULL;
    /* Standard headers only, never user text: built as ourselves (the
       cache is ours) but otherwise in the same sandbox. */
    struct tr_sandbox as_us;
    if (sb) {
        as_us = *sb;
        as_us.uid = 0;
        as_us.gid = 0;
    }
    int status = 0;
    int rc = run_tool(argv, pch_dir, log, deadline_ms, sb ? &as_us : NULL, &status);
    int ok = rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
             rename(tmp_hdr, hdr) == 0 && rename(tmp_gch, gch) == 0;
    unlink(tmp_hdr);
    unlink(tmp_gch);
    unlink(log);
    return ok ? 0 : -1;
}

/* ---- a PCH of part of the list ------------------------------------------ */

/* The list a PCH header holds: its "#include <name>" lines, as pch_for
   writes them. 0, or -1 when the file is not such a header. */
static int pch_list(int dfd, const char *name, struct include_list *out)
{
    char text[MAX_PCH_HEADERS * 80 + 1];
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0 || (size_t)n == sizeof text - 1)
        return -1;
    text[n] = '\0';
    out->n = 0;
    for (char *p = text; *p;) {
        char *eol = strchr(p, '\n');
        if (!eol)
            return -1;
        size_t len = (size_t)(eol - p);
        if (len < 12 || strncmp(p, "#include <", 10) != 0 || p[len - 1] != '>' ||
            out->n == MAX_PCH_HEADERS || !header_name_ok(p + 10, len - 11))
            return -1;
        memcpy(out->names[out->n], p + 10, len - 11);
        out->names[out->n++][len - 11] = '\0';
        p = eol + 1;
    }
    return out->n ? 0 : -1;
}

static int list_has(const struct include_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return 1;
    return 0;
}

/* No PCH of exactly the source's leading includes: the largest one of a
   part of them. The C and C++ standards let standard headers be included
   in any order (C++ [using.headers], C11 7.1.2), so a PCH of some of the
   list, then the source's own #include lines, declares exactly what the
   list alone would: nothing the source did not include becomes visible
   (a PCH holding a header outside the list is never taken). A file counts
   only when its name is the hash of the list it holds, which also proves
   it was built by this version with these flags. The largest .gch saves
   the most parsing. *best: the size to beat, updated with hdr. */
static void pch_part(const char *pch_dir, enum tr_lang lang, const struct include_list *inc,
                     off_t *best, char *hdr, size_t hdrlen)
{
    DIR *d = opendir(pch_dir);
    if (!d)
        return;
    const char *ext = lang == TR_LANG_C ? ".h" : ".hpp";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct include_list have;
        char path[4200], gch[4300];
        struct stat st;
        size_t k = 0;
        if (strlen(e->d_name) != 16 + strlen(ext) || strcmp(e->d_name + 16, ext) != 0 ||
            pch_list(dirfd(d), e->d_name, &have) != 0)
            continue;
        while (k < have.n && list_has(inc, have.names[k]))
            k++;
        if (k < have.n || pch_path(pch_dir, lang, &have, path, sizeof path) != 0 ||
            strcmp(path + strlen(pch_dir) + 1, e->d_name) != 0)
            continue;
        snprintf(gch, sizeof gch, "%s.gch", path);
        if (stat(gch, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= *best ||
            access(gch, R_OK) != 0 || access(path, R_OK) != 0)
            continue;
        *best = st.st_size;
        snprintf(hdr, hdrlen, "%s", path);
    }
    closedir(d);
}

/* ---- diagnostics --------------------------------------------------------- */

static char *read_capped(const char *path, size_t cap, size_t *len, int *truncated)
{
    *len = 0;
    *truncated = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char *buf = malloc(cap + 1);
    if (!buf) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (fd >= 0) {
        ssize_t n;
        while (*len < cap && (n = read(fd, buf + *len, cap - *len)) > 0)
            *len += (size_t)n;
        char extra;
        if (*len == cap && read(fd, &extra, 1) == 1)
            *truncated = 1;
        close(fd);
    }
    buf[*len] = '\0';
    return buf;
}

/* Remove every "<dir>/" from text: diagnostics name the source the way the
   user knows it ("main.cpp:5: ..."), not by our run directory. */
static void strip_prefix(char *text, size_t *len, const char *dir)
{
    size_t dlen = strlen(dir);
    char *w = text;
    for (const char *r = text; *r;) {
        if (strncmp(r, dir, dlen) == 0 && r[dlen] == '/') {
            r += dlen + 1;
            continue;
        }
        *w++ = *r++;
    }
    *w = '\0';
    *len = (size_t)(w - text);
}

/* First "main.cpp:L:C: error: text" (or a link error) in the diagnostics. */
static void first_error(struct tr_compile_result *r)
{
    const char *d = r->diagnostics ? r->diagnostics : "";
    size_t nlen = strlen(r->src_name);
    const char *fallback = NULL;
    for (const char *line = d; *line;) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *err = memmem(line, len, "error: ", 7);
        const char *undef = memmem(line, len, "undefined reference to", 22);
        if (err || undef) {
            int lno = 0;
            const char *at = line;
            while (at && at < line + len) {
                /* "main.cpp:12:" at the start or after a directory */
                if ((at == line || at[-1] == '/') && strncmp(at, r->src_name, nlen) == 0 &&
                    at[nlen] == ':') {
                    /* strtol, not atoi: `#line 99999999999` is the
                       student's to write, and atoi's overflow is undefined */
                    long v = strtol(at + nlen + 1, NULL, 10);
                    lno = v > 0 && v <= INT_MAX ? (int)v : 0;
                    break;
                }
                at = memmem(at + 1, (size_t)(line + len - at - 1), r->src_name, nlen);
            }
            const char *text = undef && !err ? undef : err;
            size_t tlen = len - (size_t)(text - line);
            if (lno || undef) {
                r->error_line = lno;
                r->error_msg = strndup(text, tlen);
                return;
            }
            if (!fallback)
                fallback = text;
            if (!r->error_msg)
                r->error_msg = strndup(text, tlen);
        }
        line = eol ? eol + 1 : line + len;
    }
    if (!r->error_msg)
        r->error_msg = strdup(r->limit_hit ? "the compiler ran out of time or memory"
                                           : "compilation failed");
}

/* Does the source use the words new or delete (anywhere: a false hit only
   costs time)? */
static int mentions_new_or_delete(const char *code, size_t len)
{
    static const char *const words[] = {"new", "delete"};
    for (size_t w = 0; w < 2; w++) {
        size_t n = strlen(words[w]);
        for (const char *p = code; (p = memmem(p, len - (size_t)(p - code), words[w], n));
             p += n) {
            int before = p > code && (isalnum((unsigned char)p[-1]) || p[-1] == '_');
            int after = p + n < code + len &&
                        (isalnum((unsigned char)p[n]) || p[n] == '_');
            if (!before && !after)
                return 1;
            if ((size_t)(p + n - code) >= len)
                break;
        }
    }
    return 0;
}

/* ---- compile ------------------------------------------------------------- */

/* We may read the PCH (root reads anything), the compiler's uid may not:
   gcc would then say "Permission denied" about a file the student never
   wrote. An installation problem: say so, name the file. 1 = unreadable. */
static int pch_unreadable(const struct tr_compile_opts *o, const char *hdr, char *errbuf)
{
    const struct tr_sandbox *sb = o->sandbox;
    if (!sb || !sb->uid)
        return 0;
    char gch[4300], why[4400];
    snprintf(gch, sizeof gch, "%s.gch", hdr);
    const char *files[] = {hdr, gch};
    for (size_t i = 0; i < 2; i++) {
        if (tr_sandbox_readable_by(files[i], sb->uid, sb->gid, why, sizeof why))
            continue;
        /* its real place: the PCH cache may be bound into the run dir */
        const char *base = strrchr(files[i], '/');
        struct stat st;
        unsigned mode = stat(files[i], &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0u;
        snprintf(errbuf, TR_ERRBUF_LEN,
                 "installation problem, not the program's: the precompiled header %s/%s "
                 "(mode %04o) cannot be read by the sandbox's user: chmod a+r it, or "
                 "delete it to have it rebuilt",
                 o->pch_origin ? o->pch_origin : o->pch_dir, base ? base + 1 : files[i], mode);
        return 1;
    }
    return 0;
}

enum tr_err tr_compile(const struct tr_compile_opts *o, struct tr_compile_result *r,
                       char *errbuf)
{
    memset(r, 0, sizeof *r);
    snprintf(r->src_name, sizeof r->src_name, "%s", o->lang == TR_LANG_C ? "main.c" : "main.cpp");
    int64_t deadline = o->deadline_ms ? o->deadline_ms : tr_now_ms() + TR_LIMIT_COMPILE_WALL_MS;
    char src[sizeof r->exe], out[sizeof r->exe], diag[sizeof r->exe];
    if (strlen(o->run_dir) > sizeof r->exe - 32) {
        snprintf(errbuf, TR_ERRBUF_LEN, "run directory path too long");
        return TR_ERR_SYS;
    }
    snprintf(src, sizeof src, "%s/%s", o->run_dir, r->src_name);
    snprintf(out, sizeof out, "%s/prog", o->run_dir);
    snprintf(diag, sizeof diag, "%s/cc.out", o->run_dir);

    /* The See++ shim would break layouts: blank its line, keep numbering. */
    size_t slen = strlen(SHIM);
    const char *code = o->code;
    size_t len = o->code_len;
    char *patched = NULL;
    if (tr_compile_has_shim(code, len)) {
        size_t skip = slen + (len > slen && code[slen] == '\r');
        patched = malloc(len - skip + 1);
        if (!patched) {
            snprintf(errbuf, TR_ERRBUF_LEN, "out of memory");
            return TR_ERR_NOMEM;
        }
        memcpy(patched, code + skip, len - skip);
        code = patched;
        len -= skip;
    }
    int wrote = write_file(src, code, len);
    free(patched);
    if (wrote != 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "cannot write the source: %s", strerror(errno));
        return TR_ERR_SYS;
    }

    char pch_hdr[4200];
    struct include_list inc;
    leading_includes(o->code, o->code_len, &inc);
    if (o->pch_dir && inc.n &&
        pch_for(o->pch_dir, &installed_pch, o->lang, &inc, deadline, o->sandbox, pch_hdr,
                sizeof pch_hdr) == 0)
        r->used_pch = 1;
    /* A list the read-only installation lacks is built once where we may
       write, so a warm service pays the full compile of it once. */
    if (!r->used_pch && o->pch_spill_dir && inc.n &&
        (!o->pch_dir || access(o->pch_dir, W_OK) != 0) &&
        pch_for(o->pch_spill_dir, &spill_pch, o->lang, &inc, deadline, o->sandbox,
                pch_hdr, sizeof pch_hdr) == 0)
        r->used_pch = 1;
    if (!r->used_pch && inc.n) {
        off_t best = 0;
        if (o->pch_dir)
            pch_part(o->pch_dir, o->lang, &inc, &best, pch_hdr, sizeof pch_hdr);
        if (o->pch_spill_dir && (!o->pch_dir || access(o->pch_dir, W_OK) != 0))
            pch_part(o->pch_spill_dir, o->lang, &inc, &best, pch_hdr, sizeof pch_hdr);
        r->used_pch = best > 0;
    }
    if (r->used_pch && pch_unreadable(o, pch_hdr, errbuf))
        return TR_ERR_COMPILE;

    const char *argv[40];
    size_t a = 0;
    const char *const *flags = o->lang == TR_LANG_C ? c_flags : cxx_flags;
    argv[a++] = compiler_for(o->lang);
    for (size_t i = 0; flags[i]; i++)
        argv[a++] = flags[i];
    if (o->clock)
        argv[a++] = CLOCK_FLAG;
    if (r->used_pch) {
        argv[a++] = "-include";
        argv[a++] = pch_hdr;
    }
    argv[a++] = r->src_name;
    if (o->rt_obj)
        argv[a++] = o->rt_obj;
    if (o->lang == TR_LANG_CXX && mentions_new_or_delete(o->code, o->code_len)) {
        /* keep libstdc++ loaded even when only new/delete are used: the
           runtime forwards them to libstdc++'s own (see tracer/rt), so
           memcheck knows new from malloc. Only then: loading libstdc++
           costs ~170 ms under Valgrind. */
        argv[a++] = "-Wl,--push-state,--no-as-needed";
        argv[a++] = "-lstdc++";
        argv[a++] = "-Wl,--pop-state";
    }
    argv[a++] = "-no-pie";
    if (access("/usr/bin/ld.gold", X_OK) == 0)
        argv[a++] = "-fuse-ld=gold";
    argv[a++] = "-o";
    argv[a++] = out;
    argv[a] = NULL;

    int status = 0;
    int rc = run_tool(argv, o->run_dir, diag, deadline, o->sandbox, &status);
    if (rc < 0) {
        snprintf(errbuf, TR_ERRBUF_LEN, "cannot run the compiler: %s", strerror(errno));
        return TR_ERR_COMPILE;
    }
    r->limit_hit = rc == 1 || (WIFSIGNALED(status) && (WTERMSIG(status) == SIGKILL ||
                                                       WTERMSIG(status) == SIGXCPU));
    r->diagnostics = read_capped(diag, TR_LIMIT_DIAGNOSTICS, &r->diag_len, &r->diag_truncated);
    if (!r->diagnostics) {
        snprintf(errbuf, TR_ERRBUF_LEN, "out of memory");
        return TR_ERR_NOMEM;
    }
    strip_prefix(r->diagnostics, &r->diag_len, o->run_dir);
    r->ok = rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (r->ok) {
        snprintf(r->exe, sizeof r->exe, "%s", out);
    } else {
        /* A compiler that died of a signal while "the program" was fine
           means a limit (memory: cc1plus gets SIGSEGV/ABRT on AS limit). */
        if (WIFSIGNALED(status))
            r->limit_hit = 1;
        if (strstr(r->diagnostics, "out of memory") || strstr(r->diagnostics, "virtual memory exhausted") ||
            strstr(r->diagnostics, "cannot allocate memory"))
            r->limit_hit = 1;
        first_error(r);
    }
    return TR_OK;
}

enum tr_err tr_compile_warm_pch(const char *pch_dir, char *errbuf)
{
    /* Lists students write, and heavy headers alone: a source's list that
       is none of them compiles with the largest of them it contains
       (pch_part), e.g. <cstdio> <queue> with <queue>. */
    static const char *const sets[][5] = {
        {"iostream", NULL},
        {"iostream", "string", NULL},
        {"iostream", "vector", NULL},
        {"iostream", "string", "vector", NULL},
        {"iostream", "vector", "algorithm", NULL},
        {"cstdio", NULL},
        {"cstdio", "vector", NULL},
        {"vector", NULL},
        {"string", NULL},
        {"string", "vector", NULL},
        {"algorithm", NULL},
        {"algorithm", "string", "vector", NULL},
        {"map", NULL},
        {"queue", NULL},
    };
    static const char *const csets[][3] = {
        {"stdio.h", NULL},
        {"stdio.h", "stdlib.h", NULL},
        {"stdlib.h", NULL},
    };
    char hdr[4200];
    int64_t deadline = tr_now_ms() + 120000;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        struct include_list inc = {.n = 0};
        for (size_t k = 0; sets[i][k]; k++)
            snprintf(inc.names[inc.n++], 64, "%s", sets[i][k]);
        if (pch_for(pch_dir, &installed_pch, TR_LANG_CXX, &inc, deadline, NULL, hdr,
                    sizeof hdr) != 0) {
            snprintf(errbuf, TR_ERRBUF_LEN, "cannot build the PCH for <%s> in %s", sets[i][0],
                     pch_dir);
            return TR_ERR_COMPILE;
        }
    }
    for (size_t i = 0; i < sizeof csets / sizeof csets[0]; i++) {
        struct include_list inc = {.n = 0};
        for (size_t k = 0; csets[i][k]; k++)
            snprintf(inc.names[inc.n++], 64, "%s", csets[i][k]);
        if (pch_for(pch_dir, &installed_pch, TR_LANG_C, &inc, deadline, NULL, hdr,
                    sizeof hdr) != 0) {
            snprintf(errbuf, TR_ERRBUF_LEN, "cannot build the PCH for <%s> in %s",
                     csets[i][0], pch_dir);
            return TR_ERR_COMPILE;
        }
    }
    return TR_OK;
}
