/**
 * @file `pbvote verify BUNDLE [--trust KEYS] [--expect-manifest HEX] [--expect-result HEX]
 * [--expect-election ID] [--allow-uncertified]`: the offline audit of a bundle (a folder or its
 * tar archive).  One line per named check, then what was checked (election, title, hashes,
 * ballots, winners, money); exit 0 only if every check passed.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ballots/pb_bundle.h"
#include "formats/pb_file.h"
#include "cli/cli.h"
#include "cli/cli_key.h"
#include "engine/pb_alloc.h"
#include "engine/pb_money.h"

struct verify_opts {
        const char *trust, *exp_manifest, *exp_result, *exp_election;
        bool uncertified;
};

#define O struct verify_opts
static const struct cli_option verify_options[] = {
        CLI_PATH("trust", O, trust, "KEYS",
                 "the engine and office verifier keys published out\nof band, one per line"),
        CLI_STRING("expect-manifest", O, exp_manifest, "HEX",
                   "the SHA-256 of the signed manifest payload (64 hex\ndigits): pins the election"),
        CLI_STRING("expect-result", O, exp_result, "HEX", "the SHA-256 of the signed result payload"),
        CLI_STRING("expect-election", O, exp_election, "ID", "the election's id"),
        CLI_FLAG("allow-uncertified", O, uncertified, "a bundle without a certification may pass"),
        CLI_END,
};
#undef O

const struct cli_command cli_cmd_verify = {
        .name = "verify",
        .synopsis = "verify BUNDLE [--trust KEYS] [--expect-manifest HEX] [--expect-result HEX]\n"
                    "verify BUNDLE [--expect-election ID] [--allow-uncertified]",
        .about =
                "Checks an audit bundle offline: files, signatures, every checkpoint, every CVR recommitted\n"
                "and the tree rebuilt, sorted batches, the documents against each other and the counts, and "
                "a\n"
                "re-tally from the CVRs compared byte for byte with the signed result (docs/auditor.md), "
                "then\n"
                "prints what it checked: the election, its title, the manifest's and the result's SHA-256,\n"
                "the ballots, the winners and the money.  BUNDLE is the folder pbvote export writes or the "
                "tar\n"
                "archive GET /v1/elections/ID/export answers, as it comes.\n"
                "KEYS holds the engine and office verifier keys published out of band, one per line\n"
                "prefixed by \"engine \" or \"office \" to pin the role (as keys.txt of a bundle does; bare\n"
                "verifier keys, such as the .pub files of pbvote keygen, are trusted for either role).\n"
                "Without --trust the bundle's own keys are used, and the output says so.  The keys sign\n"
                "every election of a city: --expect-manifest (SHA-256 of the signed manifest payload, 64 "
                "hex\n"
                "digits), --expect-election and --expect-result (SHA-256 of the signed result payload) pin\n"
                "the one election and result the auditor was asked to check.\n",
        .options = verify_options,
        .operands = "BUNDLE",
        .min_operands = 1,
        .max_operands = 1,
        .notes = "Exit status: 0 every check passed, 1 a check failed, 2 usage, 3 unreadable KEYS, 4 "
                 "internal.\n",
};

#define MAX_TRUSTED 16

static int load_trust(const char *path, struct pb_key_public *keys, enum pb_trust_role *roles, size_t *ret_n)
{
        struct pb_diag d;
        char *data = NULL;
        size_t len = 0, n = 0, pos = 0;
        unsigned line = 0;
        pb_err r;

        pb_diag_clear(&d);
        r = pb_file_read(path, 1 << 20, &data, &len, &d);
        if (r < 0)
                return cli_fail(path, r, &d);
        while (pos < len) {
                char *s = data + pos, *nl = memchr(s, '\n', len - pos);
                size_t k = nl ? (size_t)(nl - s) : len - pos;

                pos += k + (nl != NULL);
                line++;
                if (k && s[k - 1] == '\r')
                        k--;
                if (!k || s[0] == '#')
                        continue;
                if (n < MAX_TRUSTED)
                        roles[n] = PB_TRUST_ANY;
                if (n < MAX_TRUSTED && k > 7 && (!strncmp(s, "engine ", 7) || !strncmp(s, "office ", 7))) {
                        roles[n] = s[0] == 'e' ? PB_TRUST_ENGINE : PB_TRUST_OFFICE;
                        s += 7;
                        k -= 7;
                }
                if (n == MAX_TRUSTED || pb_key_vkey_parse(s, k, &keys[n], &d) < 0) {
                        d.line = line;
                        if (n == MAX_TRUSTED)
                                pb_diag_set(&d, PB_ERR_LIMIT, NULL, "more than 16 keys");
                        d.line = line;
                        cli_report(path, &d);
                        pb_free(data);
                        return PB_EXIT_INPUT;
                }
                n++;
        }
        pb_free(data);
        if (!n) {
                fprintf(stderr, "pbvote verify: %s holds no key\n", path);
                return PB_EXIT_INPUT;
        }
        *ret_n = n;
        return PB_EXIT_OK;
}

/*
 * Text from the bundle (file names, JSON paths, titles, project names) printed with every control
 * byte escaped (and quoted, by print_text): a bundle must not be able to write "VALID" over the verdict with a carriage
 * return or a terminal escape sequence.  U+0080..U+009F (C1 controls, two bytes in UTF-8) too.
 */
