#include "activity/hook.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOOK_CHUNK 65536

/* Milliseconds of a monotonic clock. */
static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* A pipe whose two ends close on exec. */
static int
pipe_cloexec(int fd[2])
{

    if (pipe(fd)) {
        return (-1);
    }
    if (fcntl(fd[0], F_SETFD, FD_CLOEXEC) == -1 ||
        fcntl(fd[1], F_SETFD, FD_CLOEXEC) == -1) {
        close(fd[0]);
        close(fd[1]);
        return (-1);
    }
    return (0);
}

/* Close *${fd} if open and mark it closed. */
static void
xclose(int *fd)
{

    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

extern char **environ;

/* The hook's environment: ours without COFFRE_DOC_*, plus the two values.
 * Built before fork so that the child only calls async-signal-safe
 * functions.  Free with env_free(). */
static char **
env_new(const char *doc_class, const char *doc_name)
{
    char **env, *c, *n;
    size_t i, k = 0, count = 0;

    for (i = 0; environ != NULL && environ[i] != NULL; i++) {
        count++;
    }
    if ((env = calloc(count + 3, sizeof(*env))) == NULL) {
        return (NULL);
    }
    c = malloc(strlen("COFFRE_DOC_CLASS=") + strlen(doc_class) + 1);
    n = malloc(strlen("COFFRE_DOC_NAME=") + strlen(doc_name) + 1);
    if (c == NULL || n == NULL) {
        free(c);
        free(n);
        free(env);
        return (NULL);
    }
    strcat(strcpy(c, "COFFRE_DOC_CLASS="), doc_class);
    strcat(strcpy(n, "COFFRE_DOC_NAME="), doc_name);
    env[k++] = c;
    env[k++] = n;
    for (i = 0; i < count; i++) {
        if (strncmp(environ[i], "COFFRE_DOC_CLASS=", 17) != 0 &&
            strncmp(environ[i], "COFFRE_DOC_NAME=", 16) != 0) {
            env[k++] = environ[i];
        }
    }
    env[k] = NULL;
    return (env);
}

/* Free what env_new() made (the first two strings are ours). */
static void
env_free(char **env)
{

    if (env == NULL) {
        return;
    }
    free(env[0]);
    free(env[1]);
    free(env);
}

/* The child: wire the pipes, exec.  Never returns. */
static void
child(const char *path, char **env, int in, int out, int errfd)
{
    struct sigaction dfl;
    char *const argv[] = { (char *)(uintptr_t)path, NULL };
    int e;

    (void)setpgid(0, 0);
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(SIGPIPE, &dfl, NULL);
    if (dup2(in, STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1) {
        goto fail;
    }
    execve(path, argv, env);
fail:
    e = errno;
    /* Nothing more can be reported if this write fails. */
    (void)!write(errfd, &e, sizeof(e));
    _exit(127);
}

/* Append up to one chunk of the hook's output; 0 at EOF, 1 on data, -1 on
 * error, -2 when over the cap. */
static int
read_out(int fd, char **buf, size_t *len, size_t *cap, size_t max_out)
{
    char tmp[HOOK_CHUNK];
    ssize_t n;
    char *nb;

    n = read(fd, tmp, sizeof(tmp));
    if (n < 0) {
        return ((errno == EINTR || errno == EAGAIN) ? 1 : -1);
    }
    if (n == 0) {
        return (0);
    }
    if ((size_t)n > max_out - *len) {
        return (-2);
    }
    if (*len + (size_t)n + 1 > *cap) {
        size_t ncap = (*cap == 0) ? HOOK_CHUNK : *cap;

        while (ncap < *len + (size_t)n + 1) {
            ncap *= 2;
        }
        if ((nb = realloc(*buf, ncap)) == NULL) {
            return (-1);
        }
        *buf = nb;
        *cap = ncap;
    }
    memcpy(*buf + *len, tmp, (size_t)n);
    *len += (size_t)n;
    (*buf)[*len] = '\0';
    return (1);
}

/* Wait for ${pid} until ${deadline}; return 0 with its status, or -1 if it
 * is still running at the deadline. */
static int
wait_until(pid_t pid, int64_t deadline, int *status)
{
    struct timespec ts = { 0, 5 * 1000 * 1000 };
    pid_t r;

    for (;;) {
        r = waitpid(pid, status, WNOHANG);
        if (r == pid) {
            return (0);
        }
        if (r == -1 && errno != EINTR) {
            return (-1);
        }
        if (now_ms() >= deadline) {
            return (-1);
        }
        nanosleep(&ts, NULL);
    }
}

/* Feed the document and collect the output until EOF, the deadline or the
 * cap.  Return 0, -1 on error, HOOK_ETIMEOUT or HOOK_ETOOBIG. */
static int
exchange(int *in, int *out, const uint8_t *doc, size_t len,
    int64_t deadline, size_t max_out, char **buf, size_t *blen)
{
    struct pollfd pfd[2];
    size_t off = 0, cap = 0;
    int64_t left;
    ssize_t w;
    nfds_t n;
    int r;

    if (len == 0) {
        xclose(in);
    } else if (fcntl(*in, F_SETFL, O_NONBLOCK) == -1) {
        return (-1);
    }
    while (*out >= 0) {
        if ((left = deadline - now_ms()) <= 0) {
            return (HOOK_ETIMEOUT);
        }
        pfd[0].fd = *out;
        pfd[0].events = POLLIN;
        pfd[0].revents = 0;
        n = 1;
        if (*in >= 0) {
            pfd[1].fd = *in;
            pfd[1].events = POLLOUT;
            pfd[1].revents = 0;
            n = 2;
        }
        if (poll(pfd, n, (int)(left > 1000 ? 1000 : left)) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return (-1);
        }
        if (n == 2 && pfd[1].revents != 0) {
            size_t chunk = len - off > HOOK_CHUNK ? HOOK_CHUNK : len - off;

            w = write(*in, doc + off, chunk);
            if (w > 0) {
                off += (size_t)w;
            } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                off = len; /* the hook stopped reading: not an error */
            }
            if (off == len) {
                xclose(in);
            }
        }
        if (pfd[0].revents != 0) {
            r = read_out(*out, buf, blen, &cap, max_out);
            if (r == 0) {
                xclose(out);
            } else if (r == -2) {
                return (HOOK_ETOOBIG);
            } else if (r < 0) {
                return (-1);
            }
        }
    }
    return (0);
}

int
hook_run(const char *path, const char *doc_class, const char *doc_name,
    const uint8_t *doc, size_t len, unsigned timeout_ms, size_t max_out,
    char **out, size_t *outlen, char *err, size_t errlen)
{
    struct sigaction ign, old;
    int in[2] = { -1, -1 }, op[2] = { -1, -1 }, ep[2] = { -1, -1 };
    int64_t deadline = now_ms() + timeout_ms;
    char *buf = NULL, **env;
    size_t blen = 0;
    int rc = -1, status, e;
    ssize_t n;
    pid_t pid;

    /* Safe values on entry. */
    *out = NULL;
    *outlen = 0;
    snprintf(err, errlen, "system error");

    if ((env = env_new(doc_class, doc_name)) == NULL) {
        return (-1);
    }
    if (pipe_cloexec(in) || pipe_cloexec(op) || pipe_cloexec(ep)) {
        goto err0;
    }
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGPIPE, &ign, &old)) {
        goto err0;
    }
    if ((pid = fork()) == -1) {
        goto err1;
    }
    if (pid == 0) {
        child(path, env, in[0], op[1], ep[1]);
    }
    (void)setpgid(pid, pid); /* also done by the child; either may win */
    xclose(&in[0]);
    xclose(&op[1]);
    xclose(&ep[1]);

    /* The error pipe closes on exec, or carries the errno of a failure. */
    do {
        n = read(ep[0], &e, sizeof(e));
    } while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof(e)) {
        snprintf(err, errlen, "cannot run: %s", strerror(e));
        rc = HOOK_EEXEC;
        (void)waitpid(pid, &status, 0);
        goto err1;
    }

    rc = exchange(&in[1], &op[0], doc, len, deadline, max_out, &buf, &blen);
    if (rc == 0 && wait_until(pid, deadline, &status) != 0) {
        rc = HOOK_ETIMEOUT;
    }
    if (rc != 0) {
        (void)kill(-pid, SIGKILL);
        (void)kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) == -1 && errno == EINTR) {
            continue;
        }
        if (rc == HOOK_ETIMEOUT) {
            snprintf(err, errlen, "killed after %u ms", timeout_ms);
        } else if (rc == HOOK_ETOOBIG) {
            snprintf(err, errlen, "killed for printing more than %zu bytes",
                max_out);
        }
        goto err1;
    }
    if (WIFSIGNALED(status)) {
        snprintf(err, errlen, "died of signal %d", WTERMSIG(status));
        rc = HOOK_EFAILED;
        goto err1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "exited with status %d",
            WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        rc = HOOK_EFAILED;
        goto err1;
    }
    if (buf == NULL && (buf = calloc(1, 1)) == NULL) {
        rc = -1;
        goto err1;
    }
    (void)sigaction(SIGPIPE, &old, NULL);
    xclose(&in[1]);
    xclose(&op[0]);
    xclose(&ep[0]);
    env_free(env);
    *out = buf;
    *outlen = blen;
    err[0] = '\0';

    /* Success! */
    return (0);

err1:
    (void)sigaction(SIGPIPE, &old, NULL);
err0:
    env_free(env);
    free(buf);
    xclose(&in[0]);
    xclose(&in[1]);
    xclose(&op[0]);
    xclose(&op[1]);
    xclose(&ep[0]);
    xclose(&ep[1]);

    /* Failure! */
    return (rc);
}
