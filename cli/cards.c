/** @file Printable voter code cards (cards.h). */
#include "cli/cards.h"

#include <string.h>

#include "formats/pb_json.h"

/* built in from web/ (cli/meson.build) */
extern const unsigned char pb_cards_qrcodegen[], pb_cards_i18n_en[], pb_cards_i18n_pl[], pb_cards_i18n_uk[],
        pb_cards_i18n_ar[];
extern const size_t pb_cards_qrcodegen_len, pb_cards_i18n_en_len, pb_cards_i18n_pl_len, pb_cards_i18n_uk_len,
        pb_cards_i18n_ar_len;

static const struct {
        const char *tag;
        const unsigned char *json;
        const size_t *len;
        bool rtl;
} tables[CLI_CARDS_LANGS] = {
        { "en", pb_cards_i18n_en, &pb_cards_i18n_en_len, false },
        { "pl", pb_cards_i18n_pl, &pb_cards_i18n_pl_len, false },
        { "uk", pb_cards_i18n_uk, &pb_cards_i18n_uk_len, false },
        { "ar", pb_cards_i18n_ar, &pb_cards_i18n_ar_len, true },
};

bool cli_cards_url_ok(const char *url, const char **why)
{
        size_t n = strlen(url);

        if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)) {
                *why = "not an http:// or https:// address";
                return false;
        }
        if (n > 200) {
                *why = "longer than 200 bytes";
                return false;
        }
        for (const char *s = url; *s; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch <= ' ' || ch >= 0x7f || strchr("\"'<>\\`#?", ch)) {
                        *why = "holds a space, a quote, an angle bracket, a backslash, '#', '?' or a "
                               "non-ASCII "
                               "byte";
                        return false;
                }
        }
        return true;
}

static void html_text(FILE *f, const char *s)
{
        for (; *s; s++) {
                switch (*s) {
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '&': fputs("&amp;", f); break;
                case '"': fputs("&quot;", f); break;
                default: fputc(*s, f);
                }
        }
}

/* The string @key of table @k, or the English one, or @key. */
static const char *str(const struct cli_cards *c, size_t k, const char *key)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->i18n[k], key);

        if (!cJSON_IsString(v))
                v = cJSON_GetObjectItemCaseSensitive(c->i18n[0], key);
        return cJSON_IsString(v) ? v->valuestring : key;
}

/* The voting page's address (URL/vote/ID), as HTML text. */
static void vote_address(const struct cli_cards *c)
{
        html_text(c->f, c->url);
        fputs("/vote/", c->f);
        html_text(c->f, c->election);
}

/* @s (a translation: no markup) with "{url}" replaced by the voting page's address. */
static void with_url(const struct cli_cards *c, const char *s)
{
        const char *at;

        while ((at = strstr(s, "{url}"))) {
                fwrite(s, 1, (size_t)(at - s), c->f);
                vote_address(c);
                s = at + 5;
        }
        html_text(c->f, s);
}

/* Is @k among the languages of @m's title (by the primary subtag: "pl" for "pl-PL")? */
static bool speaks(const struct pb_manifest *m, size_t k)
{
        size_t n = strlen(tables[k].tag);

        for (size_t i = 0; i < m->title.n; i++)
                if (!strncmp(m->title.lang[i], tables[k].tag, n) &&
                    (m->title.lang[i][n] == '\0' || m->title.lang[i][n] == '-'))
                        return true;
        return false;
}

/* The languages of the cards: those of the election the pages speak, English when none is. */
static pb_err pick_languages(struct cli_cards *c, const struct pb_manifest *m)
{
        struct pb_diag d;

        for (size_t k = 0; k < CLI_CARDS_LANGS; k++) {
                pb_err r = pb_json_parse((const char *)tables[k].json, *tables[k].len, 0, &c->i18n[k], &d);
                if (r < 0)
                        return r;
                if (speaks(m, k))
                        c->lang[c->n_lang++] = tables[k].tag;
        }
        if (!c->n_lang)
                c->lang[c->n_lang++] = "en";
        return PB_OK;
}

static size_t table_of(const char *tag)
{
        for (size_t k = 0; k < CLI_CARDS_LANGS; k++)
                if (!strcmp(tables[k].tag, tag))
                        return k;
        return 0;
}