static void print_raw(const char *s)
{
        const unsigned char *p = (const unsigned char *)s;

        for (; *p; p++) {
                if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
                        printf("\\u%04x", p[1]);
                        p++;
                } else if (*p == '"' || *p == '\\') {
                        printf("\\%c", *p);
                } else if (*p < 0x20 || *p == 0x7f) {
                        printf("\\x%02x", *p);
                } else {
                        putchar(*p);
                }
        }
}

static void print_text(const char *s)
{
        putchar('"');
        print_raw(s);
        putchar('"');
}

static void print_check(void *ctx, const struct pb_verify_check *c)
{
        (void)ctx;
        printf("%s %-4s %-20s", c->pass ? "PASS" : "FAIL", c->id, c->name);
        if (c->count)
                printf(" (%llu)", (unsigned long long)c->count);
        if (c->file) {
                putchar(' ');
                print_text(c->file);
                if (c->line)
                        printf(" line %u", c->line);
                if (c->field) { /* a JSON path may hold a key from the bundle */
                        putchar(' ');
                        print_raw(c->field);
                }
                putchar(':');
        }
        printf(" %s\n", c->detail);
}

/* A display text of the manifest: the plain string, or each language's as stored. */
static void print_multi(const struct pb_text *t)
{
        if (t->plain || !t->n) {
                print_text(t->plain ? t->plain : "");
                return;
        }
        for (size_t i = 0; i < t->n; i++) {
                printf("%s", i ? ", " : "");
                print_raw(t->lang[i]);
                printf(": ");
                print_text(t->value[i]);
        }
}

static void print_hash(const char *label, const uint8_t h[32])
{
        char hex[65];

        sodium_bin2hex(hex, sizeof(hex), h, 32);
        printf("%-10s SHA-256 %s\n", label, hex);
}

/* The winners and the money of one contest's recount. */
static void print_outcome(const struct pb_contest *c, const struct pb_result *res)
{
        const struct pb_election *e = c->election;
        char a[PB_MONEY_STR_MAX], b[PB_MONEY_STR_MAX];

        printf("winners:   %zu\n", res->n_winners);
        for (size_t i = 0; i < res->n_winners; i++) {
                printf("  ");
                print_text(e->projects[res->winners[i]].id);
                putchar(' ');
                print_multi(&c->names[res->winners[i]]);
                putchar('\n');
        }
        printf("spent:     %s of %s%s%s\n", pb_money_format(res->spent, e->scale, a),
               pb_money_format(e->budget, e->scale, b), e->currency[0] ? " " : "", e->currency);
}

