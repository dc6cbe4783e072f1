/*
 * ce-agent: ChaosEdge's node-side probe agent. One long-running process per probe and node, linked statically, so it
 * needs nothing on the node but the kernel: no shell tools, no dig, no runtime. Built for linux-x64 and linux-arm64 by
 * the harness's build (see ChaosEdge.Harness.csproj), embedded in the harness, uploaded once per node and verified by
 * its SHA-256.
 *
 *   ce-agent clock                                       the node's monotonic clock (ns), for the harness's mapping
 *   ce-agent dns SERVER NAME INTERVAL_MS DURATION_S      A queries for NAME to SERVER:53, a new UDP socket each
 *   ce-agent addr IFACE ADDRESS DURATION_S               whether IFACE carries ADDRESS, from the kernel's netlink events
 *   ce-agent volume DEVICE SLOTS INTERVAL_MS DURATION_S [FIRST]   numbered 4 KiB blocks, O_DIRECT|O_DSYNC
 *   ce-agent readback DEVICE SLOTS                       the first SLOTS blocks, O_DIRECT, as one line of base64
 *
 * Every streaming mode prints "pgid <process group>" first, stamps its lines with CLOCK_MONOTONIC (ns; latencies in
 * us), never queues work behind a slow sample, and ends by itself after DURATION_S — or at once when the harness
 * closes the stream (the next line written gets SIGPIPE; addr and dns write at least four lines a second).
 *
 * dns: "<sent> <latency> <RCODE>" per query (NOERROR, NXDOMAIN, SERVFAIL, ...), or "<sent> <latency> NOANSWER" when no
 *   answer came within 1 s, or at once when the kernel refused it (an ICMP error). At most 1 s / INTERVAL queries are
 *   outstanding, each from its own socket and source port; a tick the agent was too late for is skipped (the harness
 *   sees the gap as missed samples).
 * addr: "owner 0|1 <ns>" for the state listed at start, then "listed", then "owner 0|1 <ns>" at every change (the
 *   kernel's own RTM_NEWADDR / RTM_DELADDR), and "tick" every 250 ms as a heartbeat.
 * volume: write N (FIRST, FIRST+1, ...) puts one block into slot N % SLOTS: "s N SLOT <sent>" as it is sent, then
 *   "a N <latency> OK" or "a N <latency> ERR <reason>". Writes run on their own threads, at most 256 at once. TERM
 *   stops the writing; writes in flight still report (up to 1.5 s), then the agent exits 0.
 *   The block's text layout is ProbeBlock.CreateText's: "CEVOLTXT %016d %08d <sha256 hex>\n", then
 *   "ce-volume-probe seq N slot M\n" repeated to 4096 bytes; the hash covers the first 35 bytes and the payload.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define TEXT_PREFIX 35
#define TEXT_PAYLOAD 100
#define MAX_WRITERS 256

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t stopping;

static void on_term(int signal_number)
{
    (void)signal_number;
    stopping = 1;
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* One whole line per write(2), so lines from threads never interleave and a closed stream is noticed at once. */
static void emit(const char *format, ...)
{
    char line[512];
    va_list args;
    va_start(args, format);
    int n = vsnprintf(line, sizeof line - 1, format, args);
    va_end(args);
    if (n < 0) return;
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    pthread_mutex_lock(&out_lock);
    ssize_t w = write(STDOUT_FILENO, line, (size_t)n);
    pthread_mutex_unlock(&out_lock);
    if (w < 0) _exit(0);
}

static void die(int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    exit(code);
}

static long number(const char *text, const char *what, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || end == text || v < min || v > max) die(2, "ce-agent: %s '%s' is not a number from %ld to %ld", what, text, min, max);
    return v;
}

/*
 * A node may name a cgroup its measuring agents belong in: the first line of /etc/chaosedge/agent-cgroup is a
 * cgroup.procs file the agent moves itself into. The virtual lab uses it so its agents keep the harness's CPU weight
 * rather than the lab's deliberately low one (they are the instrument, not the system under test); without the file,
 * as on a stock node, nothing changes.
 */