/* Six cards an A4 sheet (two columns, three rows of 92 mm in the 277 mm between 10 mm margins). */
static const char style[] =
        "@page{size:A4;margin:10mm}\n"
        "body{font-family:sans-serif;margin:0;color:#000;background:#fff}\n"
        ".cards{display:grid;grid-template-columns:1fr 1fr}\n"
        ".card{box-sizing:border-box;height:92mm;padding:3.5mm 5mm;border:1px dashed #888;break-inside:avoid;"
        "overflow:hidden}\n"
        ".card p{margin:0 0 1mm}.t{font-weight:bold;font-size:10pt}.e{color:#333;font-size:8pt}\n"
        ".l{font-size:8pt}.c{font-family:monospace;font-size:16pt;font-weight:bold;white-space:nowrap}\n"
        ".row{display:flex;align-items:center;gap:4mm;margin-block:1mm}\n"
        ".u{font-size:9pt;overflow-wrap:anywhere}.i{font-size:7pt;line-height:1.2}\n"
        ".qr{flex:none;width:25mm;height:25mm}.qr svg{width:100%;height:100%;display:block}\n";

pb_err cli_cards_begin(struct cli_cards *c, FILE *f, const struct pb_manifest *m, const char *title,
                       const char *election, const char *contests, const char *url)
{
        size_t n = strlen(url);
        pb_err r;

        memset(c, 0, sizeof(*c));
        c->f = f;
        c->title = title;
        c->election = election;
        c->contests = contests;
        while (n && url[n - 1] == '/')
                n--; /* "https://vote.example/" and "https://vote.example" give the same address */
        if (n >= sizeof(c->url))
                return PB_ERR_INVALID;
        memcpy(c->url, url, n);
        c->url[n] = '\0';
        r = pick_languages(c, m);
        if (r < 0)
                return r;
        fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\"><title>", c->lang[0]);
        html_text(f, str(c, table_of(c->lang[0]), "cards.title"));
        fputs(": ", f);
        html_text(f, title);
        fprintf(f, "</title><style>\n%s</style></head><body><main class=\"cards\">\n", style);
        return PB_OK;
}

void cli_cards_add(struct cli_cards *c, const char *printed)
{
        size_t k0 = table_of(c->lang[0]);

        fprintf(c->f, "<section class=\"card\" aria-label=\"");
        html_text(c->f, str(c, k0, "cards.code"));
        fputs("\"><p class=\"t\">", c->f);
        html_text(c->f, c->title);
        fputs("</p><p class=\"e\">", c->f);
        html_text(c->f, c->election);
        if (c->contests[0]) {
                fputs(": ", c->f);
                html_text(c->f, c->contests);
        }
        fputs("</p><p class=\"l\">", c->f);
        html_text(c->f, str(c, k0, "cards.code"));
        fprintf(c->f,
                "</p><p class=\"c\">%s</p><div class=\"row\"><div class=\"qr\" role=\"img\" aria-label=\"",
                printed);
        html_text(c->f, str(c, k0, "cards.qr"));
        fprintf(c->f, "\" data-qr=\"");
        vote_address(c);
        fprintf(c->f, "#code=%s\"></div><p class=\"u\">", printed);
        vote_address(c);
        fputs("</p></div>", c->f);
        for (size_t i = 0; i < c->n_lang; i++) {
                size_t k = table_of(c->lang[i]);
                fprintf(c->f, "<p class=\"i\" lang=\"%s\" dir=\"%s\">", tables[k].tag,
                        tables[k].rtl ? "rtl" : "ltr");
                with_url(c, str(c, k, "cards.how"));
                fputs("</p>", c->f);
        }
        fputs("</section>\n", c->f);
}

/* Draws each card's QR code as an SVG, as web/js/widgets/qr.js does for a receipt. */
static const char draw[] =
        "for (const el of document.querySelectorAll('[data-qr]')) {\n"
        "  const qr = qrcodegen.QrCode.encodeText(el.dataset.qr, qrcodegen.QrCode.Ecc.MEDIUM);\n"
        "  const size = qr.size + 8;\n"
        "  let d = '';\n"
        "  for (let y = 0; y < qr.size; y++) for (let x = 0; x < qr.size; x++)"
        " if (qr.getModule(x, y)) d += `M${x + 4},${y + 4}h1v1h-1z`;\n"
        "  el.innerHTML = `<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ${size} ${size}\" "
        "shape-rendering=\"crispEdges\" aria-hidden=\"true\"><rect width=\"100%\" height=\"100%\" "
        "fill=\"#fff\"/>"
        "<path d=\"${d}\" fill=\"#000\"/></svg>`;\n"
        "}\n";

void cli_cards_end(struct cli_cards *c)
{
        fputs("</main>\n<script type=\"module\">\n", c->f);
        fwrite(pb_cards_qrcodegen, 1, pb_cards_qrcodegen_len, c->f);
        fprintf(c->f, "\n%s</script></body></html>\n", draw);
}

void cli_cards_release(struct cli_cards *c)
{
        for (size_t k = 0; k < CLI_CARDS_LANGS; k++)
                cJSON_Delete(c->i18n[k]);
        memset(c->i18n, 0, sizeof(c->i18n));
}
