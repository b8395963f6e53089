/**
 * @file The pages' assets built into the binary (web/, turned into a table by web/embed.c at build
 * time; DESIGN.md §5.6): no file, CDN or Node is needed to serve them.
 */
#ifndef PB_WEB_H
#define PB_WEB_H

#include <stddef.h>

/** One asset.  Everything is static, generated data. */
struct pb_web_asset {
        const char *path;           /* "/index.html", "/js/app.js": relative to web/, leading slash */
        const char *content_type;   /* "text/javascript; charset=utf-8" */
        const unsigned char *bytes; /* @len bytes (NUL-terminated too, not counted) */
        size_t len;
        const char *etag; /* strong ETag, quoted: the first 128 bits of SHA-256(bytes) in hex */
};

/** Every asset, sorted by path (strcmp), for binary search. */
extern const struct pb_web_asset pb_web_assets[];
/** Number of entries of pb_web_assets. */
extern const size_t pb_web_n_assets;
/** 12 hex digits naming this build's assets: they are served under /assets/<build id>/, and the
 *  HTML files refer to them there (web/embed.c writes it in), so a new build is a new URL. */
extern const char pb_web_build_id[];

#endif