static void join_agent_cgroup(void)
{
    char path[512];
    FILE *hint = fopen("/etc/chaosedge/agent-cgroup", "re");
    if (hint == NULL) return;
    char *line = fgets(path, sizeof path, hint);
    fclose(hint);
    if (line == NULL) return;
    path[strcspn(path, "\r\n")] = 0;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    if (fd < 0 || write(fd, pid, (size_t)n) != n) fprintf(stderr, "ce-agent: could not join the agent cgroup '%s': %s\n", path, strerror(errno));
    if (fd >= 0) close(fd);
}

static void sleep_until(int64_t at)
{
    struct timespec t = { .tv_sec = at / 1000000000, .tv_nsec = at % 1000000000 };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR && !stopping) {}
}

/* ---- SHA-256 (FIPS 180-4), for the volume blocks' checksum ---- */

typedef struct { uint32_t h[8]; uint64_t length; uint8_t buffer[64]; size_t used; } sha256;

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(sha256 *s, const uint8_t *p)
{
    uint32_t w[64], a, b, c, d, e, f, g, h;
    for (int i = 0; i < 16; i++) w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++)
    {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3]; e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
    for (int i = 0; i < 64; i++)
    {
        uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d; s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

static void sha256_init(sha256 *s)
{
    static const uint32_t init[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(s->h, init, sizeof init);
    s->length = 0;
    s->used = 0;
}

static void sha256_add(sha256 *s, const uint8_t *p, size_t n)
{
    s->length += n;
    while (n > 0)
    {
        size_t take = 64 - s->used < n ? 64 - s->used : n;
        memcpy(s->buffer + s->used, p, take);
        s->used += take; p += take; n -= take;
        if (s->used == 64) { sha256_block(s, s->buffer); s->used = 0; }
    }
}

static void sha256_hex(sha256 *s, char *hex)
{
    uint64_t bits = s->length * 8;
    uint8_t pad = 0x80, zero = 0, len[8];
    sha256_add(s, &pad, 1);
    while (s->used != 56) sha256_add(s, &zero, 1);
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
    sha256_add(s, len, 8);
    for (int i = 0; i < 8; i++) sprintf(hex + 8 * i, "%08x", s->h[i]);
}

/* ---- clock ---- */

static int run_clock(void)
{
    printf("%lld\n", (long long)now_ns());
    return 0;
}

/* ---- dns ---- */

#define DNS_SLOTS 256
#define DNS_TIMEOUT_NS 1000000000LL

static const char *rcode_name(int rcode)
{
    static const char *names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED" };
    static char other[16];
    if (rcode >= 0 && rcode < 6) return names[rcode];
    snprintf(other, sizeof other, "RCODE%d", rcode);
    return other;
}

/* One query: its own connected UDP socket (so its own source port, as a stub resolver uses), its id and send time. */
struct dns_query { int fd; uint16_t id; int64_t sent; };

static void dns_report(struct dns_query *query, int64_t at, const char *outcome)
{
    emit("%lld %lld %s", (long long)query->sent, (long long)((at - query->sent) / 1000), outcome);
    close(query->fd);
    query->fd = -1;
}

/* Reads what the query's socket holds: an answer to it, or the ICMP error the kernel queued (port unreachable). */
static void dns_receive(struct dns_query *query)
{
    uint8_t answer[1500];
    for (;;)
    {
        ssize_t n = recv(query->fd, answer, sizeof answer, 0);
        int64_t at = now_ns();
        if (n < 0)
        {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == EINTR) continue;
            /* Refused or unreachable at once: an answerless query, reported now (its latency tells it from a timeout). */
            dns_report(query, at, "NOANSWER");
            return;
        }

        /* Anything but an answer to this query's id is ignored. */
        if (n < 12 || (uint16_t)(answer[0] << 8 | answer[1]) != query->id || (answer[2] & 0x80) == 0) continue;
        dns_report(query, at, rcode_name(answer[3] & 0x0f));
        return;
    }
}

static int dns_send(struct dns_query *query, const struct sockaddr_in *server, uint8_t *packet, size_t length, uint16_t id)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    query->fd = fd;
    query->id = id;
    query->sent = now_ns();
    packet[0] = (uint8_t)(id >> 8);
    packet[1] = (uint8_t)id;
    if (connect(fd, (const struct sockaddr *)server, sizeof *server) < 0 || send(fd, packet, length, 0) < 0)
    {
        /* No route, or refused at once: an answerless query, reported when it times out. */
    }

    return 0;
}

