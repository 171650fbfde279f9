/*
 * visa_standin.c — a minimal stand-in for a vendor VISA shared library, for tests only.
 *
 * Implements the subset of the VISA C API (IVI VPP-4.3.2) that CimHil's VisaTransport calls — viOpenDefaultRM,
 * viOpen, viClose, viWrite, viRead, viSetAttribute, viClear, viFindRsrc, viFindNext, viStatusDesc — with the
 * 64-bit VISA type sizes (ViSession = 32-bit, ViAttrState = 64-bit), and forwards I/O to a TCP socket.
 * Only "TCPIP[n]::host::port::SOCKET" resources open; viFindRsrc lists $CIMHIL_VISA_STANDIN_RESOURCES
 * (separated by ';'). Build: gcc -shared -fPIC -O2 -o libvisa_standin.so visa_standin.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int32_t ViStatus;
typedef uint32_t ViSession;
typedef uint32_t ViUInt32;
typedef uint32_t ViAttr;
typedef uint64_t ViAttrState;

#define VI_SUCCESS 0
#define VI_SUCCESS_TERM_CHAR 0x3FFF0005
#define VI_SUCCESS_MAX_CNT 0x3FFF0006
#define VI_ERROR_INV_OBJECT ((ViStatus)0xBFFF000E)
#define VI_ERROR_INV_RSRC_NAME ((ViStatus)0xBFFF0012)
#define VI_ERROR_RSRC_NFOUND ((ViStatus)0xBFFF0011)
#define VI_ERROR_TMO ((ViStatus)0xBFFF0015)
#define VI_ERROR_NSUP_ATTR ((ViStatus)0xBFFF001D)
#define VI_ERROR_IO ((ViStatus)0xBFFF003E)
#define VI_ERROR_CONN_LOST ((ViStatus)0xBFFF00A6)
#define VI_ERROR_ALLOC ((ViStatus)0xBFFF003C)

#define VI_ATTR_TMO_VALUE 0x3FFF001A
#define VI_ATTR_TERMCHAR 0x3FFF0018
#define VI_ATTR_TERMCHAR_EN 0x3FFF0038
#define VI_ATTR_SEND_END_EN 0x3FFF0016
#define VI_ATTR_ASRL_BAUD 0x3FFF0021
#define VI_ATTR_ASRL_DATA_BITS 0x3FFF0022
#define VI_ATTR_ASRL_PARITY 0x3FFF0023
#define VI_ATTR_ASRL_STOP_BITS 0x3FFF0024
#define VI_ATTR_ASRL_FLOW_CNTRL 0x3FFF0025
#define VI_ATTR_ASRL_END_IN 0x3FFF00B3

#define RM_HANDLE 1u
#define FIRST_SESSION 100u
#define MAX_SESSIONS 64
#define FIND_BASE 1000u
#define MAX_FIND 8
#define MAX_FOUND 32
#define BUFLEN 65536

struct session {
    int used;
    int fd;
    uint32_t timeout_ms;
    unsigned char termchar;
    int termchar_en;
    unsigned char buf[BUFLEN];
    size_t start, end;
};

struct find_list {
    int used;
    int count, next;
    char names[MAX_FOUND][256];
};

static struct session sessions[MAX_SESSIONS];
static struct find_list finds[MAX_FIND];

static struct session *lookup(ViSession vi)
{
    if (vi < FIRST_SESSION || vi >= FIRST_SESSION + MAX_SESSIONS) return NULL;
    struct session *s = &sessions[vi - FIRST_SESSION];
    return s->used ? s : NULL;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ViStatus viOpenDefaultRM(ViSession *rm)
{
    if (!rm) return VI_ERROR_INV_OBJECT;
    *rm = RM_HANDLE;
    return VI_SUCCESS;
}

/* Parses TCPIP[n]::host::port::SOCKET (case-insensitive keywords). */
static int parse_socket(const char *rsrc, char *host, size_t hostlen, char *port, size_t portlen)
{
    if (strncasecmp(rsrc, "TCPIP", 5) != 0) return -1;
    const char *p = rsrc + 5;
    while (*p >= '0' && *p <= '9') p++;
    if (strncmp(p, "::", 2) != 0) return -1;
    p += 2;
    const char *h_end = strstr(p, "::");
    if (!h_end || (size_t)(h_end - p) >= hostlen) return -1;
    memcpy(host, p, h_end - p);
    host[h_end - p] = 0;
    p = h_end + 2;
    const char *p_end = strstr(p, "::");
    if (!p_end || (size_t)(p_end - p) >= portlen) return -1;
    memcpy(port, p, p_end - p);
    port[p_end - p] = 0;
    return strcasecmp(p_end + 2, "SOCKET") == 0 ? 0 : -1;
}

