/**
 * @file `pbvote codes issue`: new single-use voter codes, shown once (CSV and printable cards).
 *
 *   pbvote codes issue --db DB --key ENGINE.key --count N [--contest ID]... [--csv FILE] [--cards FILE.html]
 *                      [--quiet]
 */
#include <errno.h>
#include <sodium.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cards.h"
#include "cli/cli.h"
#include "cli/cli_key.h"

struct codes_opts {
        const char *db, *key, *pass_file, *csv, *cards, *url;
        int64_t count;
        struct cli_list contests;
        bool quiet;
};

#define O struct codes_opts
static const struct cli_option codes_issue_options[] = {
        CLI_PATH("db", O, db, "DB", "the ballot box (draft, open or suspended)"),
        CLI_PATH("key", O, key, "ENGINE.key", "the engine key (its key derives the codes' hashes)"),
        CLI_PATH("passphrase-file", O, pass_file, "FILE",
                 "the engine key's passphrase (else\nPBVOTE_PASSPHRASE or the terminal)"),
        CLI_INT("count", O, count, "N", 1, PB_BOX_CODES_MAX, "how many codes (1 to 1000000)"),
        CLI_LIST("contest", O, contests, "ID",
                 "a contest the codes are for; repeat it (the city-wide\ncontest and a district): needed "
                 "for a vote of\nseveral contests"),
        CLI_PATH("csv", O, csv, "FILE", "write the codes to the new file FILE, one per line"),
        CLI_PATH("cards", O, cards, "FILE.html",
                 "write a printable page of cards to the new file\n(one card per code, six an A4 sheet, "
                 "with a QR code)"),
        CLI_STRING("url", O, url, "URL",
                   "with --cards: the address residents vote at\n(https://vote.city.example), which "
                   "the cards print\nand their QR codes open (URL/vote/ID#code=CODE)"),
        CLI_FLAG("quiet", O, quiet, "no progress line (drawn only when stderr is a terminal)"),
        CLI_END,
};
#undef O

static const struct cli_command codes_issue = {
        .name = "codes issue",
        .synopsis = "codes issue --db DB --key ENGINE.key --count N [--contest ID]... [--csv FILE] "
                    "[--cards FILE.html --url URL] [--quiet]",
        .about = "Issues N new voter codes (80 random bits, Crockford base32 with a check symbol).  The box "
                 "keeps\n"
                 "only keyed hashes: the codes exist in the clear only in the files written now (mode 0600, "
                 "never\n"
                 "overwritten), a CSV and a printable page of cards; without --csv or --cards they go to "
                 "stdout.\n"
                 "Hand them out at random: nothing records which person got which code.  In a vote of "
                 "several\n"
                 "contests a code is for the contests named with --contest (a resident's district and the\n"
                 "city-wide one): its ballot is one per contest, each it may not skip included.\n",
        .options = codes_issue_options,
};

const struct cli_group cli_group_codes = {
        .name = "codes",
        .about = "Voter codes: single use, shown once, stored only as keyed hashes.\n",
        .verbs = (const struct cli_command *const[]){ &codes_issue, NULL },
};

struct sink {
        FILE *csv, *cards, *out;
        struct cli_cards page; /* the cards written to @cards */
        const char *title, *election;
        const char *contests; /* the titles of the contests the codes are for ("" for every one) */
        unsigned long n;
};

/* A new file that nobody else can read, never over an existing one. */
static FILE *create_secret(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        FILE *f;

        if (fd < 0) {
                fprintf(stderr, "pbvote codes: %s: %s\n", path,
                        errno == EEXIST ? "exists already (codes are never written over a file)"
                                        : "cannot create the file");
                return NULL;
        }
        f = fdopen(fd, "w");
        if (!f)
                close(fd);
        return f;
}

static pb_err take_code(void *ctx, const struct pb_code *code)
{
        struct sink *s = ctx;
        char printed[PB_CODE_PRINT_MAX + 1];

        if (!pb_code_print(code, printed, sizeof(printed)))
                return PB_ERR_INTERNAL;
        if (s->csv)
                fprintf(s->csv, "%s\n", printed);
        if (s->out)
                fprintf(s->out, "%s\n", printed);
        if (s->cards)
                cli_cards_add(&s->page, printed);
        sodium_memzero(printed, sizeof(printed));
        s->n++;
        return PB_OK;
}

static int finish(FILE *f, const char *path)
{
        if (!f)
                return 0;
        if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0) {
                fprintf(stderr, "pbvote codes: %s: write failed\n", path);
                return PB_EXIT_SOFTWARE;
        }
        return 0;
}