static int run_dns(char **argv)
{
    struct sockaddr_in server = { .sin_family = AF_INET, .sin_port = htons(53) };
    if (inet_pton(AF_INET, argv[0], &server.sin_addr) != 1) die(2, "ce-agent: '%s' is not an IPv4 address", argv[0]);
    const char *name = argv[1];
    int64_t interval = number(argv[2], "interval", 10, 60000) * 1000000LL;
    int64_t duration = number(argv[3], "duration", 1, 31 * 24 * 3600) * 1000000000LL;

    uint8_t packet[300];
    size_t q = 12;
    memset(packet, 0, 12);
    packet[2] = 0x01; /* RD */
    packet[5] = 1;    /* QDCOUNT */
    for (const char *label = name; *label;)
    {
        const char *dot = strchr(label, '.');
        size_t n = dot ? (size_t)(dot - label) : strlen(label);
        if (n == 0 || n > 63 || q + n + 6 > sizeof packet) die(2, "ce-agent: '%s' is not a DNS name", name);
        packet[q++] = (uint8_t)n;
        memcpy(packet + q, label, n);
        q += n;
        label += n + (dot ? 1 : 0);
    }
    packet[q++] = 0;
    packet[q++] = 0; packet[q++] = 1; /* QTYPE A */
    packet[q++] = 0; packet[q++] = 1; /* QCLASS IN */

    /* A new socket per query: a stub resolver's source port changes from lookup to lookup, so each query is a flow
       of its own to kube-proxy's load balancing and to conntrack. One long-lived socket would be one flow, pinned to
       whichever endpoint its first packet was sent to, and would show neither the spread over replicas nor the
       recovery that a real client sees. */
    struct dns_query queries[DNS_SLOTS];
    struct pollfd polled[DNS_SLOTS];
    int polled_slot[DNS_SLOTS];
    for (int i = 0; i < DNS_SLOTS; i++) queries[i].fd = -1;
    int64_t start = now_ns(), end = start + duration, next = start;
    uint16_t id = (uint16_t)(getpid() * 7919);
    emit("pgid %d", (int)getpgrp());
    for (int ending = 0;;)
    {
        int64_t now = now_ns();
        if (!ending && now >= next)
        {
            if (now >= end)
            {
                /* The last queries get their timeout too. */
                ending = 1;
            }
            else
            {
                /* A tick the agent was too late for is skipped, never sent late: the harness sees the gap. */
                while (next + interval / 2 < now) next += interval;
                id++;
                struct dns_query *query = &queries[id % DNS_SLOTS];
                if (query->fd < 0 && dns_send(query, &server, packet, q, id) < 0)
                {
                    die(3, "ce-agent: cannot open a UDP socket to %s:53: %s", argv[0], strerror(errno));
                }

                next += interval;
            }
        }

        /* Every outstanding query past its timeout is reported as NOANSWER. */
        now = now_ns();
        int open = 0;
        for (int i = 0; i < DNS_SLOTS; i++)
        {
            if (queries[i].fd < 0) continue;
            if (now - queries[i].sent >= DNS_TIMEOUT_NS) dns_report(&queries[i], now, "NOANSWER");
            else { polled[open] = (struct pollfd){ .fd = queries[i].fd, .events = POLLIN }; polled_slot[open++] = i; }
        }

        if (ending && open == 0) break;
        int64_t wait = (ending ? now + 10000000LL : next) - now_ns();
        if (wait <= 0) continue;
        if (open == 0)
        {
            sleep_until(now_ns() + wait);
            continue;
        }

        if (poll(polled, (nfds_t)open, (int)((wait + 999999) / 1000000)) > 0)
        {
            for (int i = 0; i < open; i++)
            {
                if (polled[i].revents != 0) dns_receive(&queries[polled_slot[i]]);
            }
        }
    }

    return 0;
}