ViStatus viOpen(ViSession rm, const char *rsrc, ViUInt32 mode, ViUInt32 timeout_ms, ViSession *vi)
{
    (void)mode;
    if (rm != RM_HANDLE || !rsrc || !vi) return VI_ERROR_INV_OBJECT;
    char host[256], port[16];
    if (parse_socket(rsrc, host, sizeof host, port, sizeof port) != 0) return VI_ERROR_RSRC_NFOUND;

    int slot = -1;
    for (int i = 0; i < MAX_SESSIONS; i++) {
        if (!sessions[i].used) { slot = i; break; }
    }
    if (slot < 0) return VI_ERROR_ALLOC;

    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res) return VI_ERROR_RSRC_NFOUND;
    int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd < 0) { freeaddrinfo(res); return VI_ERROR_IO; }
    struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int rc = connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0) {
        int e = errno;
        close(fd);
        return (e == EINPROGRESS || e == ETIMEDOUT) ? VI_ERROR_TMO : VI_ERROR_RSRC_NFOUND;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    struct session *s = &sessions[slot];
    memset(s, 0, sizeof *s);
    s->used = 1;
    s->fd = fd;
    s->timeout_ms = 2000;
    s->termchar = '\n';
    s->termchar_en = 0; /* VISA default: VI_FALSE */
    *vi = FIRST_SESSION + (ViSession)slot;
    return VI_SUCCESS;
}

ViStatus viClose(ViSession vi)
{
    if (vi == RM_HANDLE) return VI_SUCCESS;
    if (vi >= FIND_BASE && vi < FIND_BASE + MAX_FIND) {
        finds[vi - FIND_BASE].used = 0;
        return VI_SUCCESS;
    }
    struct session *s = lookup(vi);
    if (!s) return VI_ERROR_INV_OBJECT;
    close(s->fd);
    s->used = 0;
    return VI_SUCCESS;
}

ViStatus viSetAttribute(ViSession vi, ViAttr attr, ViAttrState value)
{
    struct session *s = lookup(vi);
    if (!s) return VI_ERROR_INV_OBJECT;
    switch (attr) {
    case VI_ATTR_TMO_VALUE: s->timeout_ms = (uint32_t)value; return VI_SUCCESS;
    case VI_ATTR_TERMCHAR: s->termchar = (unsigned char)value; return VI_SUCCESS;
    case VI_ATTR_TERMCHAR_EN: s->termchar_en = value != 0; return VI_SUCCESS;
    case VI_ATTR_SEND_END_EN:
    case VI_ATTR_ASRL_BAUD:
    case VI_ATTR_ASRL_DATA_BITS:
    case VI_ATTR_ASRL_PARITY:
    case VI_ATTR_ASRL_STOP_BITS:
    case VI_ATTR_ASRL_FLOW_CNTRL:
    case VI_ATTR_ASRL_END_IN:
        return VI_SUCCESS;
    default:
        return VI_ERROR_NSUP_ATTR;
    }
}

ViStatus viWrite(ViSession vi, const unsigned char *buf, ViUInt32 count, ViUInt32 *written)
{
    struct session *s = lookup(vi);
    if (!s) return VI_ERROR_INV_OBJECT;
    size_t done = 0;
    while (done < count) {
        ssize_t n = send(s->fd, buf + done, count - done, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (written) *written = (ViUInt32)done;
            return (errno == EAGAIN || errno == EWOULDBLOCK) ? VI_ERROR_TMO : VI_ERROR_CONN_LOST;
        }
        done += (size_t)n;
    }
    if (written) *written = (ViUInt32)done;
    return VI_SUCCESS;
}

ViStatus viRead(ViSession vi, unsigned char *buf, ViUInt32 count, ViUInt32 *read_count)
{
    struct session *s = lookup(vi);
    if (!s) return VI_ERROR_INV_OBJECT;
    long long deadline = now_ms() + s->timeout_ms;
    ViUInt32 got = 0;
    for (;;) {
        while (s->start < s->end && got < count) {
            unsigned char b = s->buf[s->start++];
            buf[got++] = b;
            if (s->termchar_en && b == s->termchar) {
                if (read_count) *read_count = got;
                return VI_SUCCESS_TERM_CHAR;
            }
        }
        if (got == count) {
            if (read_count) *read_count = got;
            return VI_SUCCESS_MAX_CNT;
        }
        s->start = s->end = 0;
        long long left = deadline - now_ms();
        if (left <= 0) {
            if (read_count) *read_count = got;
            return VI_ERROR_TMO;
        }
        struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
        int pr = poll(&pfd, 1, (int)left);
        if (pr < 0 && errno == EINTR) continue;
        if (pr == 0) continue;
        ssize_t n = recv(s->fd, s->buf, BUFLEN, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (read_count) *read_count = got;
            return VI_ERROR_CONN_LOST;
        }
        s->end = (size_t)n;
    }
}

