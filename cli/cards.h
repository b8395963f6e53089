/**
 * @file Printable voter code cards (issue 13): `pbvote codes issue --cards FILE.html --url URL`
 * writes one HTML page, one card per code on A4 sheets (six a sheet): the code in large type, the
 * voting address, a QR code that opens the voting page with the code filled in
 * (URL/vote/ID#code=CODE: a fragment, never sent to a server), and what to do in each of the
 * election's languages that the pages speak (web/i18n).  The QR codes are drawn when the file is
 * opened, by the pages' own encoder (web/vendor/qrcodegen.js) written into the file: it works
 * offline, from a USB stick, and asks nothing of any server.  The caller creates the file (mode
 * 0600); nothing here logs a code.
 */
#ifndef PB_CLI_CARDS_H
#define PB_CLI_CARDS_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/pb_err.h"
#include "formats/pb_manifest.h"

struct cJSON;

/** The interface languages a card can speak (web/i18n). */
#define CLI_CARDS_LANGS 4

/** A page of cards being written.  Caller storage; cli_cards_release() after cli_cards_begin(). */
struct cli_cards {
        FILE *f;                                 /* borrowed: the page */
        const char *title, *election, *contests; /* borrowed: what each card names */
        char url[256];                           /* the voting address, without a trailing '/' */
        const char *lang[CLI_CARDS_LANGS];       /* static: the languages of the instructions */
        size_t n_lang;
        struct cJSON *i18n[CLI_CARDS_LANGS]; /* owned: the translation table of each */
};

/**
 * Is @url a voting address a card can print and put in a QR code (http:// or https://, at most
 * 200 bytes, no space, quote, angle bracket, backslash, '#' or '?')?  On false, @why (static) says
 * why.
 */
bool cli_cards_url_ok(const char *url, const char **why);

/**
 * Start the page on @f: the head, the style, the title.  @m gives the election's languages (its
 * title's), @title and @election (borrowed until cli_cards_end) what each card names, @contests
 * the contests the codes are for ("" for all), @url the voting address (cli_cards_url_ok).
 * @return PB_OK, PB_ERR_NOMEM
 */
PB_NODISCARD pb_err cli_cards_begin(struct cli_cards *c, FILE *f, const struct pb_manifest *m,
                                    const char *title, const char *election, const char *contests,
                                    const char *url);
/** One card for the code @printed (as pb_code_print writes it). */
void cli_cards_add(struct cli_cards *c, const char *printed);
/** End the page: the QR encoder and the script that draws every card's code. */
void cli_cards_end(struct cli_cards *c);
/** Free what cli_cards_begin() took (also after a failure); the file is the caller's. */
void cli_cards_release(struct cli_cards *c);

#endif