/* ---- addr ---- */

static int addr_request_dump(int fd)
{
    struct { struct nlmsghdr h; struct ifaddrmsg a; } request = {
        .h = { .nlmsg_len = sizeof request, .nlmsg_type = RTM_GETADDR, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
        .a = { .ifa_family = AF_INET },
    };
    return send(fd, &request, sizeof request, 0) < 0 ? -1 : 0;
}

/* Applies one netlink buffer: returns 1 when the dump ended in it. *owner is updated for ADDRESS on IFINDEX. */
static int addr_apply(const uint8_t *buffer, ssize_t length, unsigned ifindex, struct in_addr address, int *owner, int listed)
{
    int done = 0;
    for (const struct nlmsghdr *h = (const struct nlmsghdr *)buffer; NLMSG_OK(h, (unsigned)length); h = NLMSG_NEXT(h, length))
    {
        if (h->nlmsg_type == NLMSG_DONE) { done = 1; continue; }
        if (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR) continue;
        const struct ifaddrmsg *a = NLMSG_DATA(h);
        if (a->ifa_family != AF_INET || a->ifa_index != ifindex) continue;
        int attributes = (int)IFA_PAYLOAD(h);
        for (const struct rtattr *r = IFA_RTA(a); RTA_OK(r, attributes); r = RTA_NEXT(r, attributes))
        {
            if ((r->rta_type == IFA_LOCAL || r->rta_type == IFA_ADDRESS) && RTA_PAYLOAD(r) == 4 && memcmp(RTA_DATA(r), &address, 4) == 0)
            {
                int now_owner = h->nlmsg_type == RTM_NEWADDR;
                if (now_owner != *owner)
                {
                    *owner = now_owner;
                    if (listed) emit("owner %d %lld", now_owner, (long long)now_ns());
                }
                break;
            }
        }
    }

    return done;
}

static int run_addr(char **argv)
{
    unsigned ifindex = if_nametoindex(argv[0]);
    if (ifindex == 0) die(3, "ce-agent: no interface '%s' on this node", argv[0]);
    struct in_addr address;
    if (inet_pton(AF_INET, argv[1], &address) != 1) die(2, "ce-agent: '%s' is not an IPv4 address", argv[1]);
    int64_t end = now_ns() + number(argv[2], "duration", 1, 31 * 24 * 3600) * 1000000000LL;

    /* Subscribed before listing: no change can fall between the listing and the events. */
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct sockaddr_nl local = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR };
    if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof local) < 0 || addr_request_dump(fd) < 0) die(3, "ce-agent: netlink: %s", strerror(errno));
    int size = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

    emit("pgid %d", (int)getpgrp());
    static uint8_t buffer[1 << 16];
    int owner = 0, listed = 0;
    int64_t heartbeat = now_ns() + 250000000;
    for (;;)
    {
        int64_t now = now_ns();
        if (now >= end) break;
        if (now >= heartbeat)
        {
            emit("tick");
            heartbeat += 250000000;
            if (heartbeat < now) heartbeat = now + 250000000;
        }

        struct pollfd p = { .fd = fd, .events = POLLIN };
        int wait = (int)((heartbeat - now + 999999) / 1000000);
        if (poll(&p, 1, wait < 0 ? 0 : wait) <= 0) continue;
        ssize_t n = recv(fd, buffer, sizeof buffer, 0);
        if (n < 0)
        {
            if (errno == ENOBUFS)
            {
                /* Events were lost: list again, so the state is exact. */
                addr_request_dump(fd);
                continue;
            }

            if (errno == EINTR) continue;
            die(3, "ce-agent: netlink: %s", strerror(errno));
        }

        if (addr_apply(buffer, n, ifindex, address, &owner, listed) && !listed)
        {
            emit("owner %d %lld", owner, (long long)now_ns());
            emit("listed");
            listed = 1;
        }
    }

    return 0;
}