static void print_summary(void *ctx, const struct pb_verify_summary *s)
{
        const struct pb_manifest *m = s->manifest;

        (void)ctx;
        if (!m)
                return; /* nothing about an election is known if its manifest failed */
        printf("election:  ");
        print_text(m->election->id);
        printf("\ntitle:     ");
        print_multi(&m->title);
        putchar('\n');
        print_hash("manifest:", s->manifest_sha256);
        if (s->has_result)
                print_hash("result:", s->result_sha256);
        if (s->has_ballots)
                printf("ballots:   %llu\n", (unsigned long long)s->ballots);
        if (!s->has_tally)
                return;
        for (size_t k = 0; k < s->n_results; k++) {
                if (m->has_contests) {
                        printf("contest:   ");
                        print_text(m->contests[k].election->id);
                        putchar(' ');
                        print_multi(&m->contests[k].title);
                        putchar('\n');
                }
                print_outcome(&m->contests[k], &s->results[k]);
        }
}

/* 64 hex digits (either case) into @out. */
static int parse_hash(const char *opt, const char *hex, uint8_t out[32])
{
        size_t got = 0;

        if (strlen(hex) != 64 || strspn(hex, "0123456789abcdefABCDEF") != 64 ||
            sodium_hex2bin(out, 32, hex, 64, NULL, &got, NULL) != 0 || got != 32) {
                fprintf(stderr, "pbvote verify: %s needs a SHA-256 as 64 hex digits\n", opt);
                return PB_EXIT_USAGE;
        }
        return PB_EXIT_OK;
}

int cmd_verify(int argc, char **argv)
{
        struct verify_opts vo = { NULL, NULL, NULL, NULL, false };
        struct cli_args args;
        struct pb_key_public keys[MAX_TRUSTED];
        enum pb_trust_role roles[MAX_TRUSTED];
        uint8_t want_manifest[32], want_result[32];
        struct pb_verify_options o;
        unsigned failed = 0;
        int rc;
        pb_err r;

        memset(&o, 0, sizeof(o));
        rc = cli_parse(&cli_cmd_verify, argc, argv, &vo, &args);
        if (rc != CLI_PARSED)
                return rc;
        if (vo.exp_manifest && (rc = parse_hash("--expect-manifest", vo.exp_manifest, want_manifest)))
                return rc;
        if (vo.exp_result && (rc = parse_hash("--expect-result", vo.exp_result, want_result)))
                return rc;
        if (vo.trust) {
                rc = load_trust(vo.trust, keys, roles, &o.n_trusted);
                if (rc)
                        return rc;
                o.trusted = keys;
                o.roles = roles;
        }
        o.allow_uncertified = vo.uncertified;
        o.expect_election = vo.exp_election;
        o.expect_manifest = vo.exp_manifest ? want_manifest : NULL;
        o.expect_result = vo.exp_result ? want_result : NULL;
        o.summary = print_summary;
        if (access(args.operands[0], R_OK) != 0) {
                /* a mistyped path is not a failed audit: say so, as for any unreadable input */
                fprintf(stderr, "pbvote verify: %s: %s\n", args.operands[0], strerror(errno));
                return PB_EXIT_INPUT;
        }
        r = pb_bundle_verify(args.operands[0], &o, print_check, NULL, &failed);
        if (r == PB_OK) {
                printf("VALID: every check passed%s%s\n", vo.trust ? "" : " (keys not pinned: use --trust)",
                       vo.exp_result ? ""
                       : vo.exp_manifest || vo.exp_election
                               ? " (result not pinned: use --expect-result with the published hash)"
                               : " (election not pinned: use --expect-result, or at least "
                                 "--expect-manifest)");
                return PB_EXIT_OK;
        }
        if (r == PB_ERR_SIGNATURE) {
                printf("INVALID: %u check%s failed\n", failed, failed == 1 ? "" : "s");
                return PB_EXIT_FAIL;
        }
        fprintf(stderr, "pbvote verify: the verifier could not run: %s\n", pb_err_message(r));
        return PB_EXIT_SOFTWARE;
}