ViStatus viClear(ViSession vi)
{
    struct session *s = lookup(vi);
    if (!s) return VI_ERROR_INV_OBJECT;
    s->start = s->end = 0;
    unsigned char scratch[4096];
    while (recv(s->fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0) {
    }
    return VI_SUCCESS;
}

/* VISA expressions use '?' for one character and '*' for "repeat the previous"; "?*" (anything) is the common case. */
static int visa_match(const char *expr, const char *name)
{
    char pattern[512];
    size_t j = 0;
    for (size_t i = 0; expr[i] && j < sizeof pattern - 1; i++) {
        if (expr[i] == '?' && expr[i + 1] == '*') { pattern[j++] = '*'; i++; }
        else pattern[j++] = expr[i];
    }
    pattern[j] = 0;
    return fnmatch(pattern, name, FNM_CASEFOLD) == 0;
}

ViStatus viFindRsrc(ViSession rm, const char *expr, ViSession *find_list, ViUInt32 *ret_count, char desc[256])
{
    if (rm != RM_HANDLE || !expr) return VI_ERROR_INV_OBJECT;
    int slot = -1;
    for (int i = 0; i < MAX_FIND; i++) {
        if (!finds[i].used) { slot = i; break; }
    }
    if (slot < 0) return VI_ERROR_ALLOC;
    struct find_list *f = &finds[slot];
    memset(f, 0, sizeof *f);
    const char *env = getenv("CIMHIL_VISA_STANDIN_RESOURCES");
    if (env) {
        char copy[4096];
        snprintf(copy, sizeof copy, "%s", env);
        char *save = NULL;
        for (char *tok = strtok_r(copy, ";", &save); tok && f->count < MAX_FOUND; tok = strtok_r(NULL, ";", &save)) {
            if (visa_match(expr, tok)) snprintf(f->names[f->count++], 256, "%s", tok);
        }
    }
    if (f->count == 0) {
        if (ret_count) *ret_count = 0;
        return VI_ERROR_RSRC_NFOUND;
    }
    f->used = 1;
    f->next = 1;
    if (find_list) *find_list = FIND_BASE + (ViSession)slot;
    if (ret_count) *ret_count = (ViUInt32)f->count;
    if (desc) snprintf(desc, 256, "%s", f->names[0]);
    return VI_SUCCESS;
}

ViStatus viFindNext(ViSession find_list, char desc[256])
{
    if (find_list < FIND_BASE || find_list >= FIND_BASE + MAX_FIND) return VI_ERROR_INV_OBJECT;
    struct find_list *f = &finds[find_list - FIND_BASE];
    if (!f->used || f->next >= f->count) return VI_ERROR_RSRC_NFOUND;
    if (desc) snprintf(desc, 256, "%s", f->names[f->next]);
    f->next++;
    return VI_SUCCESS;
}

ViStatus viStatusDesc(ViSession vi, ViStatus status, char desc[256])
{
    (void)vi;
    const char *text;
    switch (status) {
    case VI_SUCCESS: text = "VI_SUCCESS: Operation completed successfully."; break;
    case VI_ERROR_TMO: text = "VI_ERROR_TMO: Timeout expired before operation completed."; break;
    case VI_ERROR_RSRC_NFOUND: text = "VI_ERROR_RSRC_NFOUND: Insufficient location information or resource not present."; break;
    case VI_ERROR_CONN_LOST: text = "VI_ERROR_CONN_LOST: The connection for the given session has been lost."; break;
    case VI_ERROR_IO: text = "VI_ERROR_IO: Could not perform operation because of I/O error."; break;
    case VI_ERROR_NSUP_ATTR: text = "VI_ERROR_NSUP_ATTR: The specified attribute is not defined or supported."; break;
    case VI_ERROR_INV_OBJECT: text = "VI_ERROR_INV_OBJECT: The given session or object reference is invalid."; break;
    default: text = "Unknown VISA status."; break;
    }
    snprintf(desc, 256, "%s", text);
    return VI_SUCCESS;
}