/* The titles of the contests @ids of @m, joined by ", " (a card says what the code is for). */
static int contest_titles(const struct pb_manifest *m, const struct cli_list *ids, struct pb_buf *out)
{
        pb_err r = pb_buf_adds(out, "");

        for (size_t i = 0; r == PB_OK && i < ids->n; i++) {
                long k = pb_manifest_find_contest(m, ids->v[i], strlen(ids->v[i]));
                if (i)
                        r = pb_buf_adds(out, ", ");
                if (r == PB_OK)
                        r = pb_buf_adds(out, k >= 0 ? m->contests[k].election->title : ids->v[i]);
        }
        return r == PB_OK ? 0 : PB_EXIT_SOFTWARE;
}

int cmd_codes(int argc, char **argv)
{
        struct codes_opts o = { NULL, NULL, NULL, NULL, NULL, NULL, 0, { NULL, 0 }, false };
        struct cli_progress progress;
        const struct cli_command *verb;
        struct cli_args args;
        struct pb_key_secret *engine = NULL;
        struct pb_box *b = NULL;
        struct pb_buf titles;
        struct sink s;
        struct pb_diag d;
        bool made_csv = false, made_cards = false, issued = false;
        int rc, rc2;
        pb_err r;

        memset(&s, 0, sizeof(s));
        pb_buf_init(&titles, 0);
        pb_diag_clear(&d);
        rc = cli_parse_group(&cli_group_codes, argc, argv, &o, &verb, &args);
        if (rc != CLI_PARSED)
                goto out; /* a --contest list may be half-read */
        if (!cli_given(verb, &args, "count")) {
                rc = cli_missing(verb, "--count N");
                goto out;
        }
        rc = cli_box_open(verb, o.db, &b);
        if (rc)
                goto out;
        rc = cli_box_engine(b, o.key, o.pass_file, &engine);
        if (rc)
                goto out;
        s.title = pb_box_manifest(b)->election->title;
        s.election = pb_box_manifest(b)->election->id;
        /* copied now: the manifest a box hands out lasts until its next call */
        rc = contest_titles(pb_box_manifest(b), &o.contests, &titles);
        if (rc)
                goto out;
        s.contests = titles.data;
        if (o.cards || o.url) {
                const char *why = NULL;
                if (!o.cards || !o.url) {
                        fprintf(stderr, "pbvote codes: %s\n",
                                o.cards ? "--cards needs --url URL: the address the cards send residents to"
                                        : "--url is for the cards: give --cards FILE.html too");
                        rc = PB_EXIT_USAGE;
                        goto out;
                }
                if (!cli_cards_url_ok(o.url, &why)) {
                        fprintf(stderr, "pbvote codes: --url: %s\n", why);
                        rc = PB_EXIT_USAGE;
                        goto out;
                }
        }
        if (o.csv && !(made_csv = (s.csv = create_secret(o.csv)) != NULL)) {
                rc = PB_EXIT_INPUT;
                goto out;
        }
        if (o.cards && !(made_cards = (s.cards = create_secret(o.cards)) != NULL)) {
                rc = PB_EXIT_INPUT;
                goto out;
        }
        if (!o.csv && !o.cards)
                s.out = stdout;
        if (s.csv)
                fputs("code\n", s.csv);
        if (s.cards && cli_cards_begin(&s.page, s.cards, pb_box_manifest(b), s.title, s.election, s.contests,
                                       o.url) < 0) {
                rc = PB_EXIT_SOFTWARE;
                goto out;
        }
        cli_progress_start(&progress, "pbvote codes issue: codes", "stored", o.quiet);
        r = pb_box_codes_issue_progress(b, (size_t)o.count, o.contests.v, o.contests.n, &progress.p,
                                        take_code, &s, &d);
        cli_progress_end(&progress);
        issued = r >= 0;
        if (s.cards)
                cli_cards_end(&s.page);
        rc2 = finish(s.csv, o.csv);
        rc2 = rc2 ? rc2 : finish(s.cards, o.cards);
        s.csv = s.cards = NULL;
        if (r < 0) {
                rc = cli_fail(o.db, r, &d);
                goto out;
        }
        rc = rc2;
        fprintf(stderr, "pbvote: issued %lu codes for election %s\n", s.n, s.election);
out:
        if (s.csv)
                fclose(s.csv);
        if (s.cards)
                fclose(s.cards);
        /*
         * Refused (a closed box, a missing --contest, the other file existing): no code was stored,
         * so the files hold none either; remove them, or the same command run again after the fix
         * would stop at "exists already".  Once issued, the files are the only copy: kept.
         */
        if (!issued && made_csv)
                (void)unlink(o.csv);
        if (!issued && made_cards)
                (void)unlink(o.cards);
        cli_cards_release(&s.page);
        cli_key_free(engine);
        pb_box_free(b);
        cli_list_release(&o.contests);
        pb_buf_release(&titles);
        return rc;
}