/* ---- volume ---- */

typedef struct { int fd; long slots; } volume;

typedef struct { volume *v; long long seq; int64_t sent; uint8_t *block; } write_job;

static pthread_mutex_t writers_lock = PTHREAD_MUTEX_INITIALIZER;
static int writers;

static void build_block(uint8_t *block, long long seq, long slot)
{
    char prefix[64], line[96], hex[65];
    snprintf(prefix, sizeof prefix, "CEVOLTXT %016lld %08ld ", seq, slot);
    int n = snprintf(line, sizeof line, "ce-volume-probe seq %lld slot %ld\n", seq, slot);
    memcpy(block, prefix, TEXT_PREFIX);
    for (int i = TEXT_PAYLOAD; i < BLOCK; i += n) memcpy(block + i, line, (size_t)(BLOCK - i < n ? BLOCK - i : n));
    sha256 s;
    sha256_init(&s);
    sha256_add(&s, block, TEXT_PREFIX);
    sha256_add(&s, block + TEXT_PAYLOAD, BLOCK - TEXT_PAYLOAD);
    sha256_hex(&s, hex);
    memcpy(block + TEXT_PREFIX, hex, 64);
    block[TEXT_PAYLOAD - 1] = '\n';
}

static void *write_one(void *argument)
{
    write_job *job = argument;
    long slot = (long)(job->seq % job->v->slots);
    ssize_t n = pwrite(job->v->fd, job->block, BLOCK, (off_t)slot * BLOCK);
    int error = errno;
    int64_t latency = (now_ns() - job->sent) / 1000;
    if (n == BLOCK) emit("a %lld %lld OK", job->seq, (long long)latency);
    else emit("a %lld %lld ERR %s", job->seq, (long long)latency, n < 0 ? strerror(error) : "short write");
    free(job->block);
    free(job);
    pthread_mutex_lock(&writers_lock);
    writers--;
    pthread_mutex_unlock(&writers_lock);
    return NULL;
}

static int run_volume(int argc, char **argv)
{
    const char *device = argv[0];
    volume v = { .slots = number(argv[1], "slots", 1, 1 << 20) };
    int64_t interval = number(argv[2], "interval", 1, 60000) * 1000000LL;
    int64_t duration = number(argv[3], "duration", 1, 31 * 24 * 3600) * 1000000000LL;
    long long seq = argc > 4 ? number(argv[4], "first", 1, 1L << 52) : 1;
    struct stat st;
    if (stat(device, &st) < 0 || !S_ISBLK(st.st_mode)) die(3, "ce-agent: '%s' is not a block device on this node", device);
    v.fd = open(device, O_WRONLY | O_DIRECT | O_DSYNC | O_CLOEXEC);
    if (v.fd < 0) die(3, "ce-agent: '%s' cannot be opened for writing: %s", device, strerror(errno));

    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attributes, 64 * 1024);
    emit("pgid %d", (int)getpgrp());
    int64_t start = now_ns(), end = start + duration, next = start;
    /* TERM ends the writing, not the writes: those in flight still report (for up to 1.5 s), so the harness can end
       the agent without losing the answers of writes the storage has already taken. */
    struct sigaction term = { .sa_handler = on_term };
    sigaction(SIGTERM, &term, NULL);
    for (;; seq++)
    {
        int64_t now = now_ns();
        if (now >= end || stopping) break;
        while (next + interval / 2 < now) next += interval;
        pthread_mutex_lock(&writers_lock);
        int busy = writers >= MAX_WRITERS;
        if (!busy) writers++;
        pthread_mutex_unlock(&writers_lock);
        if (busy)
        {
            /* Every writer is stalled: this tick is not sent, and the harness sees the gap. */
            seq--;
        }
        else
        {
            write_job *job = malloc(sizeof *job);
            if (job == NULL || posix_memalign((void **)&job->block, BLOCK, BLOCK) != 0) die(4, "ce-agent: out of memory");
            job->v = &v;
            job->seq = seq;
            build_block(job->block, seq, (long)(seq % v.slots));
            job->sent = now_ns();
            emit("s %lld %ld %lld", seq, (long)(seq % v.slots), (long long)job->sent);
            pthread_t thread;
            if (pthread_create(&thread, &attributes, write_one, job) != 0) die(4, "ce-agent: cannot start a writer thread");
        }

        next += interval;
        sleep_until(next);
    }

    /* Writes in flight end with their own answer; after a TERM, for at most 1.5 s. */
    for (int64_t give_up = now_ns() + 1500000000LL;;)
    {
        pthread_mutex_lock(&writers_lock);
        int left = writers;
        pthread_mutex_unlock(&writers_lock);
        if (left == 0 || (stopping && now_ns() > give_up)) break;
        usleep(10000);
    }

    return 0;
}

