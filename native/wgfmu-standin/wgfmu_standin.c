/*
 * wgfmu_standin.c — a stand-in for the Keysight B1530A WGFMU instrument library (wgfmu.h), for tests and CI only.
 *
 * Exports the WGFMU_* functions CimHil calls, with the exact C signatures of wgfmu.h (B1530A Instrument Library
 * reference, "WGFMU Instrument Library Functions"), and forwards every call as one text line over TCP to the
 * emulated WGFMU, per docs/wgfmu-standin.md (the "call-line" protocol). WGFMU_openSession accepts only
 * "TCPIP[n]::host::port::SOCKET". Like the vendor library it holds one session per process.
 * Build: gcc -shared -fPIC -O2 -o libwgfmu_standin.so wgfmu_standin.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <locale.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* wgfmu.h "API Return Value - Error Code". */
#define WGFMU_NO_ERROR 0
#define WGFMU_PARAMETER_OUT_OF_RANGE_ERROR (-1)
#define WGFMU_ILLEGAL_STRING_ERROR (-2)
#define WGFMU_CONTEXT_ERROR (-3)
#define WGFMU_COMMUNICATION_ERROR (-5)
#define WGFMU_LIBRARY_ERROR (-7)

/* Default reply timeout until WGFMU_setTimeout is called (seconds). */
#define DEFAULT_TIMEOUT_SECONDS 60.0

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static int sock = -1;
static char *reply;          /* the last reply line, NUL-terminated, without LF */
static size_t reply_capacity;
static char *pending;        /* bytes received after the last LF */
static size_t pending_length, pending_capacity;
/* An error raised by the stand-in itself (refused argument, broken link): served locally by getErrorSize/getError. */
static char local_error[512];
static locale_t c_locale;

static void set_local_error(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(local_error, sizeof local_error, fmt, args);
    va_end(args);
}

/* Numbers on the wire are always in the C locale, whatever the host process set (%.17g round-trips a double). */
static locale_t numeric_locale(void)
{
    if (c_locale == (locale_t)0)
    {
        c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    }
    return c_locale;
}