static int run_readback(char **argv)
{
    long slots = number(argv[1], "slots", 1, 1 << 20);
    int fd = open(argv[0], O_RDONLY | O_DIRECT | O_CLOEXEC);
    if (fd < 0) die(3, "ce-agent: '%s' cannot be opened for reading: %s", argv[0], strerror(errno));
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t *block;
    if (posix_memalign((void **)&block, BLOCK, BLOCK * 3) != 0) die(4, "ce-agent: out of memory");
    /* Three blocks at a time: 12288 bytes encode to base64 without padding in between. */
    char out[BLOCK * 4 + 4];
    for (long i = 0; i < slots; i += 3)
    {
        long count = slots - i < 3 ? slots - i : 3;
        ssize_t n = pread(fd, block, (size_t)(count * BLOCK), (off_t)i * BLOCK);
        if (n != count * BLOCK) die(3, "ce-agent: reading '%s' at block %ld failed: %s", argv[0], i, n < 0 ? strerror(errno) : "short read");
        size_t o = 0;
        for (ssize_t j = 0; j < n; j += 3)
        {
            uint32_t v = (uint32_t)block[j] << 16 | (j + 1 < n ? (uint32_t)block[j + 1] << 8 : 0) | (j + 2 < n ? block[j + 2] : 0);
            out[o++] = table[v >> 18 & 63];
            out[o++] = table[v >> 12 & 63];
            out[o++] = j + 1 < n ? table[v >> 6 & 63] : '=';
            out[o++] = j + 2 < n ? table[v & 63] : '=';
        }

        if (fwrite(out, 1, o, stdout) != o) return 1;
    }

    putchar('\n');
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *usage = "usage: ce-agent clock | dns SERVER NAME INTERVAL_MS DURATION_S | addr IFACE ADDRESS DURATION_S | volume DEVICE SLOTS INTERVAL_MS DURATION_S [FIRST] | readback DEVICE SLOTS";
    if (argc < 2) die(2, "%s", usage);
    signal(SIGPIPE, SIG_DFL);
    if (strcmp(argv[1], "clock") != 0 && strcmp(argv[1], "readback") != 0) join_agent_cgroup();
    if (!strcmp(argv[1], "clock") && argc == 2) return run_clock();
    if (!strcmp(argv[1], "dns") && argc == 6) return run_dns(argv + 2);
    if (!strcmp(argv[1], "addr") && argc == 5) return run_addr(argv + 2);
    if (!strcmp(argv[1], "volume") && (argc == 6 || argc == 7)) return run_volume(argc - 2, argv + 2);
    if (!strcmp(argv[1], "readback") && argc == 4) return run_readback(argv + 2);
    die(2, "%s", usage);
    return 2;
}