static void set_timeout(double seconds)
{
    if (sock < 0 || !(seconds > 0))
    {
        return;
    }
    struct timeval tv;
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void drop_link(void)
{
    if (sock >= 0)
    {
        close(sock);
    }
    sock = -1;
    pending_length = 0;
}

/* Names travel in double quotes; anything that would break the line is refused before sending (docs/wgfmu-standin.md). */
static int check_name(const char *function, const char *what, const char *name)
{
    if (name == NULL || *name == '\0')
    {
        set_local_error("%s: %s is empty", function, what);
        return WGFMU_PARAMETER_OUT_OF_RANGE_ERROR;
    }
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
    {
        if (*p <= ' ' || *p == '"' || *p == 0x7F)
        {
            set_local_error("%s: %s \"%s\" contains a space, quote or control character (refused by the stand-in)", function, what, name);
            return WGFMU_PARAMETER_OUT_OF_RANGE_ERROR;
        }
    }
    return WGFMU_NO_ERROR;
}

static int send_all(const char *data, size_t length)
{
    while (length > 0)
    {
        ssize_t n = send(sock, data, length, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
        {
            continue;
        }
        if (n <= 0)
        {
            return -1;
        }
        data += n;
        length -= (size_t)n;
    }
    return 0;
}

/* Reads one LF-terminated line into `reply`. */
static int read_line(void)
{
    for (;;)
    {
        char *lf = memchr(pending, '\n', pending_length);
        if (lf != NULL)
        {
            size_t line = (size_t)(lf - pending);
            if (line + 1 > reply_capacity)
            {
                char *grown = realloc(reply, line + 1);
                if (grown == NULL)
                {
                    return -1;
                }
                reply = grown;
                reply_capacity = line + 1;
            }
            memcpy(reply, pending, line);
            if (line > 0 && reply[line - 1] == '\r')
            {
                line--;
            }
            reply[line] = '\0';
            size_t consumed = (size_t)(lf - pending) + 1;
            memmove(pending, pending + consumed, pending_length - consumed);
            pending_length -= consumed;
            return 0;
        }
        if (pending_capacity - pending_length < 65536)
        {
            size_t capacity = pending_capacity == 0 ? 131072 : pending_capacity * 2;
            char *grown = realloc(pending, capacity);
            if (grown == NULL)
            {
                return -1;
            }
            pending = grown;
            pending_capacity = capacity;
        }
        ssize_t n = recv(sock, pending + pending_length, pending_capacity - pending_length, 0);
        if (n < 0 && errno == EINTR)
        {
            continue;
        }
        if (n <= 0)
        {
            return -1;
        }
        pending_length += (size_t)n;
    }
}

/*
 * Sends one request line (printf-style, numbers in the C locale) and reads the reply line. Returns the status of
 * the reply; `*rest` points after the status. A broken link gives WGFMU_COMMUNICATION_ERROR with a local error text.
 */
static int call(const char *function, const char **rest, const char *fmt, ...)
{
    if (sock < 0)
    {
        set_local_error("%s: no session is open (call WGFMU_openSession first)", function);
        return WGFMU_CONTEXT_ERROR;
    }
    char stack[1024];
    char *line = stack;
    locale_t previous = uselocale(numeric_locale());
    va_list args;
    va_start(args, fmt);
    int length = vsnprintf(stack, sizeof stack, fmt, args);
    va_end(args);
    if (length >= (int)sizeof stack)
    {
        line = malloc((size_t)length + 1);
        if (line == NULL)
        {
            uselocale(previous);
            set_local_error("%s: out of memory", function);
            return WGFMU_LIBRARY_ERROR;
        }
        va_start(args, fmt);
        vsnprintf(line, (size_t)length + 1, fmt, args);
        va_end(args);
    }
    uselocale(previous);
    int sent = send_all(line, (size_t)length);
    if (line != stack)
    {
        free(line);
    }
    if (sent != 0 || read_line() != 0)
    {
        set_local_error("%s: the link to the WGFMU emulator failed (%s)", function, errno ? strerror(errno) : "closed");
        drop_link();
        return WGFMU_COMMUNICATION_ERROR;
    }
    char *end;
    long status = strtol(reply, &end, 10);
    if (end == reply)
    {
        set_local_error("%s: unparsable reply \"%.200s\"", function, reply);
        return WGFMU_COMMUNICATION_ERROR;
    }
    if (rest != NULL)
    {
        *rest = end;
    }
    local_error[0] = '\0';
    return (int)status;
}

static int parse_int(const char **cursor, int *value)
{
    char *end;
    long v = strtol(*cursor, &end, 10);
    if (end == *cursor)
    {
        return -1;
    }
    *value = (int)v;
    *cursor = end;
    return 0;
}

static int parse_double(const char **cursor, double *value)
{
    char *end;
    double v = strtod_l(*cursor, &end, numeric_locale());
    if (end == *cursor)
    {
        return -1;
    }
    *value = v;
    *cursor = end;
    return 0;
}

static int malformed(const char *function)
{
    set_local_error("%s: malformed reply \"%.200s\"", function, reply);
    return WGFMU_COMMUNICATION_ERROR;
}

/* A call whose only output is the status. */
#define SIMPLE_CALL(function, ...)                                    \
    pthread_mutex_lock(&gate);                                        \
    int status = call(function, NULL, function __VA_ARGS__);          \
    pthread_mutex_unlock(&gate);                                      \
    return status;

EXPORT int WGFMU_openSession(const char *address)
{
    pthread_mutex_lock(&gate);
    if (sock >= 0)
    {
        set_local_error("WGFMU_openSession: a session is already open");
        pthread_mutex_unlock(&gate);
        return WGFMU_CONTEXT_ERROR;
    }
    char host[256], port[32];
    unsigned board = 0;
    int used = 0;
    /* TCPIP[n]::host::port::SOCKET (VPP-4.3 raw socket resource). */
    if (address == NULL
        || (sscanf(address, "TCPIP%u::%255[^:]::%31[0-9]::SOCKET%n", &board, host, port, &used) != 3
            && sscanf(address, "TCPIP::%255[^:]::%31[0-9]::SOCKET%n", host, port, &used) != 2)
        || address[used] != '\0')
    {
        set_local_error("WGFMU_openSession: the stand-in opens only TCPIP[n]::host::port::SOCKET, not \"%s\"", address ? address : "(null)");
        pthread_mutex_unlock(&gate);
        return WGFMU_PARAMETER_OUT_OF_RANGE_ERROR;
    }
    if (check_name("WGFMU_openSession", "address", address) != WGFMU_NO_ERROR)
    {
        pthread_mutex_unlock(&gate);
        return WGFMU_PARAMETER_OUT_OF_RANGE_ERROR;
    }
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &found);
    if (rc != 0)
    {
        set_local_error("WGFMU_openSession: cannot resolve %s (%s)", host, gai_strerror(rc));
        pthread_mutex_unlock(&gate);
        return WGFMU_COMMUNICATION_ERROR;
    }
    for (struct addrinfo *a = found; a != NULL && sock < 0; a = a->ai_next)
    {
        int s = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (s < 0)
        {
            continue;
        }
        if (connect(s, a->ai_addr, a->ai_addrlen) == 0)
        {
            int one = 1;
            setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            sock = s;
        }
        else
        {
            close(s);
        }
    }
    freeaddrinfo(found);
    if (sock < 0)
    {
        set_local_error("WGFMU_openSession: cannot connect to %s:%s (%s)", host, port, strerror(errno));
        pthread_mutex_unlock(&gate);
        return WGFMU_COMMUNICATION_ERROR;
    }
    set_timeout(DEFAULT_TIMEOUT_SECONDS);
    pending_length = 0;
    int status = call("WGFMU_openSession", NULL, "WGFMU_openSession \"%s\"\n", address);
    if (status != WGFMU_NO_ERROR && status != WGFMU_COMMUNICATION_ERROR)
    {
        /* The emulator refused the session: keep its error text locally, then drop the link so a new open can follow. */
        const char *rest;
        int length;
        char text[sizeof local_error];
        snprintf(text, sizeof text, "WGFMU_openSession: refused by %s:%s", host, port);
        if (call("WGFMU_getError", &rest, "WGFMU_getError %d\n", (int)sizeof local_error) == WGFMU_NO_ERROR
            && parse_int(&rest, &length) == 0)
        {
            snprintf(text, sizeof text, "%s", *rest == ' ' ? rest + 1 : rest);
        }
        drop_link();
        set_local_error("%s", text);
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_closeSession(void)
{
    pthread_mutex_lock(&gate);
    int status = call("WGFMU_closeSession", NULL, "WGFMU_closeSession\n");
    if (status == WGFMU_NO_ERROR)
    {
        drop_link();
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_initialize(void) { SIMPLE_CALL("WGFMU_initialize", "\n") }

EXPORT int WGFMU_clear(void) { SIMPLE_CALL("WGFMU_clear", "\n") }

EXPORT int WGFMU_setTimeout(double timeout)
{
    pthread_mutex_lock(&gate);
    int status = call("WGFMU_setTimeout", NULL, "WGFMU_setTimeout %.17g\n", timeout);
    if (status == WGFMU_NO_ERROR)
    {
        /* Replies may legitimately take as long as the library timeout (waitUntilCompleted); allow a margin. */
        set_timeout(timeout + 5.0);
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_getErrorSize(int *size)
{
    if (size == NULL)
    {
        return WGFMU_PARAMETER_OUT_OF_RANGE_ERROR;
    }
    pthread_mutex_lock(&gate);
    if (local_error[0] != '\0')
    {
        *size = (int)strlen(local_error);
        pthread_mutex_unlock(&gate);
        return WGFMU_NO_ERROR;
    }
    const char *rest;
    int status = call("WGFMU_getErrorSize", &rest, "WGFMU_getErrorSize\n");
    if (status == WGFMU_NO_ERROR && parse_int(&rest, size) != 0)
    {
        status = malformed("WGFMU_getErrorSize");
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_getError(char *error, int *size)
{
    if (error == NULL || size == NULL || *size <= 0)
    {
        return WGFMU_PARAMETER_OUT_OF_RANGE_ERROR;
    }
    pthread_mutex_lock(&gate);
    const char *text;
    int length;
    int status = WGFMU_NO_ERROR;
    char saved[sizeof local_error];
    if (local_error[0] != '\0')
    {
        /* Reading the error clears it, as in the vendor library. */
        strcpy(saved, local_error);
        local_error[0] = '\0';
        text = saved;
        length = (int)strlen(saved);
    }
    else
    {
        const char *rest;
        status = call("WGFMU_getError", &rest, "WGFMU_getError %d\n", *size);
        if (status == WGFMU_NO_ERROR)
        {
            if (parse_int(&rest, &length) != 0 || length < 0)
            {
                status = malformed("WGFMU_getError");
            }
            else
            {
                if (*rest == ' ')
                {
                    rest++;
                }
                text = rest;
                length = (int)strlen(rest);
            }
        }
    }
    if (status == WGFMU_NO_ERROR)
    {
        int copied = length < *size - 1 ? length : *size - 1;
        memcpy(error, text, (size_t)copied);
        error[copied] = '\0';
        *size = copied;
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_getChannelIdSize(int *size)
{
    if (size == NULL)
    {
        return WGFMU_PARAMETER_OUT_OF_RANGE_ERROR;
    }
    pthread_mutex_lock(&gate);
    const char *rest;
    int status = call("WGFMU_getChannelIdSize", &rest, "WGFMU_getChannelIdSize\n");
    if (status == WGFMU_NO_ERROR && parse_int(&rest, size) != 0)
    {
        status = malformed("WGFMU_getChannelIdSize");
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_getChannelIds(int *channelIds, int *size)
{
    if (channelIds == NULL || size == NULL || *size < 0)
    {
        return WGFMU_PARAMETER_OUT_OF_RANGE_ERROR;
    }
    pthread_mutex_lock(&gate);
    const char *rest;
    int status = call("WGFMU_getChannelIds", &rest, "WGFMU_getChannelIds %d\n", *size);
    int count;
    if (status == WGFMU_NO_ERROR)
    {
        if (parse_int(&rest, &count) != 0 || count < 0 || count > *size)
        {
            status = malformed("WGFMU_getChannelIds");
        }
        else
        {
            for (int i = 0; i < count && status == WGFMU_NO_ERROR; i++)
            {
                if (parse_int(&rest, &channelIds[i]) != 0)
                {
                    status = malformed("WGFMU_getChannelIds");
                }
            }
            if (status == WGFMU_NO_ERROR)
            {
                *size = count;
            }
        }
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_setOperationMode(int channelId, int operationMode) { SIMPLE_CALL("WGFMU_setOperationMode", " %d %d\n", channelId, operationMode) }

EXPORT int WGFMU_setForceVoltageRange(int channelId, int forceVoltageRange) { SIMPLE_CALL("WGFMU_setForceVoltageRange", " %d %d\n", channelId, forceVoltageRange) }

EXPORT int WGFMU_setMeasureMode(int channelId, int measureMode) { SIMPLE_CALL("WGFMU_setMeasureMode", " %d %d\n", channelId, measureMode) }

EXPORT int WGFMU_setMeasureCurrentRange(int channelId, int measureCurrentRange) { SIMPLE_CALL("WGFMU_setMeasureCurrentRange", " %d %d\n", channelId, measureCurrentRange) }

EXPORT int WGFMU_createPattern(const char *patternName, double initialVoltage)
{
    pthread_mutex_lock(&gate);
    int status = check_name("WGFMU_createPattern", "pattern name", patternName);
    if (status == WGFMU_NO_ERROR)
    {
        status = call("WGFMU_createPattern", NULL, "WGFMU_createPattern \"%s\" %.17g\n", patternName, initialVoltage);
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_addVector(const char *patternName, double deltaTime, double voltage)
{
    pthread_mutex_lock(&gate);
    int status = check_name("WGFMU_addVector", "pattern name", patternName);
    if (status == WGFMU_NO_ERROR)
    {
        status = call("WGFMU_addVector", NULL, "WGFMU_addVector \"%s\" %.17g %.17g\n", patternName, deltaTime, voltage);
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_setMeasureEvent(const char *patternName, const char *eventName, double time, int measurementPoints,
                                 double measurementInterval, double averagingTime, int rawData)
{
    pthread_mutex_lock(&gate);
    int status = check_name("WGFMU_setMeasureEvent", "pattern name", patternName);
    if (status == WGFMU_NO_ERROR)
    {
        status = check_name("WGFMU_setMeasureEvent", "event name", eventName);
    }
    if (status == WGFMU_NO_ERROR)
    {
        status = call("WGFMU_setMeasureEvent", NULL, "WGFMU_setMeasureEvent \"%s\" \"%s\" %.17g %d %.17g %.17g %d\n",
                      patternName, eventName, time, measurementPoints, measurementInterval, averagingTime, rawData);
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_addSequence(int channelId, const char *patternName, double loopCount)
{
    pthread_mutex_lock(&gate);
    int status = check_name("WGFMU_addSequence", "pattern name", patternName);
    if (status == WGFMU_NO_ERROR)
    {
        status = call("WGFMU_addSequence", NULL, "WGFMU_addSequence %d \"%s\" %.17g\n", channelId, patternName, loopCount);
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_connect(int channelId) { SIMPLE_CALL("WGFMU_connect", " %d\n", channelId) }

EXPORT int WGFMU_disconnect(int channelId) { SIMPLE_CALL("WGFMU_disconnect", " %d\n", channelId) }

EXPORT int WGFMU_execute(void) { SIMPLE_CALL("WGFMU_execute", "\n") }

EXPORT int WGFMU_waitUntilCompleted(void) { SIMPLE_CALL("WGFMU_waitUntilCompleted", "\n") }

EXPORT int WGFMU_getMeasureValueSize(int channelId, int *measuredSize, int *totalSize)
{
    if (measuredSize == NULL || totalSize == NULL)
    {
        return WGFMU_PARAMETER_OUT_OF_RANGE_ERROR;
    }
    pthread_mutex_lock(&gate);
    const char *rest;
    int status = call("WGFMU_getMeasureValueSize", &rest, "WGFMU_getMeasureValueSize %d\n", channelId);
    if (status == WGFMU_NO_ERROR && (parse_int(&rest, measuredSize) != 0 || parse_int(&rest, totalSize) != 0))
    {
        status = malformed("WGFMU_getMeasureValueSize");
    }
    pthread_mutex_unlock(&gate);
    return status;
}

EXPORT int WGFMU_getMeasureValues(int channelId, int offset, int *size, double *measureTimes, double *measureValues)
{
    if (size == NULL || measureTimes == NULL || measureValues == NULL || *size < 0)
    {
        return WGFMU_PARAMETER_OUT_OF_RANGE_ERROR;
    }
    pthread_mutex_lock(&gate);
    const char *rest;
    int status = call("WGFMU_getMeasureValues", &rest, "WGFMU_getMeasureValues %d %d %d\n", channelId, offset, *size);
    int count;
    if (status == WGFMU_NO_ERROR)
    {
        if (parse_int(&rest, &count) != 0 || count < 0 || count > *size)
        {
            status = malformed("WGFMU_getMeasureValues");
        }
        else
        {
            for (int i = 0; i < count && status == WGFMU_NO_ERROR; i++)
            {
                if (parse_double(&rest, &measureTimes[i]) != 0 || parse_double(&rest, &measureValues[i]) != 0)
                {
                    status = malformed("WGFMU_getMeasureValues");
                }
            }
            if (status == WGFMU_NO_ERROR)
            {
                *size = count;
            }
        }
    }
    pthread_mutex_unlock(&gate);
    return status;
}
